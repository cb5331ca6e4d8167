"""Who talks to whom: dialling (`dial`) and bridges (`link`, `unlink`).

`dial` is about the caller, with the dialled channel as peer and the dialled number as
`called_num`. `link` is about the channel whose BridgeEnter put it with others (usually the
caller: Asterisk puts the callee in first), one event per channel already there; `unlink` names
the same pair in the same order when either leaves. Holding bridges (parking, agents waiting)
link nobody.
"""

from __future__ import annotations

from collections.abc import Mapping

from ctid.callevents import CallEvent
from ctid.calls.bridges import Bridges
from ctid.calls.channels import DEST, Channel, dialled_number
from ctid.calls.events import CallEventFactory, Handler
from ctid.calls.registry import Registry


class Connections:
    """The dial and bridge handlers of the call model, and the bridges they keep."""

    def __init__(self, registry: Registry, make: CallEventFactory) -> None:
        self._registry = registry
        self._make = make
        self.bridges = Bridges()

    def handlers(self) -> dict[str, Handler]:
        """AMI event name → handler, for the model's dispatch table."""
        return {
            "DialBegin": self._on_dial_begin,
            "DialState": self._on_dial_progress,
            "DialEnd": self._on_dial_progress,
            "BridgeEnter": self._on_bridge_enter,
            "BridgeLeave": self._on_bridge_leave,
            "BridgeDestroy": self._on_bridge_destroy,
        }

    def _on_dial_begin(self, event: Mapping[str, str]) -> list[CallEvent]:
        dest = self._registry.touch(event, DEST)
        if dest is None:
            return []
        # No caller snapshot when Originate or a call file dials: the dialled channel is the
        # only one there is, so the event is about it.
        caller = self._registry.touch(event)
        dest.dialled_num = dest.local_exten or dialled_number(event.get("DialString", ""))
        subject = caller if caller is not None else dest
        return [self._make.make("dial", event, subject, dest, called_num=dest.dialled_num)]

    def _on_dial_progress(self, event: Mapping[str, str]) -> list[CallEvent]:
        self._registry.seen(event)
        self._registry.seen(event, DEST)
        return []

    def _on_bridge_enter(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.touch(event)
        bridge_id = event.get("BridgeUniqueid")
        if channel is None or not bridge_id:
            return []
        events = []
        if channel.bridge != bridge_id:
            events = self.leave_bridge(channel, event, channel.bridge)
        channel.bridge = bridge_id
        technology = event.get("BridgeTechnology")
        for peer_id in self.bridges.enter(bridge_id, channel.uniqueid, technology, link=True):
            peer = self._registry.channels.get(peer_id)
            if peer is not None:
                events.append(self._link("link", event, channel, peer))
        return events

    def _on_bridge_leave(self, event: Mapping[str, str]) -> list[CallEvent]:
        channel = self._registry.touch(event)
        if channel is None:
            return []
        return self.leave_bridge(channel, event, event.get("BridgeUniqueid", channel.bridge))

    def _on_bridge_destroy(self, event: Mapping[str, str]) -> list[CallEvent]:
        self.bridges.destroy(event.get("BridgeUniqueid", ""))
        return []

    def leave_bridge(
        self, channel: Channel, event: Mapping[str, str] | None, bridge_id: str
    ) -> list[CallEvent]:
        """Take the channel out of that bridge; `unlink` each pair it was told linked in."""
        if channel.bridge == bridge_id:
            channel.bridge = ""
        if not bridge_id:
            return []
        events = []
        for first_id, second_id in self.bridges.leave(bridge_id, channel.uniqueid):
            first = self._registry.channels.get(first_id)
            second = self._registry.channels.get(second_id)
            if first is not None and second is not None:
                events.append(self._link("unlink", event, first, second))
        return events

    def rejoin(self, channel: Channel, bridge_id: str) -> list[CallEvent]:
        """Put a channel in the bridge CoreShowChannel says it is in, without `link`."""
        if bridge_id == channel.bridge:
            return []
        events = self.leave_bridge(channel, None, channel.bridge)
        if bridge_id:
            channel.bridge = bridge_id
            self.bridges.enter(bridge_id, channel.uniqueid, None, link=False)
        return events

    def release(self, channel: Channel) -> None:
        """Take a departing channel out of its bridge without telling anyone."""
        if channel.bridge:
            self.bridges.leave(channel.bridge, channel.uniqueid)
            channel.bridge = ""

    def _link(
        self, where: str, event: Mapping[str, str] | None, channel: Channel, peer: Channel
    ) -> CallEvent:
        return self._make.make(
            where,
            event,
            channel,
            peer,
            called_num=peer.called_num(),
            called_name=peer.called_name(),
        )
