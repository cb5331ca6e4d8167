"""One CTI connection on the line server: banner (or STARTTLS offer), login timeout, decoding,
routing.

Malformed input closes only that connection, after one error line:
`{"class": "error", "error_string": "invalid_json" | "not_an_object" | "line_too_long"}`.
Before login, anything but the login steps gets `error_string: "notloggedyet"` and a close; a
client that has not finished logging in within `timeouts.login` gets `{"class": "disconn"}`
and a close. Blank lines are ignored. `starttls` lines go to the STARTTLS step
(ctid_cti.starttls) whenever they come.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent

from ctid.api import SELF, LineConnection, __version__
from ctid_cti import codec
from ctid_cti.login import LoginFlow
from ctid_cti.sessions import Hub, Session
from ctid_cti.starttls import StartTls, StartTlsPolicy

Dispatch = Callable[[Session, dict[str, Any]], None]


class CtiConnection:
    """The LineHandler of one CTI client."""

    def __init__(
        self,
        connection: LineConnection,
        *,
        hub: Hub,
        login: Callable[[Session], LoginFlow],
        dispatch: Dispatch,
        login_timeout: float,
        starttls: StartTlsPolicy,
    ) -> None:
        self.session = Session(hub, connection)
        self.hub = hub
        self.flow = login(self.session)
        self.starttls = StartTls(starttls, self.session)
        self._dispatch = dispatch
        self._login_timeout = login_timeout
        self._timer: gevent.Greenlet | None = None
        hub.connections.add(self.session)

    def connected(self) -> None:
        """Send the banner, or offer STARTTLS; start the login clock."""
        if not self.starttls.greet():
            self.session.write(codec.banner(__version__))
        self._timer = gevent.spawn_later(self._login_timeout, self._too_late)

    def line_received(self, line: bytes) -> None:
        """Decode one line and route it."""
        if not line.strip():
            return
        try:
            message = codec.decode(line)
        except codec.DecodeError as error:
            self._fatal({"class": "error", "error_string": error.code}, f"bad input: {error.code}")
            return
        kind = message["class"]
        if kind == "starttls":
            self.starttls.handle(message)
            return
        if self.session.logged_in:
            self._dispatch(self.session, message)
            return
        if not kind.startswith("login_"):
            self.session.reply(message, error_string="notloggedyet")
            self.session.close("command before login")
            return
        refused = self.starttls.refusal() if kind == "login_id" else None
        if refused is not None:
            self.session.reply(message, error_string=refused)
            self.session.close("clear login on a listener that requires STARTTLS")
            return
        if not self.flow.handle(message):
            self.session.close("login refused")
        elif self.session.logged_in and self._timer is not None:
            self._timer.kill(block=False)

    def line_too_long(self) -> bytes | None:
        """The last words before the line server closes the connection."""
        return codec.encode({"class": "error", "error_string": "line_too_long"}, time.time())

    def closed(self, reason: str) -> None:
        """Release the session."""
        if self._timer is not None:
            self._timer.kill(block=False)
        self.hub.detach(self.session)

    def _too_late(self) -> None:
        if not self.session.logged_in:
            self._fatal({"class": "disconn"}, "login timeout")

    def _fatal(self, message: dict[str, Any], reason: str) -> None:
        self.session.send(message, contexts=SELF)
        self.session.close(reason)
