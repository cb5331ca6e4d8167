"""The call model never raises on garbage, and a resync always returns it to a clean state."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.calls import CallModel

pytestmark = pytest.mark.timeout(60)

EVENT_NAMES = [
    "Newchannel", "Newstate", "NewCallerid", "NewConnectedLine", "Newexten", "VarSet",
    "DialBegin", "DialState", "DialEnd", "BridgeCreate", "BridgeEnter", "BridgeLeave",
    "BridgeDestroy", "LocalBridge", "Hangup", "HangupRequest", "SoftHangupRequest", "Rename",
    "BlindTransfer", "AttendedTransfer", "Hold", "Unhold", "UserEvent", "QueueCallerJoin",
    "QueueCallerLeave", "QueueCallerAbandon", "QueueMemberAdded", "QueueMemberRemoved",
    "QueueMemberPause", "QueueMemberStatus", "QueueMember", "QueueParams", "AgentCalled",
    "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "AgentLogin", "AgentLogoff", "Agents",
    "DeviceStateChange", "ExtensionStatus", "Cdr", "NoSuchEvent",
]  # fmt: skip
SNAPSHOT = ["Channel", "Uniqueid", "Linkedid", "ChannelState", "ChannelStateDesc", "CallerIDNum",
            "CallerIDName", "ConnectedLineNum", "Context", "Exten", "Priority"]  # fmt: skip
PREFIXES = ["", "Dest", "LocalOne", "LocalTwo", "Transferer", "Transferee"]
OTHER = ["BridgeUniqueid", "BridgeTechnology", "DialString", "UserEvent", "Queue", "Interface",
         "StateInterface", "MemberName", "Agent", "Status", "Device", "State", "Newname",
         "Timestamp", "Cause", "AppData", "VARIABLE", "VALUE", "Hint", "Location", "BridgeId",
         "Event"]  # fmt: skip
KEYS = [prefix + key for prefix in PREFIXES for key in SNAPSHOT] + OTHER

# Few distinct values, so that ids, names and contexts collide and build real state.
values = st.one_of(
    st.sampled_from(["1.1", "1.2", "2.1", "none", "", "<unknown>", "4", "default", "ctx"]),
    st.sampled_from(["Local/1@default-00000001;1", "Local/1@default-00000001;2", "PJSIP/a-1"]),
    st.sampled_from(["Agent/1", "Agent:1", "holding_bridge", "dialplan2cti", "Pop", "b1"]),
    st.text(max_size=12),
)
ami_events = st.builds(
    lambda name, fields: {**fields, "Event": name},
    st.sampled_from(EVENT_NAMES),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=14),
)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_errors_logged() -> Iterator[None]:
    # feed() logs and swallows a handler's exception: an error record is the failure.
    handler = _Errors()
    logger = logging.getLogger("ctid.calls")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage() for record in handler.records] == []


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(ami_events, max_size=40),
    listed=st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=10), max_size=4),
    max_calls=st.integers(min_value=1, max_value=5),
)
def test_garbage_never_raises_and_resync_leaves_no_ghost(
    events: list[dict[str, str]], listed: list[dict[str, str]], max_calls: int
) -> None:
    model = CallModel(
        ipbx_id="xivo",
        incoming_contexts={"default"},
        outgoing_contexts={"ctx"},
        custom_events={"Pop"},
        max_calls=max_calls,
    )
    with no_errors_logged():
        told = [call_event for ami in events for call_event in model.feed(ami)]
        assert len(model.calls()) <= max_calls
        model.channels(), model.queues(), model.agents(), model.phones()
        model.begin_resync()
        told += model.end_resync(listed)
        told += model.end_resync([])
    assert [e.sequence for e in told] == list(range(1, len(told) + 1))
    assert model.sizes() == {"channels": 0, "calls": 0, "bridges": 0, "names": 0}
    assert all(queue.callers == () for queue in model.queues())
