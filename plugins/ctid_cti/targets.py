"""What a command names, resolved with identity from the session and the tenant check applied.

Ids come as `kind:ipbx/id` (`user:xivo/alice`, `chan:xivo/PJSIP/1001-00000001`,
`exten:xivo/1202`), as `ipbx/id`, or bare. Naming *another* user's line, channel or agent needs a
profile with `acts_for_others`; with separation on, every object named must also share a context
with the caller. Anything outside the caller's reach is answered exactly as if it did not exist.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from ctid.api import ChannelInfo, CtiCommandError, Ctid, CtiSession, Line, User

KINDS = frozenset({"user", "phone", "exten", "agent", "queue", "chan", "voicemail", "group"})
_DIAL = re.compile(r"\+?[0-9*#]{1,40}")
_DIAL_NOISE = str.maketrans("", "", " .-()")
_DISPLAY_UNSAFE = re.compile(r"[^\w .'-]")
MAX_REF = 200


@dataclasses.dataclass(frozen=True)
class Ref:
    """A parsed id: its kind (or the default), and the id within this ipbx."""

    kind: str
    id: str


@dataclasses.dataclass(frozen=True)
class Member:
    """A queue member to add, remove or pause."""

    interface: str
    state_interface: str
    name: str
    contexts: frozenset[str]


def parse(value: Any, default: str, ipbx_id: str) -> Ref:
    """Read an id; one of another ipbx, or malformed, is `unknown_id`."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise CtiCommandError("unknown_id")
    text = str(value).strip()
    if not text or len(text) > MAX_REF:
        raise CtiCommandError("unknown_id")
    kind, colon, rest = text.partition(":")
    if colon and kind in KINDS:
        ipbx, slash, ident = rest.partition("/")
        if not slash:
            return Ref(kind, rest)
        if ipbx not in (ipbx_id, "special"):
            raise CtiCommandError("unknown_id")
        return Ref(kind, ident if ipbx != "special" else rest)
    if default != "chan" and text.startswith(ipbx_id + "/"):
        text = text[len(ipbx_id) + 1 :]
    return Ref(default, text)


def dial_number(value: str) -> str:
    """A number fit for the dialplan (digits, * # and a leading +), or `baddestination`."""
    number = value.translate(_DIAL_NOISE)
    if not _DIAL.fullmatch(number):  # fullmatch: `$` would let a trailing newline in
        raise CtiCommandError("baddestination")
    return number


def display(name: str) -> str:
    """A name safe inside an AMI CallerID ("Name" <num>): no quotes, brackets or controls."""
    return _DISPLAY_UNSAFE.sub("", name)[:40].strip()


class Targets:
    """Resolves ids against the users and the call model, for one session at a time."""

    def __init__(
        self,
        ctid: Ctid,
        *,
        separation: Callable[[], bool],
        queue_contexts: Callable[[str], frozenset[str] | None],
        channel_contexts: Callable[[ChannelInfo], frozenset[str]],
    ) -> None:
        self.ctid = ctid
        self._separation = separation
        self._queue_contexts = queue_contexts
        self._channel_contexts = channel_contexts

    @property
    def ipbx_id(self) -> str:
        """This Asterisk's id, the `ipbx` part of ids."""
        return self.ctid.ipbx.id

    def in_tenant(self, session: CtiSession, contexts: frozenset[str]) -> bool:
        """Whether objects of `contexts` are within the session's reach."""
        return not self._separation() or not contexts.isdisjoint(session.contexts)

    def others_allowed(self, session: CtiSession) -> bool:
        """Whether the profile may name other users' objects (switchboard, supervisor)."""
        return bool(session.profile.get("acts_for_others"))

    def me(self, session: CtiSession) -> User:
        """The session's user."""
        assert session.user is not None  # commands run for logged-in sessions only
        return session.user

    def first_line(self, user: User) -> Line:
        """The line a user calls from (its first), or `noline`."""
        if not user.lines:
            raise CtiCommandError("noline")
        return user.lines[0]

    def user(self, session: CtiSession, value: Any) -> User:
        """Any user of the caller's tenant (chitchat, destinations)."""
        ref = parse(value, "user", self.ipbx_id)
        if ref.kind != "user":
            raise CtiCommandError("unknown_user")
        user = self.me(session) if ref.id == "special:me" else self.ctid.users.by_id(ref.id)
        if user is None or not self.in_tenant(session, user.contexts):
            raise CtiCommandError("unknown_user")
        return user

    def line(self, session: CtiSession, value: Any) -> tuple[Line, User]:
        """A line to originate from: the caller's own, or (acts_for_others) one in the tenant."""
        ref = parse(value, "user", self.ipbx_id)
        me = self.me(session)
        if ref.kind == "user":
            user = me if ref.id == "special:me" else self.ctid.users.by_id(ref.id)
            if user is not None and (user is me or self._may_act_on(session, user.contexts)):
                return self.first_line(user), user
        elif ref.kind == "phone":
            for user in self.ctid.users.all().values():
                for line in user.lines:
                    mine = user.id == me.id
                    if line.id == ref.id and (mine or self._may_act_on(session, user.contexts)):
                        return line, user
        raise CtiCommandError("unknown_source")

    def destination(self, session: CtiSession, value: Any) -> tuple[str, str]:
        """(number, display name) of what to dial: a number, `exten:`, or a user or phone."""
        ref = parse(value, "exten", self.ipbx_id)
        if ref.kind == "exten":
            number = dial_number(ref.id)
            return number, number
        if ref.kind in ("user", "phone"):
            line, user = self._reachable_line(session, ref)
            return line.number, display(user.fullname) or line.number
        raise CtiCommandError("baddestination")

    def _reachable_line(self, session: CtiSession, ref: Ref) -> tuple[Line, User]:
        for user in self.ctid.users.all().values():
            for line in user.lines:
                found = user.id == ref.id if ref.kind == "user" else line.id == ref.id
                if found and self.in_tenant(session, frozenset({line.context})):
                    return line, user
        raise CtiCommandError("baddestination")

    def channel(self, session: CtiSession, value: Any) -> ChannelInfo:
        """A live channel of the caller's lines, or (acts_for_others) of its tenant."""
        ref = parse(value, "chan", self.ipbx_id)
        if ref.kind != "chan":
            raise CtiCommandError("nosuchchannel")
        me = self.me(session)
        for channel in self.ctid.ipbx.model.channels():
            if channel.name != ref.id:
                continue
            owner = self.ctid.users.by_interface(channel.interface)
            if owner is not None and owner.id == me.id:
                return channel
            if self._may_act_on(session, self._channel_contexts(channel)):
                return channel
        raise CtiCommandError("nosuchchannel")

    def peer(self, channel: ChannelInfo) -> ChannelInfo:
        """The other channel in `channel`'s bridge (a blind transfer moves it), or `notbridged`."""
        if channel.bridge:
            for other in self.ctid.ipbx.model.channels():
                if other.bridge == channel.bridge and other.uniqueid != channel.uniqueid:
                    return other
        raise CtiCommandError("notbridged")

    def agent(self, session: CtiSession, value: Any) -> tuple[str, User]:
        """An agent number: the caller's own (default), or (acts_for_others) one in the tenant."""
        me = self.me(session)
        if value is None or value == "":
            if not me.agent:
                raise CtiCommandError("noagent")
            return me.agent, me
        ref = parse(value, "agent", self.ipbx_id)
        user = me if ref.id in ("special:me", me.agent) else self.ctid.users.by_agent(ref.id)
        if ref.kind != "agent" or user is None or not user.agent:
            raise CtiCommandError("noagent")
        if user is not me and not self._may_act_on(session, user.contexts):
            raise CtiCommandError("noagent")
        return user.agent, user

    def queue(self, session: CtiSession, value: Any) -> str:
        """A known queue within the caller's tenant (contexts: `queue_contexts` or members')."""
        ref = parse(value, "queue", self.ipbx_id)
        contexts = self._queue_contexts(ref.id) if ref.kind == "queue" else None
        if contexts is None or not self.in_tenant(session, contexts):
            raise CtiCommandError("unknown_queue")
        return ref.id

    def _may_act_on(self, session: CtiSession, contexts: frozenset[str]) -> bool:
        return self.others_allowed(session) and self.in_tenant(session, contexts)
