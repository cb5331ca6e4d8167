"""What the fake Asterisk says: AMI message bytes, captured traffic, simulated channels and queues.

Everything here is plain data and formatting, no sockets; `ctid.testing.fakeami` serves it.
Field names and orders follow Asterisk 22 (the captures in tests/data/ami and the manager
sources): the channel snapshot of every channel event, list items, list completions.
"""

from __future__ import annotations

import dataclasses
import pathlib
import time
from collections.abc import Iterable, Mapping, Sequence

Fields = Sequence[tuple[str, str]]
"""An AMI message as ordered (key, value) pairs: keys may repeat."""

BANNER_PREFIX = b"Asterisk Call Manager/"

STATE_DESC = {
    0: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    4: "Ring",
    5: "Ringing",
    6: "Up",
    7: "Busy",
    8: "Dialing Offhook",
    9: "Pre-ring",
    10: "Mute",
}

CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer"}


def format_message(fields: Iterable[tuple[str, str]]) -> bytes:
    """`Key: value` CRLF lines and the empty line, as Asterisk writes them (`Key: ` if empty)."""
    return ("".join(f"{key}: {value}\r\n" for key, value in fields) + "\r\n").encode("utf-8")


def split_messages(data: bytes) -> list[Fields]:
    """Split CRLF or LF text into messages of (key, value) pairs; no banner expected."""
    messages: list[Fields] = []
    for block in data.replace(b"\r\n", b"\n").split(b"\n\n"):
        pairs = []
        for line in block.decode("utf-8", "replace").split("\n"):
            key, sep, value = line.partition(":")
            if sep:
                pairs.append((key, value[1:] if value.startswith(" ") else value))
        if pairs:
            messages.append(pairs)
    return messages


def load_capture(source: pathlib.Path | bytes) -> list[Fields]:
    """The messages of a capture file (or its bytes), banner line removed."""
    data = source.read_bytes() if isinstance(source, pathlib.Path) else source
    if data.startswith(BANNER_PREFIX):
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    return split_messages(data)


def rewrite_action_ids(fields: Fields, action_ids: Mapping[str, str]) -> list[tuple[str, str]]:
    """Replace ActionID values found in `action_ids` (old → new), keep everything else."""
    return [
        (key, action_ids.get(value, value) if key == "ActionID" else value) for key, value in fields
    ]


def event_list(
    action_id: str,
    message: str,
    items: Iterable[Fields],
    complete: str,
) -> bytes:
    """A list response: `EventList: start`, the item events, then the `…Complete` event."""
    head: list[tuple[str, str]] = [("Response", "Success")]
    if action_id:
        head.append(("ActionID", action_id))
    head += [("EventList", "start"), ("Message", message)]
    out = [format_message(head)]
    count = 0
    for item in items:
        out.append(format_message(item))
        count += 1
    tail = [("Event", complete)]
    if action_id:
        tail.append(("ActionID", action_id))
    tail += [("EventList", "Complete"), ("ListItems", str(count))]
    out.append(format_message(tail))
    return b"".join(out)


class UniqueIds:
    """Uniqueids `<boot epoch>.<counter>` and channel name suffixes, reset by a 'restart'."""

    def __init__(self, after: int = 0) -> None:
        # A restarted Asterisk never reuses ids: its epoch moves on even within one second.
        self.epoch = max(int(time.time()), after + 1)
        self._counter = 0

    def next(self) -> tuple[str, str]:
        """Return (uniqueid, 8-hex-digit channel suffix) for a new channel."""
        number = self._counter
        self._counter += 1
        return f"{self.epoch}.{number}", f"{number:08x}"


@dataclasses.dataclass
class SimChannel:
    """A channel the fake Asterisk knows about; `snapshot()` is its AMI channel snapshot."""

    channel: str
    uniqueid: str
    linkedid: str = ""
    state: int = 6
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    language: str = "en"
    account_code: str = ""
    context: str = "default"
    exten: str = ""
    priority: str = "1"
    application: str = ""
    application_data: str = ""
    bridge_id: str = ""
    created: float = dataclasses.field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.linkedid = self.linkedid or self.uniqueid

    def snapshot(self) -> list[tuple[str, str]]:
        return [
            ("Channel", self.channel),
            ("ChannelState", str(self.state)),
            ("ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            ("CallerIDNum", self.caller_num or "<unknown>"),
            ("CallerIDName", self.caller_name or "<unknown>"),
            ("ConnectedLineNum", self.connected_num or "<unknown>"),
            ("ConnectedLineName", self.connected_name or "<unknown>"),
            ("Language", self.language),
            ("AccountCode", self.account_code),
            ("Context", self.context),
            ("Exten", self.exten),
            ("Priority", self.priority),
            ("Uniqueid", self.uniqueid),
            ("Linkedid", self.linkedid),
        ]

    def update(self, fields: Mapping[str, str]) -> None:
        """Take the snapshot values an event carries (unprefixed keys only)."""
        for key, attr in _SNAPSHOT_ATTRS.items():
            if key in fields:
                value = fields[key]
                setattr(self, attr, "" if value == "<unknown>" else value)
        if "ChannelState" in fields:
            self.state = int(fields["ChannelState"])
        if "Application" in fields:
            self.application = fields["Application"]
            self.application_data = fields.get("AppData", "")

    def core_show_channel(self, action_id: str, now: float) -> list[tuple[str, str]]:
        """This channel as a `CoreShowChannel` list item."""
        seconds = int(now - self.created)
        duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        head = [("Event", "CoreShowChannel")]
        if action_id:
            head.append(("ActionID", action_id))
        return [
            *head,
            *self.snapshot(),
            ("Application", self.application),
            ("ApplicationData", self.application_data),
            ("Duration", duration),
            ("BridgeId", self.bridge_id),
        ]


_SNAPSHOT_ATTRS = {
    "Channel": "channel",
    "CallerIDNum": "caller_num",
    "CallerIDName": "caller_name",
    "ConnectedLineNum": "connected_num",
    "ConnectedLineName": "connected_name",
    "Language": "language",
    "AccountCode": "account_code",
    "Context": "context",
    "Exten": "exten",
    "Priority": "priority",
    "Linkedid": "linkedid",
}


def track_channels(channels: dict[str, SimChannel], fields: Mapping[str, str]) -> None:
    """Apply one event to the channel set: Newchannel adds, Hangup removes, others update."""
    event = fields.get("Event", "")
    uniqueid = fields.get("Uniqueid", "")
    if not uniqueid:
        return
    if event == "Newchannel":
        channel = SimChannel(channel=fields.get("Channel", ""), uniqueid=uniqueid)
        channel.update(fields)
        channels[uniqueid] = channel
    elif event == "Hangup":
        channels.pop(uniqueid, None)
    elif uniqueid in channels and "ChannelState" in fields:
        channel = channels[uniqueid]
        channel.update(fields)
        if event in ("BridgeEnter", "BridgeLeave"):
            channel.bridge_id = fields.get("BridgeUniqueid", "") if event == "BridgeEnter" else ""


@dataclasses.dataclass
class SimMember:
    """A queue member, as `QueueMember` list items and `QueueMember*` events show it."""

    interface: str
    name: str = ""
    membership: str = "dynamic"
    penalty: int = 0
    paused: bool = False
    reason: str = ""
    login_time: int = dataclasses.field(default_factory=lambda: int(time.time()))

    def fields(self, queue: str, *, list_item: bool) -> list[tuple[str, str]]:
        # List items say Name/Location, events MemberName/Interface (app_queue does both).
        name, where = ("Name", "Location") if list_item else ("MemberName", "Interface")
        return [
            ("Queue", queue),
            (name, self.name or self.interface),
            (where, self.interface),
            ("StateInterface", self.interface),
            ("Membership", self.membership),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", "0"),
            ("LastCall", "0"),
            ("LastPause", "0"),
            ("LoginTime", str(self.login_time)),
            ("InCall", "0"),
            ("Status", "1"),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
            *([] if list_item else [("Ringinuse", "0")]),
            ("Wrapuptime", "0"),
        ]


def queue_params(queue: str, strategy: str = "ringall") -> list[tuple[str, str]]:
    """The `QueueParams` body of an idle queue, in the capture's field order."""
    return [
        ("Queue", queue),
        ("Max", "0"),
        ("Strategy", strategy),
        ("Calls", "0"),
        ("Holdtime", "0"),
        ("TalkTime", "0"),
        ("Completed", "0"),
        ("Abandoned", "0"),
        ("ServiceLevel", "0"),
        ("ServicelevelPerf", "0.0"),
        ("ServicelevelPerf2", "0.0"),
        ("Weight", "0"),
    ]


def queue_status_items(
    queues: Mapping[str, Mapping[str, SimMember]], action_id: str
) -> list[list[tuple[str, str]]]:
    """`QueueParams` then its `QueueMember`s per queue; ActionID last, as app_queue writes it."""
    tail = [("ActionID", action_id)] if action_id else []
    items = []
    for queue, members in queues.items():
        items.append([("Event", "QueueParams"), *queue_params(queue), *tail])
        for member in members.values():
            items.append([("Event", "QueueMember"), *member.fields(queue, list_item=True), *tail])
    return items
