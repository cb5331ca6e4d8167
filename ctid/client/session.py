"""A logged-in CTI session that stays up: keepalives, reconnection with backoff, typed commands
and their results, sheets displayed and their actions started.

    session = ClientSession(settings, password, output, actions)
    status = session.run()      # until stop(), `quit`, a refused login or a forced disconnect

The first connection and login must succeed (an operator who mistyped a host or a password is
told at once, and the exit status says which); after that, a lost connection is retried with
capped exponential backoff and jitter until the server is back or the user stops. The server
ending the session on purpose (`disconnect force`: another session of this user took over) is
not retried, as the Qt client does not retry it either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import ssl
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

from ctid.client.actions import Actions
from ctid.client.commands import HELP, Command, CommandError, parse
from ctid.client.connection import (
    ConnectError,
    Connection,
    LoginRefused,
    Message,
    connect,
    login,
)
from ctid.client.inflight import InFlight
from ctid.client.output import Output
from ctid.client.phones import MyPhones
from ctid.client.render import SheetFormatError, clean, decode_sheet

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_UNAVAILABLE = 69
"""sysexits EX_UNAVAILABLE: no connection (refused, unreachable, TLS failure)."""
EXIT_NOPERM = 77
"""sysexits EX_NOPERM: the login was refused."""
LOGOUT_WAIT = 1.0
"""Seconds a logout waits for the server's answer before the connection is closed anyway."""
STEADY = 10.0
"""A session that lasted this long resets the backoff to its minimum."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where and as whom to log in (the password is kept apart, never in a repr)."""

    host: str
    port: int
    login: str
    tls: ssl.SSLContext | None = None
    starttls: bool = False
    state: str = "available"
    timeout: float = 10.0
    keepalive: float = 60.0
    backoff_min: float = 0.5
    backoff_max: float = 30.0


class ClientSession:
    """One user's session with one ctid, across reconnections."""

    def __init__(
        self, settings: Settings, password: str, output: Output, actions: Actions | None
    ) -> None:
        self.settings = settings
        self._password = password
        self.output = output
        self.actions = actions
        self.stopping = gevent.event.Event()
        self.logged_in = gevent.event.Event()
        """Set while a session is logged in (the demo waits for it before playing calls)."""
        self.user_id = ""
        self.ipbx_id = ""
        self._connection: Connection | None = None
        self._inflight = InFlight(output)
        self.phones = MyPhones()
        self._heard = 0.0

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> int:
        """Connect, log in, serve; reconnect when the link is lost. Returns an exit status."""
        delay, connected_once = self.settings.backoff_min, False
        while not self.stopping.is_set():
            try:
                connection = self._open()
            except LoginRefused as exc:
                self.output.record("error", f"error: {exc}", error=str(exc), code=exc.code)
                return EXIT_NOPERM
            except ConnectError as exc:
                if not connected_once:
                    self.output.record("error", f"error: {exc}", error=str(exc))
                    return EXIT_UNAVAILABLE
                self.output.record("note", f"still unreachable: {exc}", text=str(exc))
            else:
                if self.stopping.is_set():  # stopped while logging in
                    connection.close()
                    break
                connected_once, began = True, time.monotonic()
                ending = self._serve(connection)
                if ending != "lost":
                    return EXIT_FAILURE if ending == "kicked" else EXIT_OK
                if time.monotonic() - began > STEADY:
                    delay = self.settings.backoff_min
            wait = delay * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not crypto)
            self.output.record(
                "reconnecting", f"reconnecting in {wait:.1f} s", seconds=round(wait, 2)
            )
            delay = min(delay * 2, self.settings.backoff_max)
            if self.stopping.wait(wait):
                break
        return EXIT_OK

    def stop(self) -> None:
        """End the session: log out when logged in (the server's answer or LOGOUT_WAIT seconds
        end it), make `run` return."""
        self.stopping.set()
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(ConnectError):  # already gone: nothing to log out of
                connection.send({"class": "logout", "stopper": "quit"})
            gevent.spawn_later(LOGOUT_WAIT, connection.close)

    def _open(self) -> Connection:
        settings = self.settings
        connection = connect(
            settings.host,
            settings.port,
            tls=settings.tls,
            starttls=settings.starttls,
            timeout=settings.timeout,
        )
        banner = clean(connection.banner)
        self.output.record(
            "connected",
            f"connected to {connection.address} ({banner})",
            server=connection.address,
            banner=connection.banner,
        )
        try:
            capas = login(
                connection,
                settings.login,
                self._password,
                state=settings.state,
                timeout=settings.timeout,
            )
        except BaseException:
            connection.close()
            raise
        self.user_id = str(capas.get("userid", ""))
        self.ipbx_id = str(capas.get("ipbxid", ""))
        presence = clean(capas.get("presence", ""))
        self.output.record(
            "login",
            f"logged in as {clean(settings.login)} (user {clean(self.user_id)} on "
            f"{clean(capas.get('ipbxid', ''))}), presence {presence}",
            login=settings.login,
            capas=capas,
        )
        return connection

    def _serve(self, connection: Connection) -> str:
        """Read until the connection ends: `lost`, `stopped`, `logout` or `kicked`."""
        self._connection, self._heard = connection, time.monotonic()
        self.phones.clear()
        keepalive = gevent.spawn(self._keepalive, connection)
        self.logged_in.set()
        try:
            self._ask(
                connection,
                {"function": "updateconfig", "listname": "users", "tid": self.user_id},
                self._own_config,
            )
            while True:
                message = connection.read()
                if message is None:
                    raise ConnectError(f"{connection.address} closed the connection")
                self._heard = time.monotonic()
                ending = self._dispatch(message)
                if ending:
                    return ending
        except ConnectError as exc:
            if self.stopping.is_set():
                return "stopped"
            self.output.record("disconnected", f"disconnected: {exc}", reason=str(exc))
            return "lost"
        finally:
            self.logged_in.clear()
            keepalive.kill(block=False)
            self._connection = None
            self._inflight.fail_all()
            connection.close()

    def _keepalive(self, connection: Connection) -> None:
        """Send a keepalive each period; if nothing at all came since the previous one, the
        link is dead even when TCP says otherwise (the Qt client's rule)."""
        sent = 0.0
        while True:
            gevent.sleep(self.settings.keepalive)
            if sent and self._heard < sent:
                log.info(
                    "no answer from %s within %.0f s", connection.address, self.settings.keepalive
                )
                connection.close()
                return
            sent = time.monotonic()
            try:
                connection.send({"class": "keepalive"})
            except ConnectError:
                return  # the reader sees it too and reconnects

    # --- messages -----------------------------------------------------------------------------

    def _dispatch(self, message: Message) -> str:
        """Show one message, act on it; returns how the session ends, or "" to go on."""
        kind = message.get("class")
        if kind == "sheet" and message.get("function") == "displaysheet":
            self._sheet(message)
        else:
            self.output.message(message)
        reply_id = message.get("replyid")
        if isinstance(reply_id, int):
            self._inflight.answer(reply_id, message)
        if kind == "getlist" and message.get("listname") == "phones":
            self.phones.update(message)
        if kind == "disconnect" and message.get("type") == "force":
            self.output.record(
                "disconnected",
                "disconnected by the server: another session took over",
                reason="force",
            )
            return "kicked"
        if kind == "logout" and reply_id is not None:
            return "logout"
        return ""

    def _sheet(self, message: Message) -> None:
        try:
            sheet = decode_sheet(message)
        except SheetFormatError as exc:
            self.output.message(message)
            self.output.record("error", f"error: sheet not shown: {exc}", error=str(exc))
            return
        self.output.sheet(message, sheet)
        if self.actions is not None:
            for action in sheet.actions:
                self.actions.start(action)

    # --- what the client keeps of its own state -----------------------------------------------

    def _ask(
        self, connection: Connection, fields: dict[str, Any], then: Callable[[Message], None]
    ) -> None:
        request = {"class": "getlist", "tipbxid": self.ipbx_id, **fields}
        self._inflight.own(connection.send(request), then)

    def _own_config(self, reply: Message) -> None:
        connection = self._connection
        for line in self.phones.learn_lines(reply):
            if connection is not None:
                fields = {"function": "updatestatus", "listname": "phones", "tid": line}
                self._ask(connection, fields, lambda _reply: None)

    # --- typed commands -----------------------------------------------------------------------

    def type(self, line: str) -> None:
        """Act on one line typed at the prompt (or read from stdin)."""
        try:
            command = parse(line, self.phones.current_channel())
        except CommandError as exc:
            self.output.record("error", f"error: {exc}", error=str(exc))
            return
        if command is None:
            return
        if command.name == "help":
            self.output.record("note", HELP, text=HELP)
        elif command.name == "quit":
            self.stop()
        elif command.request is not None:
            self._send(command, command.request)

    def _send(self, command: Command, request: dict[str, Any]) -> None:
        # Lines piped in before the login finished wait for it, within the usual timeout.
        self.logged_in.wait(self.settings.timeout)
        connection = self._connection
        if connection is None or not self.logged_in.is_set():
            self._inflight.result(command, False, "not connected", None)
            return
        try:
            command_id = connection.send(request)
        except ConnectError as exc:
            self._inflight.result(command, False, str(exc), None)
            return
        self._inflight.command(command_id, command)

    def drain(self) -> None:
        """Wait (within the usual timeout) until every typed command has its answer."""
        self._inflight.wait(self.settings.timeout)
