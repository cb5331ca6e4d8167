"""Queues and agents: members and their state, callers waiting, logged-in agents.

Fed from app_queue's member and caller events (and the QueueStatus / Agents list items after a
reconnect); the call events of queues (`incomingqueue`, `agent*`) are the model's business.
Everything here is bounded by Asterisk's configuration (queues, members, agents), except the
callers, which leave on QueueCallerLeave or with their channel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

AGENT_INTERFACE = "Agent/"
"""chan_agent members (Asterisk ≤ 11): `Agent/1001`."""
AGENT_STATE = "Agent:"
"""app_agent_pool members (12+): a Local member whose StateInterface is `Agent:1001`."""

_MEMBER_FIELDS = (
    ("state_interface", "StateInterface"),
    ("membership", "Membership"),
    ("penalty", "Penalty"),
    ("calls_taken", "CallsTaken"),
    ("last_call", "LastCall"),
    ("in_call", "InCall"),
    ("status", "Status"),
    ("paused", "Paused"),
    ("paused_reason", "PausedReason"),
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MemberInfo:
    """One queue member as app_queue last described it (values as Asterisk sends them)."""

    interface: str
    name: str = ""
    state_interface: str = ""
    membership: str = ""
    penalty: str = ""
    calls_taken: str = ""
    last_call: str = ""
    in_call: str = ""
    status: str = ""
    """Device state number: 1 not in use, 2 in use, 3 busy, 5 unavailable, 6 ringing, 8 on hold."""
    paused: str = ""
    paused_reason: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class QueueInfo:
    """A read-only copy of one queue."""

    name: str
    strategy: str
    members: tuple[MemberInfo, ...]
    callers: tuple[str, ...]
    """Uniqueids of the waiting callers, in order of arrival."""
    abandoned: int
    """Callers who gave up since ctid started."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AgentInfo:
    """A read-only copy of one logged-in agent."""

    agent: str
    name: str
    status: str
    """`idle`, `ringing` or `busy`."""
    channel: str
    """The agent's own channel (the one that ran AgentLogin), when known."""
    queue: str
    """The queue of the current or last queue call."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(slots=True)
class _Queue:
    name: str
    strategy: str = ""
    members: dict[str, MemberInfo] = dataclasses.field(default_factory=dict)
    callers: dict[str, None] = dataclasses.field(default_factory=dict)
    abandoned: int = 0


class QueueBook:
    """Every queue ctid heard of, with members and callers, and every logged-in agent."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self._agents: dict[str, AgentInfo] = {}

    def _queue(self, name: str) -> _Queue:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = _Queue(name)
        return queue

    def params(self, event: Mapping[str, str]) -> None:
        """A QueueParams list item (QueueStatus): the queue exists, with this strategy."""
        name = event.get("Queue")
        if name:
            self._queue(name).strategy = event.get("Strategy", "")

    def member(self, event: Mapping[str, str]) -> None:
        """A QueueMember* event or QueueMember list item: add or update that member."""
        name = event.get("Queue")
        # List items say Location/Name where events say Interface/MemberName.
        interface = event.get("Interface") or event.get("Location")
        if not name or not interface:
            return
        queue = self._queue(name)
        old = queue.members.get(interface) or MemberInfo(interface=interface)
        changes = {attr: event[key] for attr, key in _MEMBER_FIELDS if key in event}
        member_name = event.get("MemberName") or event.get("Name")
        if member_name:
            changes["name"] = member_name
        queue.members[interface] = dataclasses.replace(old, **changes)

    def member_removed(self, event: Mapping[str, str]) -> None:
        """QueueMemberRemoved."""
        queue = self._queues.get(event.get("Queue", ""))
        if queue is not None:
            queue.members.pop(event.get("Interface", ""), None)

    def caller_joined(self, name: str, uniqueid: str) -> None:
        """QueueCallerJoin: the caller waits at the end of the queue."""
        self._queue(name).callers[uniqueid] = None

    def caller_left(self, name: str, uniqueid: str, *, abandoned: bool = False) -> None:
        """QueueCallerLeave / QueueCallerAbandon, or the caller's channel went away."""
        queue = self._queues.get(name)
        if queue is None:
            return
        if abandoned and uniqueid in queue.callers:
            queue.abandoned += 1
        queue.callers.pop(uniqueid, None)

    def agent_of(self, queue: str, interface: str) -> str:
        """The agent number behind a member interface, "" when the member is no agent."""
        if interface.startswith(AGENT_INTERFACE):
            return interface[len(AGENT_INTERFACE) :]
        known = self._queues.get(queue)
        member = known.members.get(interface) if known is not None else None
        if member is not None and member.state_interface.startswith(AGENT_STATE):
            return member.state_interface[len(AGENT_STATE) :]
        return ""

    def agent_logged_in(self, agent: str, channel: str, name: str = "") -> None:
        """AgentLogin, or an Agents list item of a logged-in agent."""
        old = self._agents.get(agent)
        self._agents[agent] = AgentInfo(
            agent=agent,
            name=name or (old.name if old else ""),
            status=old.status if old else "idle",
            channel=channel or (old.channel if old else ""),
            queue=old.queue if old else "",
        )

    def agent_logged_off(self, agent: str) -> None:
        """AgentLogoff: the agent is forgotten (bounded state; clients see it gone)."""
        self._agents.pop(agent, None)

    def agent_status(self, agent: str, status: str, queue: str) -> None:
        """A queue call reached a logged-in agent (AgentCalled/Connect/Complete/RingNoAnswer)."""
        old = self._agents.get(agent)
        if old is not None:
            self._agents[agent] = dataclasses.replace(old, status=status, queue=queue)

    def queues(self) -> tuple[QueueInfo, ...]:
        """Read-only copies of every queue."""
        return tuple(
            QueueInfo(
                name=queue.name,
                strategy=queue.strategy,
                members=tuple(queue.members.values()),
                callers=tuple(queue.callers),
                abandoned=queue.abandoned,
            )
            for queue in self._queues.values()
        )

    def agents(self) -> tuple[AgentInfo, ...]:
        """Read-only copies of every logged-in agent."""
        return tuple(self._agents.values())
