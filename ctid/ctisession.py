"""The contract of CTI commands and CTI delivery: what a handler gets, how plugins reach clients.

A plugin adds a CTI command by returning `{class name: handler}` from `ctid_register_cti_commands`;
the CTI plugin calls `handler(session, message)` for every logged-in client message of that class
that the user's profile allows. A plugin that pushes messages to clients on its own (sheets, a
CRM) asks for the running `CtiHub` with `cti_hub(ctid)` and sends through it: the hub applies
tenant separation (`parting.context_separation`) and each client's bounded queue, always.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from ctid.handle import Ctid
    from ctid.users import User


class SelfScope:
    """The type of `SELF`, the scope of a message about the receiving session itself."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SELF"


SELF: Final = SelfScope()
"""Scope of a protocol reply that concerns only the session it goes to (a login step, an error,
an acknowledgement). Never use it for data about other users, phones, calls or queues: give
those messages the contexts they concern, so that the tenant filter can do its work."""

Scope = Collection[str] | SelfScope
"""What a message concerns: the dialplan contexts of the objects in it, or `SELF`."""


class CtiCommandError(Exception):
    """Raised by a handler to refuse a request: the client receives
    `{"class": <the request's class>, "warning_string": <code>}` and the session goes on.

    :param code: a short machine-readable reason (`unallowed`, `missing:destination`…).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CtiSession(Protocol):
    """One connected CTI client, as a command handler sees it.

    Identity comes from here, never from ids in the message: a handler that honours an id naming
    another user must check `profile["acts_for_others"]` and the tenant (`contexts`).
    """

    @property
    def user(self) -> User | None:
        """The logged-in user (None before `login_capas` succeeded)."""

    @property
    def profile(self) -> Mapping[str, Any]:
        """The user's validated profile (`profiles.<name>`); {} before login."""

    @property
    def contexts(self) -> frozenset[str]:
        """The user's tenant: the contexts of its lines (empty: the user can do nothing)."""

    @property
    def peer(self) -> tuple[str, int]:
        """The client's address and port."""

    def send(self, message: Mapping[str, Any], *, contexts: Scope) -> bool:
        """Send one message to this client if `contexts` is in its tenant (or is `SELF`).

        `timenow` is added; the message must be JSON-ready. False when it was dropped (other
        tenant) or the client is gone or too slow.
        """

    def reply(self, request: Mapping[str, Any], **fields: Any) -> bool:
        """Answer `request`: its class, `replyid` = its `commandid`, then `fields` (`SELF`)."""

    def close(self, reason: str) -> None:
        """Disconnect the client after what is queued for it (the reason is logged)."""


CtiHandler = Callable[[CtiSession, Mapping[str, Any]], Any]
"""A CTI command: called in the session's reader greenlet with the session and the decoded
message (a dict whose `class` is the registered name). It answers with `session.reply`, or raises
CtiCommandError. It may block only briefly: the session reads its next message after it returns."""


class CtiHub(Protocol):
    """The CTI sessions of a daemon and the one function every outbound message goes through."""

    def send(
        self,
        message: Mapping[str, Any],
        *,
        contexts: Scope,
        to: Collection[CtiSession] | None = None,
    ) -> int:
        """Deliver `message` to the logged-in sessions (`to`, or all) whose tenant it concerns.

        With separation on, a session receives it only when `contexts` shares a context with the
        session's; a message concerning no context reaches nobody. `SELF` needs an explicit `to`.
        :returns: the number of sessions it was queued for.
        """

    def sessions(self) -> Sequence[CtiSession]:
        """The logged-in sessions, oldest first."""

    def sessions_of(self, user_id: str) -> Sequence[CtiSession]:
        """The logged-in sessions of one user, oldest first."""


HUB_SERVICE = "cti_hub"


def provide_cti_hub(ctid: Ctid, hub: CtiHub | None) -> None:
    """Publish the CTI hub of `ctid`'s daemon (the CTI plugin at start; None when it stops)."""
    ctid.provide(HUB_SERVICE, hub)


def cti_hub(ctid: Ctid) -> CtiHub | None:
    """The CTI hub of `ctid`'s daemon: None when no CTI plugin runs (yet)."""
    hub: CtiHub | None = ctid.service(HUB_SERVICE)
    return hub
