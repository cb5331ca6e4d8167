"""The AMI client: one connection to Asterisk kept alive for the daemon's lifetime.

Connect → read the banner → log in (MD5 challenge or plain) → attach to the core's Ipbx → resync
(CoreShowChannels, QueueStatus, ExtensionStateList) → read events until the link dies (EOF, a
protocol error, a missed ping) → back off (capped exponential with jitter) → again. Responses are
matched to their action by ActionID; `EventList: start … Complete` lists are collected into one
result; an async Originate waits for its OriginateResponse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import random
import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any

import gevent
import gevent.event
import gevent.lock

from ctid.api import ActionResult, ActionTimeout, Ipbx, IpbxUnavailable
from ctid_ami.protocol import AmiMessage, AmiParser, AmiProtocolError, encode_action, md5_key

log = logging.getLogger(__name__)

RESYNC_ACTIONS = ("CoreShowChannels", "QueueStatus", "ExtensionStateList")


class AuthFailed(Exception):
    """Asterisk refused the login."""


class LinkLost(Exception):
    """The connection ended or broke the protocol."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the client needs, from `ipbx.ami` and `plugins.ami`."""

    host: str
    port: int
    username: str
    secret: str
    auth: str
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 5.0
    backoff_min: float = 0.5
    backoff_max: float = 30.0
    stable_after: float = 10.0
    max_message: int = 1024 * 1024


class _Pending:
    """An action waiting for its response (and its list, or its OriginateResponse)."""

    __slots__ = ("async_originate", "done", "events", "lost", "response")

    def __init__(self, async_originate: bool) -> None:
        self.done = gevent.event.Event()
        self.response: AmiMessage | None = None
        self.events: list[AmiMessage] = []
        self.async_originate = async_originate
        self.lost = False

    def result(self) -> ActionResult:
        assert self.response is not None
        response = self.response
        return ActionResult(
            response=response.get("Response", ""),
            fields=dict(response),
            events=self.events,
            output=response.getall("Output"),
        )


class AmiClient:
    """Keeps one AMI link up and serves the core's action API over it."""

    def __init__(self, ipbx: Ipbx, settings: Settings) -> None:
        self.ipbx = ipbx
        self.settings = settings
        self.version = ""
        self.connects = 0
        self.auth_failures = 0
        self._sock: socket.socket | None = None
        self._write_lock = gevent.lock.Semaphore()
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._stopping = False
        self._wake = gevent.event.Event()
        self._backoff = settings.backoff_min
        self._banner = gevent.event.Event()
        self._down_streak = 0

    # --- the link's life -----------------------------------------------------------------------

    def run(self) -> None:
        """Connect, serve, reconnect with backoff; until `stop()`."""
        while not self._stopping:
            started = time.monotonic()
            try:
                self._session()
            except AuthFailed as exc:
                self._auth_failed(str(exc))
            except (OSError, LinkLost, AmiProtocolError, ActionTimeout, IpbxUnavailable) as exc:
                self._lost(str(exc) or type(exc).__name__)
            if self._stopping:
                break
            if time.monotonic() - started >= self.settings.stable_after:
                self._backoff = self.settings.backoff_min
            self._pause()

    def stop(self) -> None:
        """End the link for good (a Logoff is attempted), fail waiting actions."""
        self._stopping = True
        self._wake.set()
        if self._sock is not None and self.ipbx.connected:
            try:
                with gevent.Timeout(0.5):
                    self._write(encode_action("Logoff", action_id="ctid-logoff"))
            except (OSError, gevent.Timeout):
                pass  # Asterisk is going or gone: nothing else to do
        self._close()

    def refresh(self) -> None:
        """Asterisk restarted or reloaded: reconnect now if down, else resync."""
        if self.ipbx.connected:
            gevent.spawn(self._resync_safely)
        else:
            self._backoff = self.settings.backoff_min
            self._wake.set()

    def _session(self) -> None:
        settings = self.settings
        sock = socket.create_connection(
            (settings.host, settings.port), timeout=settings.connect_timeout
        )
        sock.settimeout(None)
        self._sock = sock
        self._banner.clear()
        parser = AmiParser(max_message=settings.max_message)
        reader = gevent.spawn(self._read_until_lost, sock, parser)
        reader.link(lambda _reader: self._fail_pending())
        try:
            self._login(parser)
            self.connects += 1
            self.ipbx.attach(self, self.version)
            self._resync()
            pinger = gevent.spawn(self._ping_loop)
            try:
                raise reader.get()  # the reason the link ended
            finally:
                pinger.kill()
        finally:
            reader.kill()
            self._close()

    def _login(self, parser: AmiParser) -> None:
        deadline = self.settings.connect_timeout
        if not self._banner.wait(deadline) or not parser.version:
            raise LinkLost("no AMI banner from Asterisk")
        self.version = parser.version
        fields: dict[str, str] = {"Username": self.settings.username}
        if self.settings.auth == "md5":
            challenge = self.send_action("Challenge", {"AuthType": "MD5"}, deadline)
            fields.update(
                AuthType="MD5",
                Key=md5_key(challenge.fields.get("Challenge", ""), self.settings.secret),
            )
        else:
            fields["Secret"] = self.settings.secret
        answer = self.send_action("Login", fields, deadline)
        if not answer.ok:
            raise AuthFailed(answer.message or "login refused")
        if self.auth_failures or self._down_streak:
            log.info(
                "AMI login accepted after %d failed attempts",
                self.auth_failures + self._down_streak,
            )
        self.auth_failures = self._down_streak = 0
        self.send_action("Events", {"EventMask": "on"}, deadline)

    def _resync(self) -> None:
        """Re-read Asterisk's state; the call model closes what ended while we were away."""
        self.ipbx.begin_resync()
        channels = self.send_action("CoreShowChannels", None, self.settings.action_timeout)
        self.ipbx.end_resync(channels.events if channels.ok else [])
        for action in RESYNC_ACTIONS[1:]:
            result = self.send_action(action, None, self.settings.action_timeout)
            for item in result.events:
                self.ipbx.ingest(item)
        log.info("AMI resync done: %d channels live", len(channels.events))

    def _resync_safely(self) -> None:
        try:
            self._resync()
        except (ActionTimeout, IpbxUnavailable, OSError) as exc:
            log.warning("AMI resync failed: %s", exc)

    def _ping_loop(self) -> None:
        while True:
            gevent.sleep(self.settings.ping_interval)
            try:
                self.send_action("Ping", None, self.settings.ping_timeout)
            except (ActionTimeout, OSError, IpbxUnavailable):
                log.warning(
                    "AMI ping unanswered for %.1f s: the link is dead", self.settings.ping_timeout
                )
                self._close()
                return

    def _pause(self) -> None:
        delay = self._backoff * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not crypto)
        self._backoff = min(self._backoff * 2, self.settings.backoff_max)
        log.debug("AMI reconnecting in %.2f s", delay)
        self._wake.clear()
        self._wake.wait(delay)

    def _auth_failed(self, reason: str) -> None:
        self.auth_failures += 1
        if self.auth_failures == 1:
            log.error(
                "AMI login as %r to %s:%d refused (%s); retrying with backoff up to %.0f s",
                self.settings.username,
                self.settings.host,
                self.settings.port,
                reason,
                self.settings.backoff_max,
            )
        self.ipbx.detach("auth_failed", reason)

    def _lost(self, reason: str) -> None:
        self._down_streak += 1
        where = f"{self.settings.host}:{self.settings.port}"
        if self._down_streak == 1:
            log.warning("AMI link to %s down: %s; reconnecting with backoff", where, reason)
        elif self._down_streak % 20 == 0:
            log.warning(
                "AMI link to %s still down after %d attempts: %s", where, self._down_streak, reason
            )
        else:
            log.debug("AMI connect to %s failed: %s", where, reason)
        self.ipbx.detach("down", reason)

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._fail_pending()

    def _fail_pending(self) -> None:
        for pending in list(self._pending.values()):
            if not pending.done.is_set():
                pending.lost = True  # its waiter reports the link as gone
                pending.done.set()

    # --- reading -------------------------------------------------------------------------------

    def _read_until_lost(self, sock: socket.socket, parser: AmiParser) -> Exception:
        """Read until the link ends; return why (raising would make gevent print a traceback
        for what is an ordinary event in a daemon's life)."""
        try:
            self._read_loop(sock, parser)
        except (LinkLost, AmiProtocolError) as exc:
            return exc
        return LinkLost("reader stopped")

    def _read_loop(self, sock: socket.socket, parser: AmiParser) -> None:
        while True:
            try:
                data = sock.recv(65536)
            except OSError as exc:
                raise LinkLost(f"read failed: {exc}") from exc
            if not data:
                raise LinkLost("Asterisk closed the connection")
            try:
                messages = parser.feed(data)
            except AmiProtocolError as exc:
                log.warning("AMI protocol error, resetting the connection: %s", exc)
                raise
            if parser.version is not None and not self._banner.is_set():
                self._banner.set()
            for message in messages:
                self._dispatch(message)

    def _dispatch(self, message: AmiMessage) -> None:
        action_id = message.get("ActionID")
        pending = self._pending.get(action_id) if action_id else None
        if pending is not None and self._belongs(pending, message):
            return
        if "Event" in message:
            self._event(message)

    def _belongs(self, pending: _Pending, message: AmiMessage) -> bool:
        """Give `message` to the action waiting for it; False if it is an ordinary event."""
        if "Event" not in message:
            pending.response = message
            if message.get("EventList") != "start" and not (
                pending.async_originate and message.get("Response") == "Success"
            ):
                pending.done.set()
            return True
        if pending.async_originate and message["Event"] == "OriginateResponse":
            pending.events.append(message)
            pending.done.set()
            return False  # others may want to see it too
        if pending.response is not None and pending.response.get("EventList") == "start":
            if message.get("EventList") == "Complete":
                pending.done.set()
            else:
                pending.events.append(message)
            return True
        return False

    def _event(self, message: AmiMessage) -> None:
        name = message["Event"]
        if name == "Shutdown":
            log.warning("Asterisk is shutting down (%s)", message.get("Shutdown", "?"))
        elif name == "FullyBooted" and self.ipbx.connected:
            log.info("Asterisk fully booted")
        elif name == "Reload":
            log.info("Asterisk reloaded %s", message.get("Module", "its configuration"))
        self.ipbx.ingest(message)

    # --- the action API ------------------------------------------------------------------------

    def send_action(
        self, action: str, fields: Mapping[str, str | Sequence[str]] | None, timeout: float
    ) -> ActionResult:
        """Send one action and wait up to `timeout` seconds for its whole result."""
        if self._sock is None:
            raise IpbxUnavailable("no AMI connection")
        action_id = f"ctid-{next(self._ids)}"
        async_originate = action == "Originate" and str(
            (fields or {}).get("Async", "")
        ).lower() in ("true", "yes", "1")
        pending = _Pending(async_originate)
        data = encode_action(action, fields, action_id)
        self._pending[action_id] = pending
        try:
            self._write(data)
            if not pending.done.wait(timeout):
                raise ActionTimeout(f"no answer to {action} within {timeout:.1f} s")
            if pending.lost or pending.response is None:
                raise IpbxUnavailable(f"AMI link lost while waiting for {action}")
            return pending.result()
        finally:
            self._pending.pop(action_id, None)

    def _write(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise IpbxUnavailable("no AMI connection")
        with (
            self._write_lock,
            gevent.Timeout(self.settings.action_timeout, LinkLost("write stalled")),
        ):
            sock.sendall(data)

    def status(self) -> dict[str, Any]:
        """Link facts for status and the info console."""
        return {
            "link": self.ipbx.link,
            "version": self.version,
            "connects": self.connects,
            "auth_failures": self.auth_failures,
            "pending_actions": len(self._pending),
        }
