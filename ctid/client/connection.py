"""One CTI connection from the client side: TCP, TLS or STARTTLS, JSON lines, the login steps.

Everything that can go wrong before a session is up becomes a `ClientError` whose message an
operator can act on: the connection refused, the TLS handshake failed (and why, with the option
that fixes it), the login refused (and what the server's code means). The password is sent once,
in `login_pass`, and is never part of an error, a log line or a repr.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any

import gevent.lock

from ctid import __version__

log = logging.getLogger(__name__)

Message = dict[str, Any]

MAX_LINE = 4 * 1024 * 1024
"""Longest line accepted from a server (sheets with forms and pictures stay far below)."""

LOGIN_HINTS = {
    "login_password": "wrong login or password",
    "login_throttled": "too many failed logins; wait a few minutes",
    "password_needs_tls": "this server takes passwords from other machines only over TLS: "
    "use --tls (the CTIs port, 5013) or --starttls",
    "starttls_required": "this server requires TLS on this port: add --starttls",
    "wrongprofile": "the server offered another profile",
    "toomuchusers": "this user has the most sessions allowed already",
    "missing:password": "no password given",
}


class ClientError(Exception):
    """The client cannot go on; the message says why, for a human."""


class ConnectError(ClientError):
    """No CTI connection: refused, unreachable, TLS failure, or lost."""


class LoginRefused(ClientError):
    """The server refused a login step; `code` is its `error_string`."""

    def __init__(self, step: str, code: str) -> None:
        base = code.split(":", 1)[0] if code.startswith("toomuchusers") else code
        hint = LOGIN_HINTS.get(base, "")
        super().__init__(f"login refused at {step}: {code}" + (f" ({hint})" if hint else ""))
        self.step = step
        self.code = code


def tls_context(cafile: str | None, insecure: bool) -> ssl.SSLContext:
    """A client TLS context: the system's CAs (or `cafile`), hostname checked unless insecure."""
    context = ssl.create_default_context(cafile=cafile)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Connection:
    """A connected CTI socket: send messages (a commandid each), read them one line at a time."""

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address
        self.banner = ""
        self._buffer = b""
        self._ids = itertools.count(1)
        self._write = gevent.lock.Semaphore()

    def send(self, message: Mapping[str, Any]) -> int:
        """Send one message with a fresh `commandid`; returns it. Raises ConnectError."""
        command_id = next(self._ids)
        data = json.dumps({**message, "commandid": command_id}).encode() + b"\n"
        with self._write:  # keepalives and typed commands come from different greenlets
            try:
                self.sock.sendall(data)
            except OSError as exc:
                raise ConnectError(f"connection to {self.address} lost: {exc}") from None
        return command_id

    def read(self, timeout: float | None = None) -> Message | None:
        """The next JSON object; None at end of stream. Lines that are not JSON objects are
        skipped, as every CTI client does. Raises ConnectError on timeout or failure."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            line = self.read_line(deadline)
            if line is None:
                return None
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                return message

    def read_line(self, deadline: float | None) -> bytes | None:
        """One line without its end; None at end of stream."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                raise ConnectError(f"{self.address} sent a line over {MAX_LINE} bytes")
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise ConnectError(f"{self.address} did not answer in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue  # the deadline check above reports it
            except OSError as exc:
                raise ConnectError(f"connection to {self.address} lost: {exc}") from None
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.removesuffix(b"\r")

    def request(self, message: Mapping[str, Any], timeout: float) -> Message:
        """Send and wait for the answer carrying the same id (login steps: nothing else comes)."""
        command_id = self.send(message)
        deadline = time.monotonic() + timeout
        while True:
            answer = self.read(max(0.0, deadline - time.monotonic()))
            if answer is None:
                raise ConnectError(f"{self.address} closed the connection")
            if answer.get("replyid") == command_id:
                return answer

    def start_tls(self, context: ssl.SSLContext, host: str) -> None:
        """Upgrade in place, after the server's STARTTLS answer."""
        self.sock = _handshake(context, self.sock, host, self.address)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # already closed by the peer
            self.sock.close()


def _handshake(context: ssl.SSLContext, sock: socket.socket, host: str, address: str) -> Any:
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        raise ConnectError(
            f"TLS failure with {address}: {exc.verify_message or exc} "
            "(give the server's CA with --cafile FILE, or --insecure for a test server)"
        ) from None
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        raise ConnectError(
            f"TLS failure with {address}: {exc} (is this a TLS port? CTIs is 5013)"
        ) from None


def connect(
    host: str, port: int, *, tls: ssl.SSLContext | None, starttls: bool, timeout: float
) -> Connection:
    """Connect, do TLS (from the first byte, or STARTTLS when asked and offered), read the
    banner. Raises ConnectError with the reason."""
    address = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ConnectError(f"connection refused by {address}: is ctid running there?") from None
    except OSError as exc:
        raise ConnectError(f"cannot connect to {address}: {exc}") from None
    if tls is not None and not starttls:
        sock = _handshake(tls, sock, host, address)
    connection = Connection(sock, address)
    first = connection.read_line(time.monotonic() + timeout)
    if first is None:
        connection.close()
        raise ConnectError(f"{address} closed the connection before its banner")
    text = first.decode("utf-8", "replace")
    if text.startswith("{") and '"starttls"' in text:
        _upgrade(connection, tls if starttls else None, host, timeout)
    elif starttls:
        connection.close()
        raise ConnectError(f"{address} does not offer STARTTLS (banner: {text[:80]!r})")
    else:
        connection.banner = text
    return connection


def _upgrade(connection: Connection, tls: ssl.SSLContext | None, host: str, timeout: float) -> None:
    """Answer a STARTTLS offer: upgrade when a TLS context is given, else stay in clear."""
    if tls is None:
        # Starting with login_id keeps the connection in clear (refused by `require` servers,
        # whose answer says to use --starttls).
        connection.banner = "STARTTLS offered, staying in clear"
        return
    answer = connection.request({"class": "starttls", "status": True}, timeout)
    if answer.get("starttls") is not True:
        connection.close()
        raise ConnectError(f"{connection.address} refused STARTTLS")
    connection.start_tls(tls, host)
    connection.banner = "STARTTLS"


def login(
    connection: Connection, login_name: str, password: str, *, state: str, timeout: float
) -> Message:
    """The three login steps (v1.2 dialect); returns the `login_capas` answer.

    Raises LoginRefused with the server's code, or ConnectError.
    """
    hello = {
        "class": "login_id",
        "userlogin": login_name,
        "company": "default",
        "ident": f"ctid-client-{__version__}",
        "xivoversion": "1.2",
    }
    _step(connection, hello, timeout)
    offered = _step(connection, {"class": "login_pass", "password": password}, timeout)
    profiles = offered.get("capalist")
    if not isinstance(profiles, list) or not profiles:
        raise LoginRefused("login_pass", "no profile offered")
    capas = {"class": "login_capas", "capaid": str(profiles[0]), "state": state}
    return _step(connection, capas, timeout)


def _step(connection: Connection, message: Mapping[str, Any], timeout: float) -> Message:
    answer = connection.request(message, timeout)
    if "error_string" in answer:
        raise LoginRefused(str(message["class"]), str(answer["error_string"]))
    return answer
