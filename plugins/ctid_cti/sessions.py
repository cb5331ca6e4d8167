"""CTI sessions and the hub: who is connected, as whom, and the one send function.

Every outbound message, whatever produced it (a reply, a status push, a broadcast, a sheet from
another plugin), goes through `Hub.send` (or `Hub.send_batch`, the same filter for several
broadcasts at once). With `parting.context_separation` on, a logged-in session receives a
message only when the contexts the message concerns share one with the session's tenant; a
message that concerns no context reaches nobody, and sessions that are not logged in receive
only `SELF` replies. Each session writes into its connection's bounded queue,
so a slow client is disconnected instead of slowing the others.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import gevent

from ctid.api import SELF, CtiSession, LineConnection, Scope, SelfScope, User
from ctid_cti import codec

log = logging.getLogger(__name__)

FORCE_DISCONNECT = {"class": "disconnect", "type": "force"}


class Session:
    """One CTI client connection, before and after login (the `CtiSession` of handlers)."""

    def __init__(self, hub: Hub, connection: LineConnection) -> None:
        self.hub = hub
        self.connection = connection
        self.started = time.monotonic()
        self.session_id = ""
        self.user: User | None = None
        self.profile: Mapping[str, Any] = {}
        self.contexts: frozenset[str] = frozenset()
        self.pending = 0
        """AMI commands of this session in flight (bounded by `pending_commands`)."""
        self.subscribed = False
        """The client asked for the `whom: subscribe` sheets (`subscribe` in login_capas)."""

    def __repr__(self) -> str:
        who = self.user.login if self.user else "-"
        return f"<CTI session {who} {self.peer[0]}:{self.peer[1]}>"

    @property
    def peer(self) -> tuple[str, int]:
        """The client's address and port."""
        return self.connection.peer

    @property
    def listener(self) -> str:
        """The `listen.<name>` this client came in on (`cti`, `ctis`)."""
        return self.connection.server.name

    @property
    def logged_in(self) -> bool:
        """Whether login_capas succeeded."""
        return self.user is not None

    @property
    def is_tls(self) -> bool:
        """Whether the connection is encrypted."""
        return self.connection.is_tls

    def send(self, message: Mapping[str, Any], *, contexts: Scope) -> bool:
        """Send to this client through the hub's filter."""
        return self.hub.send(message, contexts=contexts, to=(self,)) == 1

    def reply(self, request: Mapping[str, Any], **fields: Any) -> bool:
        """Answer `request`: its class, its commandid as replyid, then `fields`."""
        message: dict[str, Any] = {"class": request.get("class", ""), **fields}
        command_id = codec.reply_id(request)
        if command_id is not None:
            message["replyid"] = command_id
        return self.hub.send(message, contexts=SELF, to=(self,)) == 1

    def write(self, data: bytes) -> bool:
        """Queue encoded bytes (only the hub calls this)."""
        return self.connection.send(data)

    def close(self, reason: str) -> None:
        """Disconnect after what is queued."""
        self.connection.close(reason)


class Hub:
    """Every CTI connection, the logged-in sessions indexed by user and context, and `send`."""

    def __init__(
        self,
        *,
        separation: Callable[[], bool],
        on_leave: Callable[[User], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._separation = separation
        self._on_leave = on_leave
        self._clock = clock
        self.connections: set[Session] = set()
        self._logged: dict[Session, None] = {}
        self._by_user: dict[str, list[Session]] = {}
        self._by_context: dict[str, set[Session]] = {}

    # --- the one send function ----------------------------------------------------------------

    def send(
        self,
        message: Mapping[str, Any],
        *,
        contexts: Scope,
        to: Collection[CtiSession] | None = None,
    ) -> int:
        """Queue `message` for each session of `to` (default: every logged-in one) it may reach."""
        if to is None:
            if isinstance(contexts, SelfScope):
                raise ValueError("a SELF message needs explicit recipients")
            return self.send_batch([(message, contexts)])
        separate = self._separation()
        data: bytes | None = None
        sent = 0
        for session in to:
            # Only sessions of this hub can be written to; the filter decides which may be.
            if not isinstance(session, Session) or not _admits(session, contexts, separate):
                continue
            if data is None:
                data = codec.encode(message, self._clock())
            sent += session.write(data)
        return sent

    def send_batch(
        self,
        messages: Sequence[tuple[Mapping[str, Any], Collection[str]]],
        *,
        yield_every: int = 0,
    ) -> int:
        """Queue several (message, contexts) for every logged-in session each may reach, in order.

        Consecutive messages concerning the same contexts reach each of their sessions as one
        write: one wake of its writer and one send for the lot, which is what keeps a status
        push to thousands of clients affordable. With `yield_every`, the push waits for the loop
        to be idle after each that many writes (the AMI reader and sheets go first during a long
        push); sessions that leave meanwhile are skipped. Returns the messages queued, summed
        over sessions.
        """
        sent = written = 0
        now = self._clock()
        for contexts, group in itertools.groupby(messages, key=lambda item: frozenset(item[1])):
            # The tenant index holds exactly the logged-in sessions the filter admits.
            audience = self._audience(contexts)
            if not audience:
                continue
            lines = [codec.encode(message, now) for message, _ in group]
            data = b"".join(lines)
            for session in audience:
                sent += len(lines) * session.write(data)
                written += 1
                if yield_every and written % yield_every == 0:
                    # idle(), not sleep(0): the loop polls sockets and timers before coming
                    # back, so the AMI reader is not held behind the whole push.
                    gevent.idle()
        return sent

    def admits(self, session: CtiSession, contexts: Scope) -> bool:
        """Whether a message concerning `contexts` may reach `session`."""
        return _admits(session, contexts, self._separation())

    def _audience(self, contexts: Collection[str]) -> list[Session]:
        if not self._separation():
            return list(self._logged)
        found: dict[Session, None] = {}
        for context in contexts:
            found.update(dict.fromkeys(self._by_context.get(context, ())))
        return list(found)

    # --- registry -----------------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        """Logged-in sessions, oldest first."""
        return list(self._logged)

    def sessions_of(self, user_id: str) -> list[Session]:
        """A user's logged-in sessions, oldest first."""
        return list(self._by_user.get(user_id, ()))

    def admit(self, session: Session, user: User, profile: Mapping[str, Any]) -> str | None:
        """Log `session` in as `user`, applying the profile's session policy.

        :returns: None, or the error code of a refusal (`toomuchusers:<n>`).
        """
        existing = self._by_user.get(user.id, [])
        limit = int(profile["max_sessions"])
        if len(existing) >= limit:
            if profile["session_policy"] == "refuse":
                return f"toomuchusers:{limit}"
            for old in existing[: len(existing) - limit + 1]:
                self._unindex(old)
                old.send(FORCE_DISCONNECT, contexts=SELF)
                old.close(f"{user.login} logged in again from {session.peer[0]}")
        session.user, session.profile = user, profile
        self._index(session)
        return None

    def update(self, session: Session, user: User, profile: Mapping[str, Any]) -> None:
        """The session's user changed (lines, profile): re-index its tenant."""
        self._unindex(session)
        session.user, session.profile = user, profile
        self._index(session)

    def expel(self, session: Session, reason: str) -> None:
        """Log a session out now (kick, user removed): `disconnect force`, then close."""
        user = session.user
        was_in = session in self._logged
        self._unindex(session)
        session.send(FORCE_DISCONNECT, contexts=SELF)
        session.close(reason)
        if was_in and user is not None and not self._by_user.get(user.id):
            self._on_leave(user)

    def detach(self, session: Session) -> None:
        """The connection is gone: forget it; the user's last session leaving is told."""
        self.connections.discard(session)
        user = session.user
        if session in self._logged:
            self._unindex(session)
            if user is not None and not self._by_user.get(user.id):
                self._on_leave(user)

    def _index(self, session: Session) -> None:
        assert session.user is not None
        session.contexts = session.user.contexts
        self._logged[session] = None
        self._by_user.setdefault(session.user.id, []).append(session)
        for context in session.contexts:
            self._by_context.setdefault(context, set()).add(session)

    def _unindex(self, session: Session) -> None:
        self._logged.pop(session, None)
        if session.user is not None:
            mine = self._by_user.get(session.user.id, [])
            if session in mine:
                mine.remove(session)
            if not mine:
                self._by_user.pop(session.user.id, None)
        for context in session.contexts:
            members = self._by_context.get(context)
            if members is not None:
                members.discard(session)
                if not members:
                    del self._by_context[context]


def _admits(session: CtiSession, contexts: Scope, separate: bool) -> bool:
    if isinstance(contexts, SelfScope):
        return True
    if session.user is None:
        return False
    return not separate or not session.contexts.isdisjoint(contexts)
