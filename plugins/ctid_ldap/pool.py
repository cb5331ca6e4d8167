"""Connections to one LDAP source: a small pool over its servers, failover in order, reconnect.

The only module that opens ldap3 connections (the library has had no release since 2021: keeping
it behind one adapter keeps a switch cheap). ldap3 is pure Python, so under gevent its sockets
are cooperative and every wait below is a socket timeout: `connect_timeout` covers TCP connect,
the TLS handshake and the bind; `search_timeout` covers each answer.

A server that fails to connect or bind rests before it is tried again (capped exponential
backoff): while the primary is down, calls go straight to the next server, and while every
server is down, calls fail at once instead of each paying a connect timeout on a ringing call.
A pooled connection that turns out dead (the server restarted) is replaced and the call retried
once, so a restart costs no failed lookup.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import ssl
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import gevent
import gevent.lock
import ldap3
from ldap3.core.exceptions import LDAPCommunicationError, LDAPExceptionError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_IDLE = 120.0
"""Seconds a pooled connection may sit unused before it is closed rather than reused: firewalls
and AD (MaxConnIdleTime) drop idle connections silently, and a dead one costs a search timeout."""


class LdapError(Exception):
    """A lookup failed; the message says why, with no secret in it."""


class LdapUnavailable(LdapError):
    """No server could serve the call (down, refused the bind, no answer in time)."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """How to reach and bind to the servers of one source."""

    servers: tuple[str, ...]
    bind_dn: str = ""
    bind_password: str = dataclasses.field(default="", repr=False)
    start_tls: bool = False
    ca_file: str | None = None
    verify: bool = True
    connect_timeout: float = 0.5
    search_timeout: float = 1.0
    pool_size: int = 4
    referrals: bool = False
    retry_min: float = 0.5
    retry_max: float = 30.0

    @property
    def uses_tls(self) -> bool:
        return self.start_tls or any(uri.lower().startswith("ldaps:") for uri in self.servers)


class ServerState:
    """One server of the list: its ldap3 description and how it has been doing."""

    def __init__(self, uri: str, settings: Settings) -> None:
        self.uri = uri
        parts = urllib.parse.urlsplit(uri)
        secure = parts.scheme.lower() == "ldaps"
        host = parts.hostname or ""
        self.server = ldap3.Server(
            host,
            port=parts.port or (636 if secure else 389),
            use_ssl=secure,
            tls=_tls(settings, host) if settings.uses_tls else None,
            get_info=ldap3.NONE,
            connect_timeout=settings.connect_timeout,
        )
        self.failures = 0
        self.resting_until = 0.0
        self.error = ""
        self.ok = False

    def failed(self, error: str, settings: Settings) -> None:
        self.ok, self.error = False, error
        self.failures += 1
        rest = min(settings.retry_max, settings.retry_min * 2 ** (self.failures - 1))
        self.resting_until = time.monotonic() + rest

    def succeeded(self) -> None:
        self.ok, self.error, self.failures, self.resting_until = True, "", 0, 0.0

    def view(self, now: float) -> dict[str, Any]:
        state = "up" if self.ok else ("down" if self.failures else "unknown")
        view: dict[str, Any] = {"uri": self.uri, "state": state}
        if self.error:
            view["error"] = self.error
        if self.resting_until > now:
            view["retry_in"] = round(self.resting_until - now, 3)
        return view


@dataclasses.dataclass(frozen=True)
class Pooled:
    """A bound connection, the rank of its server in the list, and when it was last used."""

    connection: ldap3.Connection
    rank: int
    since: float


class ConnectionPool:
    """At most `pool_size` bound connections, handed out one call at a time."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.servers = [ServerState(uri, settings) for uri in settings.servers]
        self._slots = gevent.lock.BoundedSemaphore(settings.pool_size)
        self._idle: list[Pooled] = []
        self._busy = 0
        self._closed = False

    def run(self, operation: Callable[[ldap3.Connection], T]) -> T:
        """Run `operation` on a bound connection; LdapUnavailable when no server can."""
        if self._closed:
            raise LdapUnavailable("the source is closed")
        wait = self.settings.connect_timeout + self.settings.search_timeout
        if not self._slots.acquire(timeout=wait):
            raise LdapUnavailable(f"all {self.settings.pool_size} connections stayed busy")
        self._busy += 1
        try:
            return self._run(operation)
        finally:
            self._busy -= 1
            self._slots.release()

    def _run(self, operation: Callable[[ldap3.Connection], T]) -> T:
        pooled = self._take_idle()
        if pooled is not None:
            try:
                return self._use(pooled, operation)
            except LDAPCommunicationError as error:
                if isinstance(error, TimeoutError):
                    raise LdapUnavailable(self._no_answer()) from None
                # The server closed it (restart, idle timeout): so it did the others.
                log.info(
                    "directory %s: pooled connection lost (%s), reconnecting", self.name, error
                )
                self._drop_idle()
        fresh = self._connect()
        try:
            return self._use(fresh, operation)
        except LDAPCommunicationError as error:
            if isinstance(error, TimeoutError):
                raise LdapUnavailable(self._no_answer()) from None
            raise LdapUnavailable(f"connection lost during the search: {error}") from None

    def _use(self, pooled: Pooled, operation: Callable[[ldap3.Connection], T]) -> T:
        try:
            result = operation(pooled.connection)
        except BaseException:
            # Timeout, kill or socket error mid-answer: the connection's state is unknown.
            _discard(pooled.connection)
            raise
        if self._closed:
            _discard(pooled.connection)
        else:
            self._idle.append(dataclasses.replace(pooled, since=time.monotonic()))
        return result

    def _no_answer(self) -> str:
        return f"no answer within search_timeout ({self.settings.search_timeout:g} s)"

    def _take_idle(self) -> Pooled | None:
        now = time.monotonic()
        while self._idle:
            pooled = self._idle.pop()
            if self._failback_due(pooled.rank, now):
                # A preferred server has rested: go back to it (or learn it is still down).
                self._idle.append(pooled)
                self._drop_idle()
                return None
            if now - pooled.since < MAX_IDLE and not pooled.connection.closed:
                return pooled
            _discard(pooled.connection)
        return None

    def _failback_due(self, rank: int, now: float) -> bool:
        return any(state.failures and state.resting_until <= now for state in self.servers[:rank])

    def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for pooled in idle:
            _discard(pooled.connection)

    def _connect(self) -> Pooled:
        """A bound connection to the first server that takes one, in configured order; servers
        resting after a failure are skipped."""
        now = time.monotonic()
        if all(state.resting_until > now for state in self.servers):
            wake = min(state.resting_until for state in self.servers) - now
            reasons = "; ".join(f"{state.uri}: {state.error}" for state in self.servers)
            raise LdapUnavailable(f"every server is down ({reasons}); next try in {wake:.1f} s")
        errors: list[str] = []
        for rank, state in enumerate(self.servers):
            if state.resting_until > now:
                continue
            try:
                connection = self._open(state)
            except gevent.Timeout:
                # The caller's deadline came first: still a server that did not answer in time.
                state.failed("no answer before the lookup deadline", self.settings)
                raise
            except (LDAPExceptionError, OSError, LdapUnavailable) as error:
                message = _describe(error)
                state.failed(message, self.settings)
                log.warning("directory %s: %s failed: %s", self.name, state.uri, message)
                errors.append(f"{state.uri}: {message}")
                continue
            if not state.ok:
                log.info("directory %s: connected to %s", self.name, state.uri)
            state.succeeded()
            return Pooled(connection, rank, time.monotonic())
        raise LdapUnavailable("; ".join(errors))

    def _open(self, state: ServerState) -> ldap3.Connection:
        settings = self.settings
        connection = ldap3.Connection(
            state.server,
            user=settings.bind_dn or None,
            password=settings.bind_password or None,
            auto_bind=ldap3.AUTO_BIND_NONE,
            client_strategy=ldap3.SYNC,
            auto_referrals=settings.referrals,
            read_only=True,
            check_names=False,
            auto_escape=False,  # ldapsource escapes every value itself
            raise_exceptions=False,
            return_empty_attributes=False,
            # No receive_timeout: ldap3 would pass it to setsockopt as an integer. The socket
            # keeps connect_timeout through TLS and bind; see the settimeout below.
            receive_timeout=None,
        )
        # ldap3 remembers failed addresses on its own for a while; the rests here decide.
        state.server.reset_availability()
        try:
            connection.open(read_server_info=False)
            if settings.start_tls and not state.server.ssl:
                connection.start_tls(read_server_info=False)
            # Anonymous sources bind too: the answer proves the server serves, so a server that
            # accepts connections and never answers fails here, under connect_timeout.
            if not connection.bind(read_server_info=False):
                result = connection.result or {}
                raise LdapUnavailable(
                    f"bind as {settings.bind_dn or '(anonymous)'} refused: "
                    f"{result.get('description', '?')}"
                    f" {result.get('message', '')}".rstrip()
                )
            connection.socket.settimeout(settings.search_timeout)
        except BaseException:
            _discard(connection)
            raise
        return connection

    def close(self) -> None:
        """Close idle connections now and busy ones when their call ends."""
        self._closed = True
        self._drop_idle()

    def health(self) -> dict[str, Any]:
        now = time.monotonic()
        servers = [state.view(now) for state in self.servers]
        if any(state.ok for state in self.servers):
            overall = "up" if all(view["state"] != "down" for view in servers) else "degraded"
        else:
            overall = "down" if any(state.failures for state in self.servers) else "unknown"
        return {
            "state": "closed" if self._closed else overall,
            "servers": servers,
            "connections": {
                "idle": len(self._idle),
                "busy": self._busy,
                "max": self.settings.pool_size,
            },
        }


def _tls(settings: Settings, host: str) -> ldap3.Tls:
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED if settings.verify else ssl.CERT_NONE,
        ca_certs_file=settings.ca_file,
        # SNI only for names: RFC 6066 forbids sending an IP address.
        sni=None if _is_ip(host) else host,
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    text = str(error) or type(error).__name__
    return text.replace("socket connection error while opening: ", "")


def _discard(connection: ldap3.Connection) -> None:
    # Close the socket without the unbind round trip: this runs on timeouts and errors, where
    # waiting on the server again is the last thing wanted.
    try:
        connection.strategy.close()
    except (LDAPExceptionError, OSError):
        log.debug("closing an LDAP connection failed", exc_info=True)
