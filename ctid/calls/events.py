"""Making call events out of the model's state: numbering, time, and the fields every event has.

Every `CallEvent` names a channel (and maybe a peer); both are marked visible, because a sheet
may now wait for their hangup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ctid.callevents import CallEvent
from ctid.calls.channels import Channel

Handler = Callable[[Mapping[str, str]], list[CallEvent]]
"""What the model runs for one AMI event: the call events it causes."""

RDNIS_KEY = "calleridrdnis"
"""dialplan2cti key for the redirecting number, which AMI snapshots do not carry."""
TON_KEY = "calleridton"
"""dialplan2cti key for the caller's type of number, which AMI snapshots do not carry."""


class CallEventFactory:
    """Builds call events for one ipbx, with a strictly increasing sequence number."""

    def __init__(self, ipbx_id: str, clock: Callable[[], float]) -> None:
        self._ipbx_id = ipbx_id
        self._clock = clock
        self._sequence = 0

    def time_of(self, ami: Mapping[str, str] | None) -> float:
        """Asterisk's Timestamp of the AMI event when there is one, else the clock."""
        stamp = ami.get("Timestamp") if ami is not None else None
        if stamp:
            try:
                return float(stamp)
            except ValueError:
                pass
        return self._clock()

    def make(
        self,
        where: str,
        ami: Mapping[str, str] | None,
        channel: Channel,
        peer: Channel | None = None,
        **fields: Any,
    ) -> CallEvent:
        """A call event about `channel` (and `peer`), caused by the AMI event `ami`."""
        self._sequence += 1
        channel.visible = True
        call = channel.call
        dialplan = call.dialplan_view()
        if peer is not None:
            peer.visible = True
            fields.update(
                peer_channel=peer.name,
                peer_uniqueid=peer.uniqueid,
                peer_interface=peer.interface,
                peer_context=peer.local_context or peer.context,
                peer_exten=peer.local_exten or peer.called_num(),
            )
        return CallEvent(
            where=where,
            ipbx_id=self._ipbx_id,
            sequence=self._sequence,
            time=self.time_of(ami),
            channel=channel.name,
            uniqueid=channel.uniqueid,
            linkedid=call.linkedid,
            context=channel.context,
            exten=channel.exten,
            did=call.did,
            incoming_context=call.incoming_context,
            caller_num=channel.caller_num,
            caller_name=channel.caller_name,
            caller_rdnis=dialplan.get(RDNIS_KEY, ""),
            caller_ton=dialplan.get(TON_KEY, ""),
            direction=call.direction,
            origin=call.origin,
            contexts=call.contexts_view(),
            dialplan=dialplan,
            **fields,
        )

    def make_bare(self, where: str, ami: Mapping[str, str], extra: Mapping[str, str]) -> CallEvent:
        """A call event about no known channel (a UserEvent sent through the AMI action)."""
        self._sequence += 1
        return CallEvent(
            where=where,
            ipbx_id=self._ipbx_id,
            sequence=self._sequence,
            time=self.time_of(ami),
            channel=ami.get("Channel", ""),
            uniqueid=ami.get("Uniqueid", ""),
            linkedid=ami.get("Linkedid", ""),
            extra=extra,
        )


def silently(update: Callable[[Mapping[str, str]], None]) -> Handler:
    """A handler for an AMI event that only updates state and never causes a call event."""

    def handler(event: Mapping[str, str]) -> list[CallEvent]:
        update(event)
        return []

    return handler
