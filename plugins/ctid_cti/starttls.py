"""STARTTLS on the clear CTI port, the way the Wazo/XiVO Qt client does it.

With `listen.cti.starttls` set to `offer` or `require`, the server's first line is
`{"class":"starttls"}` (in place of the text banner, as the client's own servers did). A client
answering `{"class":"starttls","status":true}` gets `{"class":"starttls","starttls":true}`, and
the same socket is upgraded to TLS before anything else is read. A client answering
`status:false`, or one that starts with `login_id` (a v1.2 client, a Qt client with encryption
off), stays in clear; under `require` its `login_id` is then refused with `starttls_required`.
Only the first answer counts: the Qt client sends its status line a second time inside TLS, and
that line, like any later one, is ignored.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Mapping
from typing import Any

from ctid.api import SELF
from ctid_cti.sessions import Session

OFF, OFFER, REQUIRE = "off", "offer", "require"
GREETING = {"class": "starttls"}
REQUIRED = "starttls_required"


@dataclasses.dataclass(frozen=True)
class StartTlsPolicy:
    """What the clear CTI port does about TLS (fixed at start, as its port is)."""

    mode: str = OFF
    context: ssl.SSLContext | None = None
    allow_clear_login: bool = False
    """Whether a clear `password` may come from any address over an unencrypted connection."""

    def __post_init__(self) -> None:
        if self.mode != OFF and self.context is None:
            raise ValueError(f"starttls: {self.mode} needs a TLS context")


class StartTls:
    """The STARTTLS step of one connection."""

    def __init__(self, policy: StartTlsPolicy, session: Session) -> None:
        self.policy = policy
        self.session = session
        self._answered = False

    def greet(self) -> bool:
        """Offer TLS as the first line; False when this listener does not offer it."""
        if self.policy.mode == OFF:
            return False
        self.session.send(GREETING, contexts=SELF)
        return True

    def handle(self, message: Mapping[str, Any]) -> None:
        """A client's `starttls` line: upgrade on `status:true` when offered, else stay clear."""
        if self._answered or self.session.is_tls or self.session.session_id:
            return  # the Qt client's second status line, or a late one once login has begun
        self._answered = True
        context = self.policy.context
        upgrade = message.get("status") is True and self.policy.mode != OFF and context is not None
        self.session.reply(message, starttls=upgrade)
        if upgrade:
            assert context is not None
            # The answer is queued first: the line server writes it in clear, then handshakes.
            self.session.connection.start_tls(context)

    def refusal(self) -> str | None:
        """Why a login may not begin on this connection, or None."""
        if self.policy.mode == REQUIRE and not self.session.is_tls:
            return REQUIRED
        return None
