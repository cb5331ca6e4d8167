"""CtiTestClient: a scripted CTI client for tests of the CTI port and of plugins' CTI commands.

It speaks the wire protocol the way a client does (banner line, then one JSON object per line,
`commandid` on every request) over TCP or TLS, and keeps every message it receives::

    client = CtiTestClient(server_address)              # or tls=ssl_context
    client.login("alice", "secret")                     # login_id, login_pass, login_capas
    reply = client.request({"class": "getipbxlist"})    # send, wait for the matching replyid
    push = client.expect("chitchat", timeout=2)         # a class, or any predicate
    client.close()

Reading is synchronous with deadlines: `expect` reads until a message matches or its deadline
passes (AssertionError), so tests never sleep. Messages that did not match wait in `pending`
for a later `expect`; `received` keeps them all, in order, for assertions over a whole session.
It does not import the CTI plugin: its tiny codec is its own, so it checks the plugin's instead
of sharing its mistakes.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

Message = dict[str, Any]
Predicate = Callable[[Message], bool]


class CtiLoginError(AssertionError):
    """A login step was answered with `error_string` (its value is `code`)."""

    def __init__(self, step: str, code: str) -> None:
        super().__init__(f"{step}: {code}")
        self.step = step
        self.code = code


class CtiTestClient:
    """One CTI connection driven by a test."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        tls: ssl.SSLContext | None = None,
        timeout: float = 5.0,
        read_banner: bool = True,
        source: str | None = None,
    ) -> None:
        """Connect (from the `source` address if given, e.g. another 127.0.0.x), do the TLS
        handshake with `tls`, then read the banner line."""
        bind = (source, 0) if source is not None else None
        sock = socket.create_connection(address, timeout=timeout, source_address=bind)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=address[0])
        self.sock = sock
        self.timeout = timeout
        self.received: list[Message] = []
        """Every JSON message received, in order."""
        self.pending: list[Message] = []
        """Received messages no `expect` has taken yet."""
        self.eof = False
        self.banner = ""
        self.session_id = ""
        self._buffer = b""
        self._ids = itertools.count(1)
        if read_banner:
            self.banner = self.read_line(timeout).decode("utf-8", "replace")

    # --- sending ------------------------------------------------------------------------------

    def send(self, message: Mapping[str, Any]) -> Any:
        """Send one message; a `commandid` is added unless present. Returns the commandid."""
        data = dict(message)
        data.setdefault("commandid", next(self._ids))
        self.send_raw(json.dumps(data).encode() + b"\n")
        return data["commandid"]

    def start_tls(self, context: ssl.SSLContext, server_hostname: str | None = None) -> None:
        """Upgrade this connection to TLS in place (after the server's STARTTLS answer)."""
        if self._buffer:
            raise AssertionError(f"unread bytes before the TLS handshake: {self._buffer!r}")
        self.sock.settimeout(self.timeout)
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (broken lines, garbage, floods)."""
        self.sock.sendall(data)

    def request(self, message: Mapping[str, Any], timeout: float | None = None) -> Message:
        """Send `message` and return the reply carrying its commandid as `replyid`."""
        command_id = self.send(message)
        return self.expect(lambda m: m.get("replyid") == command_id, timeout)

    # --- receiving ----------------------------------------------------------------------------

    def expect(self, what: str | Predicate, timeout: float | None = None) -> Message:
        """The first message (pending, then new) of class `what` or matching the predicate.

        :raises AssertionError: nothing matched within `timeout` seconds, or the server closed.
        """
        match = _predicate(what)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for index, message in enumerate(self.pending):
                if match(message):
                    return self.pending.pop(index)
            if not self._read_message(deadline):
                raise AssertionError(
                    f"no message matching {what!r} (eof={self.eof}; pending={self.pending})"
                )

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Read (keeping messages) until the server closes; False if it is still open."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.eof:
            if not self._read_message(deadline) and not self.eof:
                return False
        return True

    def read_line(self, timeout: float | None = None) -> bytes:
        """One raw line without its newline (the banner, or a line that is not JSON)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        line = self._line(deadline)
        if line is None:
            raise AssertionError(f"no line within the deadline (eof={self.eof})")
        return line

    def _read_message(self, deadline: float) -> bool:
        """Read one JSON line into `pending`; False at the deadline or at EOF."""
        while True:
            line = self._line(deadline)
            if line is None:
                return False
            try:
                message = json.loads(line)
            except ValueError:
                continue  # clients ignore lines that are not JSON, as the Qt client does
            if isinstance(message, dict):
                self.received.append(message)
                self.pending.append(message)
                return True

    def _line(self, deadline: float) -> bytes | None:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if self.eof or remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            except (ConnectionResetError, ssl.SSLError, OSError):
                chunk = b""
            if not chunk:
                self.eof = True
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.removesuffix(b"\r")

    # --- login --------------------------------------------------------------------------------

    def login(
        self,
        login: str,
        password: str,
        *,
        state: str = "available",
        legacy: bool = False,
        capaid: str | None = None,
        subscribe: bool = False,
    ) -> Message:
        """Log in (v1.2 dialect); returns the `login_capas` reply.

        With `legacy`, `password` is the user's legacy secret and is sent as
        `hashedpassword = sha1("<sessionid>:<secret>")`; with `subscribe`, the session asks for
        the `whom: subscribe` sheets.
        :raises CtiLoginError: a step was refused (`code` is its `error_string`).
        """
        reply = self._step(
            "login_id",
            {
                "class": "login_id",
                "userlogin": login,
                "company": "default",
                "ident": "X11-ctid-test",
                "xivoversion": "1.2",
                "git_hash": "0",
                "git_date": "0",
            },
        )
        self.session_id = str(reply["sessionid"])
        if legacy:
            digest = hashlib.sha1(f"{self.session_id}:{password}".encode()).hexdigest()  # noqa: S324  (the legacy protocol)
            secret: dict[str, str] = {"hashedpassword": digest}
        else:
            secret = {"password": password}
        reply = self._step("login_pass", {"class": "login_pass", **secret})
        profile = capaid if capaid is not None else str(reply["capalist"][0])
        capas = {"class": "login_capas", "capaid": profile, "state": state, "loginkind": "user"}
        return self._step("login_capas", {**capas, **({"subscribe": True} if subscribe else {})})

    def _step(self, step: str, message: Mapping[str, Any]) -> Message:
        reply = self.request(message)
        if "error_string" in reply:
            raise CtiLoginError(step, str(reply["error_string"]))
        return reply

    # --- end ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (without a logout)."""
        with contextlib.suppress(OSError):  # already gone
            self.sock.close()

    def __enter__(self) -> CtiTestClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _predicate(what: str | Predicate) -> Predicate:
    if isinstance(what, str):
        return lambda message: message.get("class") == what
    return what
