"""The small CTI commands (keepalive, logout, getipbxlist, chitchat, directory) and the dispatcher
that routes every logged-in message to its registered handler after the profile's checks.

Answers to a message the dispatcher cannot run, the session going on:
`{"class": <class>, "warning_string": "unknown_class" | "unallowed" | "noline" | "missing:…" |
"exception"}`. `noline`: a user without a line logs in but may only keep alive, log out and
read lists (its tenant is empty, so it sees nothing but itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import CtiCommandError, CtiHandler, CtiSession
from ctid_cti.sessions import Hub
from ctid_cti.targets import Targets

log = logging.getLogger(__name__)

LINELESS = frozenset({"keepalive", "logout", "getipbxlist", "getlist"})
MAX_CHAT = 2000
MAX_PATTERN = 256


class Dispatcher:
    """Routes a logged-in session's message to the handler registered for its class."""

    def __init__(self, registry: Callable[[], Mapping[str, CtiHandler]]) -> None:
        self._registry = registry

    def __call__(self, session: CtiSession, message: dict[str, Any]) -> None:
        """Run the handler of `message["class"]`, or answer why not."""
        kind = message["class"]
        problem = self._refusal(session, kind)
        if problem is not None:
            session.reply({**message, "class": kind or "error"}, warning_string=problem)
            return
        handler = self._registry()[kind]
        try:
            handler(session, message)
        except CtiCommandError as refused:
            session.reply(message, warning_string=refused.code)
        except Exception:
            log.exception("CTI command %s from %s failed", kind, session.peer[0])
            session.reply(message, warning_string="exception")

    def _refusal(self, session: CtiSession, kind: str) -> str | None:
        if not kind:
            return "missing:class"
        if kind.startswith("login_"):
            return "alreadylogged"
        if kind not in self._registry():
            return "unknown_class"
        if kind not in session.profile.get("commands", ()):
            return "unallowed"
        if not session.contexts and kind not in LINELESS:
            return "noline"
        return None


def keepalive(session: CtiSession, message: Mapping[str, Any]) -> None:
    """Answer, so that the client knows the server is there."""
    session.reply(message)


def logout(session: CtiSession, message: Mapping[str, Any]) -> None:
    """Acknowledge, then close once the acknowledgement is written."""
    session.reply(message, status="ok")
    session.close("logout")


Search = Callable[[str, list[str]], Mapping[str, Any] | None]


def directory(search: Search) -> CtiHandler:
    """A directory search in the caller's contexts, through the `ctid_search_directory` query
    hook; when no directory service answers, a well-formed empty result."""

    def handler(session: CtiSession, message: Mapping[str, Any]) -> None:
        pattern = message.get("pattern")
        if not isinstance(pattern, str):
            raise CtiCommandError("missing:pattern")
        if len(pattern) > MAX_PATTERN:
            raise CtiCommandError("invalid_pattern")
        user = session.user
        assert user is not None  # the dispatcher runs commands for logged-in sessions only
        contexts = list(dict.fromkeys(line.context for line in user.lines))
        found = search(pattern, contexts) or {}
        session.reply(
            message,
            headers=list(found.get("headers", [])),
            resultlist=list(found.get("resultlist", [])),
            status=str(found.get("status", "ok")),
        )

    return handler


def getipbxlist(ipbx_id: Callable[[], str]) -> CtiHandler:
    """The Asterisks this server serves (one)."""

    def handler(session: CtiSession, message: Mapping[str, Any]) -> None:
        session.reply(message, ipbxlist=[ipbx_id()])

    return handler


def chitchat(hub: Hub, targets: Targets) -> CtiHandler:
    """A text message to a user of the caller's tenant (all of that user's sessions)."""

    def handler(session: CtiSession, message: Mapping[str, Any]) -> None:
        text, to = message.get("text"), message.get("to")
        if to is None or text is None:
            raise CtiCommandError("missing:to,text")
        if not isinstance(text, str) or len(text) > MAX_CHAT:
            raise CtiCommandError("invalid_text")
        target, me = targets.user(session, to), targets.me(session)
        recipients = hub.sessions_of(target.id)
        if not recipients:
            raise CtiCommandError("not_connected")
        ipbx = targets.ipbx_id
        chat = {"class": "chitchat", "from": f"{ipbx}/{me.id}", "to": f"{ipbx}/{target.id}"}
        chat.update(fromname=me.fullname, text=text)
        # Scoped to the sender's tenant: the hub drops it unless the target shares a context.
        hub.send(chat, contexts=session.contexts, to=recipients)
        session.reply(message, status="ok")

    return handler
