"""Calls through app_queue: `incomingqueue`, `agentcalled`, `agentlinked`, `agentunlinked`.

Also keeps the queue book (members, callers, agents) up to date from the queue and agent events.
A queue call event is about the caller's channel; its peer is the member's channel, `queue`,
`member_interface` and `agent` say which queue and member, `called_num` / `called_name` are the
agent number (else the member interface's number) and the MemberName.
"""

from __future__ import annotations

from collections.abc import Mapping

from ctid.callevents import CallEvent
from ctid.calls.channels import DEST, dialled_number
from ctid.calls.events import CallEventFactory, Handler, silently
from ctid.calls.queues import QueueBook
from ctid.calls.registry import Registry

_AGENT_EVENTS = {
    # AMI event: (call event, agent status afterwards)
    "AgentCalled": ("agentcalled", "ringing"),
    "AgentConnect": ("agentlinked", "busy"),
    "AgentComplete": ("agentunlinked", "idle"),
    "AgentRingNoAnswer": ("", "idle"),
    "AgentDump": ("", "idle"),
}
_MEMBER_EVENTS = (
    "QueueMemberAdded",
    "QueueMemberStatus",
    "QueueMemberPause",
    "QueueMemberPaused",  # Asterisk 11 name
    "QueueMemberPenalty",
    "QueueMemberRinginuse",
    "QueueMember",  # QueueStatus list item
)
_LOGGED_OFF = "AGENT_LOGGEDOFF"
_ON_CALL = "AGENT_ONCALL"


class QueueCalls:
    """The queue and agent handlers of the call model."""

    def __init__(self, registry: Registry, book: QueueBook, make: CallEventFactory) -> None:
        self._registry = registry
        self._book = book
        self._make = make

    def handlers(self) -> dict[str, Handler]:
        """AMI event name → handler, for the model's dispatch table."""
        table: dict[str, Handler] = {
            "QueueCallerJoin": self._on_caller_join,
            "QueueCallerLeave": self._on_caller_leave,
            "QueueCallerAbandon": self._on_caller_leave,
            "QueueMemberRemoved": silently(self._book.member_removed),
            "QueueParams": silently(self._book.params),
            "AgentLogin": self._on_agent_login,
            "AgentLogoff": self._on_agent_logoff,
            "Agents": self._on_agents_item,
        }
        table.update(dict.fromkeys(_MEMBER_EVENTS, silently(self._book.member)))
        table.update(dict.fromkeys(_AGENT_EVENTS, self._on_agent_call))
        return table

    def _on_caller_join(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.touch(event)
        queue = event.get("Queue")
        if channel is None or not queue:
            return []
        self._book.caller_joined(queue, channel.uniqueid)
        channel.queue = queue
        call = channel.call
        call.queue = queue
        if call.origin == "internal":
            call.origin = "queue"
        return [self._make.make("incomingqueue", event, channel, queue=queue)]

    def _on_caller_leave(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.seen(event)
        queue = event.get("Queue", "")
        if channel is not None:
            abandoned = event.get("Event") == "QueueCallerAbandon"
            self._book.caller_left(queue, channel.uniqueid, abandoned=abandoned)
            if channel.queue == queue:
                channel.queue = ""
        return []

    def _on_agent_call(self, event: Mapping[str, str]) -> list[CallEvent]:
        where, status = _AGENT_EVENTS[event.get("Event", "")]
        caller = self._registry.touch(event)
        member = self._registry.touch(event, DEST)
        queue = event.get("Queue", "")
        interface = event.get("Interface", "")
        agent = self._book.agent_of(queue, interface)
        if agent:
            self._book.agent_status(agent, status, queue)
        if caller is None or not where:
            return []
        fields = {
            "queue": queue,
            "agent": agent,
            "member_interface": interface,
            "called_num": agent or dialled_number(interface),
            "called_name": event.get("MemberName", ""),
        }
        return [self._make.make(where, event, caller, member, **fields)]

    def _on_agent_login(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.touch(event)
        agent = event.get("Agent")
        if agent:
            self._book.agent_logged_in(agent, channel.name if channel is not None else "")
        return []

    def _on_agent_logoff(self, event: Mapping[str, str]) -> list[CallEvent]:
        self._registry.known(event)
        self._book.agent_logged_off(event.get("Agent", ""))
        return []

    def _on_agents_item(self, event: Mapping[str, str]) -> list[CallEvent]:
        """An item of the Agents list (sent after a reconnect)."""
        agent, status = event.get("Agent"), event.get("Status", "")
        if not agent:
            return []
        if status == _LOGGED_OFF:
            self._book.agent_logged_off(agent)
            return []
        self._book.agent_logged_in(agent, event.get("Channel", ""), event.get("Name", ""))
        self._book.agent_status(agent, "busy" if status == _ON_CALL else "idle", "")
        return []
