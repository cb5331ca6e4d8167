"""Channels and calls as the call model keeps them: mutable state, channel names, read-only views.

A `Channel` is one Asterisk channel, keyed by Uniqueid. A `Call` is every channel that shares a
Linkedid. Both are private to the model; clients get frozen `ChannelInfo` / `CallInfo` copies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

UNKNOWN = "<unknown>"
"""What Asterisk writes for an empty caller id; the model stores "" instead."""

LOCAL_PREFIX = "Local/"


class SnapshotKeys(NamedTuple):
    """The AMI field names of one channel snapshot, for one prefix (`""`, `Dest`, `LocalOne`…).

    Built once per prefix so that the hot path never concatenates strings.
    """

    channel: str
    uniqueid: str
    linkedid: str
    state: str
    caller_num: str
    caller_name: str
    connected_num: str
    connected_name: str
    context: str
    exten: str
    priority: str


def snapshot_keys(prefix: str) -> SnapshotKeys:
    """The field names of the channel snapshot written with `prefix` (Asterisk 12+ AMI)."""
    return SnapshotKeys(
        *(
            prefix + name
            for name in (
                "Channel",
                "Uniqueid",
                "Linkedid",
                "ChannelStateDesc",
                "CallerIDNum",
                "CallerIDName",
                "ConnectedLineNum",
                "ConnectedLineName",
                "Context",
                "Exten",
                "Priority",
            )
        )
    )


PLAIN = snapshot_keys("")
DEST = snapshot_keys("Dest")
LOCAL_ONE = snapshot_keys("LocalOne")
LOCAL_TWO = snapshot_keys("LocalTwo")


def interface_of(name: str) -> str:
    """The device behind a channel name: `PJSIP/2002-0000000a` → `PJSIP/2002`.

    Local channels keep `exten@context`: `Local/1001@default-00000000;1` → `Local/1001@default`.
    """
    if name.endswith((";1", ";2")):
        name = name[:-2]
    head, sep, _ = name.rpartition("-")
    return head if sep and "/" in head else name


def local_target(interface: str) -> tuple[str, str]:
    """(exten, context) of a `Local/exten@context` interface, ("", "") for any other one."""
    if not interface.startswith(LOCAL_PREFIX):
        return "", ""
    exten, _, context = interface[len(LOCAL_PREFIX) :].partition("@")
    return exten, context.partition("/")[0]


def dialled_number(dialstring: str) -> str:
    """The number in a DialString: `2002`, `PJSIP/2001`, `1001@default`, `trunk/sip:0612@h`."""
    number = dialstring.rpartition("/")[2].partition("@")[0]
    scheme, colon, rest = number.partition(":")
    return rest if colon and scheme in ("sip", "sips", "tel") else number


@dataclasses.dataclass(slots=True, eq=False)
class Call:
    """Every channel that shares one Linkedid, and what the call learned on its way."""

    linkedid: str
    channels: dict[str, Channel] = dataclasses.field(default_factory=dict)
    contexts: set[str] = dataclasses.field(default_factory=set)
    dialplan: dict[str, str] = dataclasses.field(default_factory=dict)
    did: str = ""
    incoming_context: str = ""
    direction: str = "internal"
    origin: str = "internal"
    queue: str = ""
    entered_incoming: bool = False
    entered_outgoing: bool = False
    # Frozen copies handed out in call events, rebuilt only after a change (events are frequent,
    # changes are rare).
    _contexts_view: frozenset[str] | None = None
    _dialplan_view: Mapping[str, str] | None = None

    def add_context(self, context: str) -> None:
        """Remember that the call went through `context` (its tenant scope for parting)."""
        if context and context not in self.contexts:
            self.contexts.add(context)
            self._contexts_view = None

    def set_dialplan(self, values: Mapping[str, str]) -> None:
        """Attach dialplan values (dialplan2cti); later call events carry them."""
        if values:
            self.dialplan.update(values)
            self._dialplan_view = None

    def contexts_view(self) -> frozenset[str]:
        """The contexts as a frozenset, shared between events until the next change."""
        if self._contexts_view is None:
            self._contexts_view = frozenset(self.contexts)
        return self._contexts_view

    def dialplan_view(self) -> Mapping[str, str]:
        """A read-only copy of the dialplan values, shared between events until the next change."""
        if self._dialplan_view is None:
            self._dialplan_view = MappingProxyType(dict(self.dialplan))
        return self._dialplan_view

    def info(self) -> CallInfo:
        """A frozen copy for clients."""
        return CallInfo(
            linkedid=self.linkedid,
            channels=tuple(self.channels),
            contexts=tuple(sorted(self.contexts)),
            direction=self.direction,
            origin=self.origin,
            did=self.did,
            incoming_context=self.incoming_context,
            queue=self.queue,
            dialplan=dict(self.dialplan),
        )


@dataclasses.dataclass(slots=True, eq=False)
class Channel:
    """One Asterisk channel as the last AMI snapshot described it."""

    uniqueid: str
    name: str
    call: Call
    state: str = ""
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    context: str = ""
    exten: str = ""
    priority: str = ""
    interface: str = ""
    local_exten: str = ""
    local_context: str = ""
    partner: str = ""
    """Uniqueid of the other half of a Local pair: together they are one logical leg."""
    bridge: str = ""
    queue: str = ""
    dialled_num: str = ""
    """The number this channel was dialled with (DialBegin), for the called side of events."""
    on_hold: bool = False
    cause: str = ""
    visible: bool = False
    """Named in a call event already, so a sheet may wait for its hangup."""
    hangup_told: bool = False
    """The logical leg's hangup event went out (set on the other half of a Local pair)."""

    @property
    def linkedid(self) -> str:
        """The Linkedid of the call the channel belongs to now."""
        return self.call.linkedid

    @property
    def is_local(self) -> bool:
        """Whether this is one half of a Local channel pair."""
        return self.name.startswith(LOCAL_PREFIX)

    def rename(self, name: str) -> None:
        """Take a new channel name and the device, Local exten and context that follow from it."""
        self.name = name
        self.interface = interface_of(name)
        self.local_exten, self.local_context = local_target(self.interface)

    def update(self, event: Mapping[str, str], keys: SnapshotKeys) -> None:
        """Copy every field of a channel snapshot (the Linkedid is the registry's business)."""
        get = event.get
        self.state = get(keys.state, self.state)
        self.update_caller(event, keys)
        self.update_connected(event, keys)
        self.update_location(event, keys)

    def update_caller(self, event: Mapping[str, str], keys: SnapshotKeys = PLAIN) -> None:
        """Copy the caller id of a snapshot (NewCallerid)."""
        num = event.get(keys.caller_num, self.caller_num)
        name = event.get(keys.caller_name, self.caller_name)
        self.caller_num = "" if num == UNKNOWN else num
        self.caller_name = "" if name == UNKNOWN else name

    def update_connected(self, event: Mapping[str, str], keys: SnapshotKeys = PLAIN) -> None:
        """Copy the connected line of a snapshot (NewConnectedLine)."""
        num = event.get(keys.connected_num, self.connected_num)
        name = event.get(keys.connected_name, self.connected_name)
        self.connected_num = "" if num == UNKNOWN else num
        self.connected_name = "" if name == UNKNOWN else name

    def update_location(self, event: Mapping[str, str], keys: SnapshotKeys = PLAIN) -> None:
        """Copy the dialplan location of a snapshot (Newexten); the call learns the context."""
        get = event.get
        context = get(keys.context)
        if context is not None and context != self.context:
            self.context = context
            self.call.add_context(context)
        self.exten = get(keys.exten, self.exten)
        self.priority = get(keys.priority, self.priority)

    def called_num(self) -> str:
        """The number that reached this channel: as dialled, else its Local exten or caller id."""
        return self.dialled_num or self.local_exten or self.caller_num

    def called_name(self) -> str:
        """This channel's name as a called party ("" for a Local leg: it carries the caller's)."""
        return "" if self.is_local else self.caller_name

    def info(self) -> ChannelInfo:
        """A frozen copy for clients."""
        return ChannelInfo(
            uniqueid=self.uniqueid,
            name=self.name,
            linkedid=self.call.linkedid,
            state=self.state,
            caller_num=self.caller_num,
            caller_name=self.caller_name,
            connected_num=self.connected_num,
            connected_name=self.connected_name,
            context=self.context,
            exten=self.exten,
            interface=self.interface,
            partner=self.partner,
            bridge=self.bridge,
            queue=self.queue,
            on_hold=self.on_hold,
        )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ChannelInfo:
    """A read-only copy of one channel, JSON-ready through `to_dict()`."""

    uniqueid: str
    name: str
    linkedid: str
    state: str
    caller_num: str
    caller_name: str
    connected_num: str
    connected_name: str
    context: str
    exten: str
    interface: str
    partner: str
    """Uniqueid of the other half when this is a Local channel, else ""."""
    bridge: str
    queue: str
    """The queue the channel waits in as a caller, else ""."""
    on_hold: bool

    def to_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CallInfo:
    """A read-only copy of one call (all channels sharing a Linkedid)."""

    linkedid: str
    channels: tuple[str, ...]
    """Uniqueids, oldest first."""
    contexts: tuple[str, ...]
    direction: str
    origin: str
    did: str
    queue: str
    dialplan: dict[str, str]
    incoming_context: str = ""
    """The incoming context the call came in through, with its DID."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return dataclasses.asdict(self)
