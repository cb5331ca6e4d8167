"""The demo's calls, told to the fake Asterisk event by event: a DID call from a caller the demo
phone book knows, an internal call from a colleague, a call through the `support` queue.

The events have the shapes of the real Asterisk 22 captures in tests/data/ami (channel
snapshots, `Dest…` snapshots of dialled channels, bridge fields, queue and agent fields); the
channels are PJSIP phones and a PJSIP trunk, as on a real site, rather than the captures' Local
channels. Every call gets fresh uniqueids and linkedids from the fake, and current timestamps.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

from ctid.testing.amiscript import Fields, SimChannel
from ctid.testing.fakeami import FakeAmi

TRUNK = "PJSIP/operator"
DEMO_PHONE = "PJSIP/1001"
COLLEAGUE_PHONE = "PJSIP/1002"
DEMO_NAME = "Demo User"
COLLEAGUE = ("1002", "Bob Martin")
INCOMING = "from-extern"
INTERNAL = "default"
MAIN_DID = "0199000100"
SUPPORT_DID = "0199000200"
DID_CALLER = "0639981234"
"""In the demo phone book as `06 39 98 12 34` (Zoé Durand)."""
QUEUE_CALLER = "+33199001234"
"""In the demo phone book as `01 99 00 12 34` (Karim Benali)."""
QUEUE = "support"


class Stopped(Exception):
    """The demo is stopping: the call in progress is abandoned."""


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds a phone rings, and a call lasts once answered."""

    ring: float = 2.5
    talk: float = 4.0

    def faster(self, speed: float) -> Timing:
        return Timing(ring=self.ring / speed, talk=self.talk / speed)


def _dest(channel: SimChannel) -> list[tuple[str, str]]:
    return [(f"Dest{key}", value) for key, value in channel.snapshot()]


class Calls:
    """Plays calls on a fake Asterisk; `pause(seconds)` raises Stopped when the demo stops."""

    def __init__(self, fake: FakeAmi, pause: Callable[[float], None], timing: Timing) -> None:
        self.fake = fake
        self.pause = pause
        self.timing = timing

    # --- the three calls ----------------------------------------------------------------------

    def did_call(self) -> None:
        """An outside caller dials the main number; the dialplan rings the demo phone."""
        trunk = self._arrive(MAIN_DID, DID_CALLER)
        self._user_event(trunk, [("Did", MAIN_DID), ("CallerIDNum", DID_CALLER)])
        self._exten(trunk, "Dial", f"{DEMO_PHONE},20")
        phone = self._ring(trunk, DEMO_PHONE, "1001", DEMO_NAME)
        self._answer(trunk, phone)
        bridge = self._bridge(phone, trunk)
        self.pause(self.timing.talk)
        self._end(bridge, trunk, phone)

    def internal_call(self) -> None:
        """A colleague's phone calls the demo phone."""
        number, name = COLLEAGUE
        caller = self.fake.add_channel(
            COLLEAGUE_PHONE,
            state=4,
            context=INTERNAL,
            exten="1001",
            caller_num=number,
            caller_name=name,
        )
        self._exten(caller, "Dial", f"{DEMO_PHONE},20")
        phone = self._ring(caller, DEMO_PHONE, "1001", DEMO_NAME)
        self._answer(caller, phone)
        bridge = self._bridge(phone, caller)
        self.pause(self.timing.talk)
        self._end(bridge, phone, caller)

    def queue_call(self) -> None:
        """An outside caller dials the support number; the queue rings its member."""
        trunk = self._arrive(SUPPORT_DID, QUEUE_CALLER)
        self._exten(trunk, "Queue", f"{QUEUE},r,,,60")
        self._queue_event("QueueCallerJoin", trunk, None, ("Position", "1"), ("Count", "1"))
        phone = self._callee(trunk, DEMO_PHONE, "1001", DEMO_NAME)
        self._queue_event("AgentCalled", trunk, phone)
        self._ringing(trunk, phone, "1001")
        self._answer(trunk, phone)
        self._queue_event("QueueCallerLeave", trunk, None, ("Position", "1"), ("Count", "0"))
        ring = f"{self.timing.ring:.0f}"
        self._queue_event("AgentConnect", trunk, phone, ("HoldTime", "0"), ("RingTime", ring))
        bridge = self._bridge(phone, trunk)
        self.pause(self.timing.talk)
        talk = [("HoldTime", "0"), ("TalkTime", f"{self.timing.talk:.0f}"), ("Reason", "caller")]
        self._queue_event("AgentComplete", trunk, phone, *talk)
        self._end(bridge, trunk, phone)

    # --- steps --------------------------------------------------------------------------------

    def _arrive(self, did: str, caller: str) -> SimChannel:
        """A trunk channel born ringing in the incoming context: a DID call (`incomingdid`)."""
        trunk = self.fake.add_channel(
            TRUNK, state=4, context=INCOMING, exten=did, caller_num=caller
        )
        self._exten(trunk, "NoOp", f"inbound DID {did} from {caller}")
        return trunk

    def _queue_event(
        self, name: str, caller: SimChannel, member: SimChannel | None, *extra: tuple[str, str]
    ) -> None:
        """A queue or agent event, fields in app_queue's order."""
        fields = [*caller.snapshot(), *(_dest(member) if member else []), ("Queue", QUEUE)]
        if member is not None:
            fields += [("Interface", DEMO_PHONE), ("MemberName", DEMO_NAME)]
        self.fake.emit(name, [*fields, *extra], "agent,all")

    def _exten(self, channel: SimChannel, application: str, data: str) -> None:
        channel.application, channel.application_data = application, data
        body = [("Extension", channel.exten), ("Application", application), ("AppData", data)]
        self.fake.emit("Newexten", [*channel.snapshot(), *body], "dialplan,all")

    def _user_event(self, channel: SimChannel, values: Fields) -> None:
        """UserEvent(dialplan2cti,…): the call's `dp-` values."""
        body = [("UserEvent", "dialplan2cti"), *values]
        self.fake.emit("UserEvent", [*channel.snapshot(), *body], "user,all")

    def _callee(self, caller: SimChannel, device: str, number: str, name: str) -> SimChannel:
        return self.fake.add_channel(
            device,
            state=0,
            context=INTERNAL,
            linkedid=caller.linkedid,
            caller_num=number,
            caller_name=name,
            connected_num=caller.caller_num,
            connected_name=caller.caller_name,
        )

    def _ring(self, caller: SimChannel, device: str, number: str, name: str) -> SimChannel:
        phone = self._callee(caller, device, number, name)
        self._ringing(caller, phone, number)
        return phone

    def _ringing(self, caller: SimChannel, phone: SimChannel, dial_string: str) -> None:
        """DialBegin (the `dial` sheet), the phone rings for `timing.ring` seconds."""
        self.fake.emit(
            "DialBegin", [*caller.snapshot(), *_dest(phone), ("DialString", dial_string)]
        )
        self._state(phone, 5)
        self._device(phone, "RINGING")
        self.pause(self.timing.ring)

    def _answer(self, caller: SimChannel, phone: SimChannel) -> None:
        self._state(phone, 6)
        self._device(phone, "INUSE")
        self.fake.emit("DialEnd", [*caller.snapshot(), *_dest(phone), ("DialStatus", "ANSWER")])
        self._state(caller, 6)

    def _state(self, channel: SimChannel, state: int) -> None:
        channel.state = state
        self.fake.emit("Newstate", channel.snapshot())

    def _device(self, channel: SimChannel, state: str) -> None:
        device = channel.channel.rsplit("-", 1)[0]
        self.fake.emit("DeviceStateChange", [("Device", device), ("State", state)])

    def _bridge(self, *channels: SimChannel) -> list[tuple[str, str]]:
        """A basic bridge with the channels in it (the `link` sheet); returns its fields."""
        fields = [
            ("BridgeUniqueid", str(uuid.uuid4())),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
        ]
        self.fake.emit("BridgeCreate", [*fields, ("BridgeNumChannels", "0")])
        for count, channel in enumerate(channels, 1):
            self.fake.emit(
                "BridgeEnter", [*fields, ("BridgeNumChannels", str(count)), *channel.snapshot()]
            )
        return fields

    def _end(self, bridge: Fields, first: SimChannel, second: SimChannel) -> None:
        """`first` hangs up; the bridge empties; `second` hangs up too."""
        for left, channel in ((1, first), (0, second)):
            self.fake.emit(
                "BridgeLeave", [*bridge, ("BridgeNumChannels", str(left)), *channel.snapshot()]
            )
            self.fake.hangup_channel(channel.uniqueid)
            if not channel.channel.startswith(f"{TRUNK}-"):  # the trunk has no hint
                self._device(channel, "NOT_INUSE")
        self.fake.emit("BridgeDestroy", [*bridge, ("BridgeNumChannels", "0")])
