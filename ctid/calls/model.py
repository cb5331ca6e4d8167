"""The call model: AMI events in, call events out (see the package docstring for the rules).

`feed()` is the hot path: one dict lookup from the event name to a handler, no regexes, no copy
of the event; unknown events cost that lookup only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from types import MappingProxyType

from ctid.callevents import CallEvent
from ctid.calls.channels import (
    LOCAL_ONE,
    LOCAL_TWO,
    CallInfo,
    Channel,
    ChannelInfo,
    snapshot_keys,
)
from ctid.calls.connections import Connections
from ctid.calls.events import CallEventFactory, Handler, silently
from ctid.calls.phones import PhoneBook, PhonesInfo
from ctid.calls.queuecalls import QueueCalls
from ctid.calls.queues import AgentInfo, QueueBook, QueueInfo
from ctid.calls.registry import Registry
from ctid.calls.userevents import DIALPLAN2CTI, custom_fields, dialplan_values

log = logging.getLogger(__name__)

OUTGOING_LINE = "(Outgoing Line)"
"""AppData of the Newexten Asterisk writes for a channel being dialled: no dialplan runs there."""
RINGING_INBOUND = "4"
"""ChannelState of a channel born ringing: a call coming in from a phone or a trunk."""

_SNAPSHOT_ONLY = (
    # Events that only show a channel is alive and which call it is in now (Linkedid).
    # BridgeCreate is not needed at all: a bridge is learned from its first BridgeEnter.
    "NewAccountCode",
    "HangupRequest",
    "SoftHangupRequest",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
)
_TRANSFER_KEYS = tuple(
    snapshot_keys(prefix)
    for prefix in (
        "Transferer",
        "Transferee",
        "OrigTransferer",
        "SecondTransferer",
        "TransferTarget",
    )
)


class CallModel:
    """Channels, calls, bridges, queues, agents and phones of one Asterisk, from its AMI events."""

    def __init__(
        self,
        *,
        ipbx_id: str,
        incoming_contexts: Collection[str] = (),
        outgoing_contexts: Collection[str] = (),
        custom_events: Collection[str] = (),
        max_calls: int = 10000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._incoming = frozenset(incoming_contexts)
        self._outgoing = frozenset(outgoing_contexts)
        self._watched = self._incoming | self._outgoing
        self._custom = frozenset(custom_events)
        self._make = CallEventFactory(ipbx_id, clock)
        self._registry = Registry(max_calls, self._release)
        self._connections = Connections(self._registry, self._make)
        self._queues = QueueBook()
        self._phones = PhoneBook()
        self._handlers = self._dispatch_table()

    def _dispatch_table(self) -> dict[str, Handler]:
        table: dict[str, Handler] = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_newstate,
            "NewCallerid": self._on_new_callerid,
            "NewConnectedLine": self._on_new_connected_line,
            "Newexten": self._on_newexten,
            "VarSet": self._on_varset,
            "LocalBridge": self._on_local_bridge,
            "Hangup": self._on_hangup,
            "Rename": self._on_rename,
            "BlindTransfer": self._on_transfer,
            "AttendedTransfer": self._on_transfer,
            "Hold": self._on_hold,
            "Unhold": self._on_hold,
            "UserEvent": self._on_user_event,
            "DeviceStateChange": silently(self._phones.device_state),
            "ExtensionStatus": silently(self._phones.extension_status),
        }
        table.update(dict.fromkeys(_SNAPSHOT_ONLY, self._on_snapshot))
        table.update(self._connections.handlers())
        table.update(QueueCalls(self._registry, self._queues, self._make).handlers())
        return table

    # -- the hot path ------------------------------------------------------------------------

    def feed(self, event: Mapping[str, str]) -> list[CallEvent]:
        """Take one AMI message; return the call events it causes, in order.

        Messages without `Event` (responses) and events the model does not use are ignored.
        """
        handler = self._handlers.get(event.get("Event", ""))
        if handler is None:
            return []
        try:
            return handler(event)
        except Exception:
            # One malformed event must not stop the AMI reader; the model stays usable.
            log.exception("call model failed on %s event", event.get("Event"))
            return []

    # -- channels ----------------------------------------------------------------------------

    def _on_snapshot(self, event: Mapping[str, str]) -> list[CallEvent]:
        self._registry.seen(event)
        return []

    def _on_varset(self, event: Mapping[str, str]) -> list[CallEvent]:
        # The busiest event of all: only the Linkedid is checked. Global variables come with
        # `Uniqueid: none`; they belong to no channel.
        if event.get("Uniqueid") != "none":
            self._registry.seen(event)
        return []

    def _on_newstate(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.seen(event)
        if channel is not None:
            channel.state = event.get("ChannelStateDesc", channel.state)
        return []

    def _on_new_callerid(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.seen(event)
        if channel is not None:
            channel.update_caller(event)
        return []

    def _on_new_connected_line(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.seen(event)
        if channel is not None:
            channel.update_connected(event)
        return []

    def _on_newchannel(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.touch(event)
        if channel is None or channel.is_local or not self._watched:
            return []
        if event.get("ChannelState") != RINGING_INBOUND:
            return []
        return self._entered_context(channel, event)

    def _on_newexten(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.seen(event)
        if channel is None:
            return []
        channel.update_location(event)
        if event.get("AppData") == OUTGOING_LINE or not self._watched:
            return []
        return self._entered_context(channel, event)

    def _entered_context(self, channel: Channel, event: Mapping[str, str]) -> list[CallEvent]:
        """incomingdid / outcall, once per call, when it first runs dialplan in such a context."""
        call, context = channel.call, channel.context
        if context in self._incoming and not call.entered_incoming:
            call.entered_incoming = True
            call.did = channel.exten
            call.incoming_context = context
            call.origin = "did"
            if call.direction == "internal":
                call.direction = "incoming"
            return [self._make.make("incomingdid", event, channel, called_num=channel.exten)]
        if context in self._outgoing and not call.entered_outgoing:
            call.entered_outgoing = True
            if call.origin != "did":
                call.origin = "outcall"
            if call.direction == "internal":
                call.direction = "outgoing"
            return [self._make.make("outcall", event, channel, called_num=channel.exten)]
        return []

    def _on_rename(self, event: Mapping[str, str]) -> list[CallEvent]:
        self._registry.rename(event.get("Uniqueid", ""), event.get("Newname", ""))
        return []

    def _on_transfer(self, event: Mapping[str, str]) -> list[CallEvent]:
        # Nothing to tell: the Linkedid rewrite that follows a transfer shows in the snapshots.
        for keys in _TRANSFER_KEYS:
            self._registry.known(event, keys)
        return []

    def _on_hold(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.seen(event)
        if channel is not None:
            channel.on_hold = event.get("Event") == "Hold"
        return []

    def _on_local_bridge(self, event: Mapping[str, str]) -> list[CallEvent]:
        one = self._registry.touch(event, LOCAL_ONE)
        two = self._registry.touch(event, LOCAL_TWO)
        if one is not None and two is not None:
            self._registry.pair(one, two)
        return []

    def _on_hangup(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.known(event)
        if channel is None:
            return []
        channel.cause = event.get("Cause", "")
        return self._hang_up(channel, event)

    def _hang_up(self, channel: Channel, event: Mapping[str, str] | None) -> list[CallEvent]:
        """Unlinks of its bridge pairs, then `hangup` once per logical leg, then forget it."""
        events = self._connections.leave_bridge(channel, event, channel.bridge)
        if channel.visible and not channel.hangup_told:
            events.append(self._make.make("hangup", event, channel, cause=channel.cause))
            partner = self._registry.channels.get(channel.partner)
            if partner is not None:
                partner.hangup_told = True
        self._release(channel)
        self._registry.forget(channel)
        return events

    def _release(self, channel: Channel) -> None:
        """Take a departing channel out of its bridge and queue, silently."""
        self._connections.release(channel)
        if channel.queue:
            self._queues.caller_left(channel.queue, channel.uniqueid)
            channel.queue = ""

    # -- user events -------------------------------------------------------------------------

    def _on_user_event(self, event: Mapping[str, str]) -> list[CallEvent]:
        name = event.get("UserEvent", "")
        channel = self._registry.touch(event)
        if channel is not None and name.lower() == DIALPLAN2CTI:
            channel.call.set_dialplan(dialplan_values(event))
        if name not in self._custom:
            return []
        extra = MappingProxyType(custom_fields(event))
        where = "custom." + name
        if channel is None:
            return [self._make.make_bare(where, event, extra)]
        return [self._make.make(where, event, channel, extra=extra)]

    # -- resync after an AMI reconnect -------------------------------------------------------

    def begin_resync(self) -> None:
        """An AMI reconnect: note the channels events touch until `end_resync`."""
        self._registry.watch()

    def end_resync(self, channels: Sequence[Mapping[str, str]]) -> list[CallEvent]:
        """Align with a fresh CoreShowChannels: close the channels it does not list.

        Listed channels unknown to the model are created silently, and put in their bridge
        (BridgeId) without `link`. Unlisted ones not seen since `begin_resync` are gone: they
        end as on Hangup (unlinks, then `hangup` where one is owed, with no cause).
        """
        seen = self._registry.unwatch()
        events: list[CallEvent] = []
        for item in channels:
            channel = self._registry.touch(item)
            if channel is None:
                continue
            seen.add(channel.uniqueid)
            events += self._connections.rejoin(channel, item.get("BridgeId", ""))
        for channel in list(self._registry.channels.values()):
            if channel.uniqueid not in seen:
                log.info("channel %s ended while AMI was away", channel.name)
                events += self._hang_up(channel, None)
        return events

    # -- read-only snapshots -----------------------------------------------------------------

    def channels(self) -> tuple[ChannelInfo, ...]:
        """Every live channel, oldest first."""
        return tuple(channel.info() for channel in self._registry.channels.values())

    def calls(self) -> tuple[CallInfo, ...]:
        """Every live call, oldest first."""
        return tuple(call.info() for call in self._registry.calls.values())

    def get_channel(self, uniqueid: str) -> ChannelInfo | None:
        """One live channel by Uniqueid."""
        channel = self._registry.channels.get(uniqueid)
        return channel.info() if channel is not None else None

    def get_call(self, linkedid: str) -> CallInfo | None:
        """One live call by Linkedid."""
        call = self._registry.calls.get(linkedid)
        return call.info() if call is not None else None

    def queues(self) -> tuple[QueueInfo, ...]:
        """Every known queue with its members and waiting callers."""
        return self._queues.queues()

    def agents(self) -> tuple[AgentInfo, ...]:
        """Every logged-in agent."""
        return self._queues.agents()

    def phones(self) -> PhonesInfo:
        """Device state by device, hint state by `exten@context`."""
        return self._phones.phones()

    def sizes(self) -> dict[str, int]:
        """How many channels, calls, bridges and names the model holds (for status and tests)."""
        return {
            "channels": len(self._registry.channels),
            "calls": len(self._registry.calls),
            "bridges": len(self._connections.bridges),
            "names": self._registry.names,
        }
