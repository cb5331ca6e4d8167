"""The call model on hand-written AMI events: transfers, renames, Local pairs, resync, bounds."""

from __future__ import annotations

import json
import logging

import pytest

from ctid.callevents import CallEvent
from ctid.calls import CallModel

pytestmark = pytest.mark.timeout(30)

A, B, C = "PJSIP/2001-00000001", "PJSIP/2002-00000002", "PJSIP/2003-00000003"
BRIDGE = "5f1c2b0e-7d3a-4c52-9d7e-0a6b1f2e3c4d"


def snapshot(
    name: str,
    uniqueid: str,
    linkedid: str,
    *,
    prefix: str = "",
    context: str = "internal",
    exten: str = "",
    state: str = "Up",
    num: str = "<unknown>",
    cid_name: str = "<unknown>",
) -> dict[str, str]:
    """One channel snapshot as Asterisk 13+ writes it, under `prefix`."""
    fields = {
        "Channel": name,
        "ChannelState": {"Down": "0", "Ring": "4", "Ringing": "5", "Up": "6"}[state],
        "ChannelStateDesc": state,
        "CallerIDNum": num,
        "CallerIDName": cid_name,
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Language": "en",
        "AccountCode": "",
        "Context": context,
        "Exten": exten,
        "Priority": "1",
        "Uniqueid": uniqueid,
        "Linkedid": linkedid,
    }
    return {prefix + key: value for key, value in fields.items()}


def event(name: str, *snapshots: dict[str, str], **fields: str) -> dict[str, str]:
    """An AMI event: its name, then the snapshots, then the other fields."""
    message = {"Event": name, "Privilege": "call,all"}
    for part in snapshots:
        message.update(part)
    message.update(fields)
    return message


def feed_all(model: CallModel, *events: dict[str, str]) -> list[CallEvent]:
    return [call_event for ami in events for call_event in model.feed(ami)]


def internal_call(model: CallModel, n: int = 1, *, context: str = "internal") -> list[CallEvent]:
    """Call n: 2001 calls 2002, who answers; both talk in a bridge; the caller hangs up."""
    a, b, lid, bridge = f"{A}{n}", f"{B}{n}", f"{n}.1", f"bridge-{n}"
    caller = snapshot(a, f"{n}.1", lid, context=context, exten="2002", num="2001", cid_name="Al")
    callee = snapshot(b, f"{n}.2", lid, context=context, exten="2002", num="2002", cid_name="Bo")
    dest = snapshot(b, f"{n}.2", lid, prefix="Dest", context=context, state="Down")
    return feed_all(
        model,
        event("Newchannel", {**caller, "ChannelState": "4", "ChannelStateDesc": "Ring"}),
        event("Newexten", caller, Extension="2002", Application="Dial", AppData="PJSIP/2002"),
        event("Newchannel", snapshot(b, f"{n}.2", lid, context=context, state="Down")),
        event("DialBegin", caller, dest, DialString="2002"),
        event("NewCallerid", callee),
        event("DialEnd", caller, dest, DialStatus="ANSWER"),
        event("BridgeEnter", callee, BridgeUniqueid=bridge, BridgeTechnology="simple_bridge"),
        event("BridgeEnter", caller, BridgeUniqueid=bridge, BridgeTechnology="simple_bridge"),
        event("HangupRequest", caller, Cause="16"),
        event("BridgeLeave", caller, BridgeUniqueid=bridge),
        event("BridgeLeave", callee, BridgeUniqueid=bridge),
        event("BridgeDestroy", BridgeUniqueid=bridge),
        event("Hangup", caller, Cause="16", **{"Cause-txt": "Normal Clearing"}),
        event("Hangup", callee, Cause="16", **{"Cause-txt": "Normal Clearing"}),
    )


def shapes(events: list[CallEvent]) -> list[tuple[str, str, str]]:
    return [(e.where, e.channel, e.peer_channel) for e in events]


def assert_empty(model: CallModel) -> None:
    assert model.sizes() == {"channels": 0, "calls": 0, "bridges": 0, "names": 0}
    assert model.channels() == ()
    assert model.calls() == ()


def test_internal_call() -> None:
    model = CallModel(ipbx_id="xivo", clock=lambda: 42.0)
    events = internal_call(model)

    a, b = f"{A}1", f"{B}1"
    assert shapes(events) == [
        ("dial", a, b),
        ("link", a, b),
        ("unlink", a, b),
        ("hangup", a, ""),
        ("hangup", b, ""),
    ]
    dial, link = events[0], events[1]
    assert (dial.called_num, dial.peer_interface, dial.peer_exten, dial.peer_context) == (
        "2002",
        "PJSIP/2002",
        "2002",
        "internal",
    )
    assert (link.called_num, link.called_name, link.caller_num, link.caller_name) == (
        "2002",
        "Bo",
        "2001",
        "Al",
    )
    assert all(e.time == 42.0 for e in events)  # no Timestamp: the clock
    assert all(
        (e.direction, e.origin, e.contexts) == ("internal", "internal", frozenset({"internal"}))
        for e in events
    )
    assert events[3].cause == "16"
    assert_empty(model)


def test_unknown_caller_ids_are_empty() -> None:
    model = CallModel(ipbx_id="xivo")
    (dial,) = model.feed(
        event(
            "DialBegin",
            snapshot(A, "1.1", "1.1"),
            snapshot(B, "1.2", "1.1", prefix="Dest", state="Down"),
            DialString="2002",
        )
    )
    assert (dial.caller_num, dial.caller_name) == ("", "")
    channel = model.get_channel("1.2")
    assert channel is not None
    assert (channel.caller_num, channel.connected_name) == ("", "")


def test_linkedid_change_moves_the_channel_to_the_older_call() -> None:
    # Attended transfer: A-B talk (call 1.1), B consults C (call 1.5), then A and C are put
    # together; Asterisk rewrites C's Linkedid to A's.
    model = CallModel(ipbx_id="xivo")
    a = snapshot(A, "1.1", "1.1", num="2001")
    b = snapshot(B, "1.2", "1.1", num="2002")
    b2 = snapshot("PJSIP/2002-00000005", "1.5", "1.5", num="2002", context="other")
    c = snapshot(C, "1.6", "1.5", num="2003", context="other")
    feed_all(
        model,
        event("Newchannel", a),
        event("Newchannel", b),
        event("BridgeEnter", b, BridgeUniqueid="x"),
        event("BridgeEnter", a, BridgeUniqueid="x"),
        event("Newchannel", b2),
        event("Newchannel", c),
        event("DialBegin", b2, {f"Dest{k}": v for k, v in c.items()}, DialString="2003"),
        event("BridgeEnter", c, BridgeUniqueid="y"),
        event("BridgeEnter", b2, BridgeUniqueid="y"),
    )
    assert [call.linkedid for call in model.calls()] == ["1.1", "1.5"]

    moves = feed_all(
        model,
        event("BridgeLeave", a, BridgeUniqueid="x"),
        event("BridgeLeave", b2, BridgeUniqueid="y"),
        event("BridgeEnter", a, BridgeUniqueid="y"),
        event("AttendedTransfer", Result="Success", DestType="Bridge", DestBridgeUniqueid="y"),
        event("BridgeLeave", b, BridgeUniqueid="x"),
        event("Hangup", b2, Cause="16"),
        event("Hangup", b, Cause="16"),
        event("Newstate", {**c, "Linkedid": "1.1"}),
    )
    assert [(e.where, e.channel, e.peer_channel) for e in moves] == [
        ("unlink", A, B),
        ("unlink", "PJSIP/2002-00000005", C),
        ("link", A, C),
        ("hangup", "PJSIP/2002-00000005", ""),
        ("hangup", B, ""),
    ]
    (call,) = model.calls()
    assert (call.linkedid, call.channels) == ("1.1", ("1.1", "1.6"))
    assert set(call.contexts) == {"internal", "other"}

    ends = feed_all(model, event("Hangup", {**c, "Linkedid": "1.1"}, Cause="16"))
    assert [(e.where, e.channel, e.peer_channel, e.linkedid) for e in ends] == [
        ("unlink", A, C, "1.1"),
        ("hangup", C, "", "1.1"),
    ]


def test_rename_keeps_the_channel() -> None:
    model = CallModel(ipbx_id="xivo")
    feed_all(
        model,
        event(
            "DialBegin",
            snapshot(A, "1.1", "1.1"),
            snapshot(B, "1.2", "1.1", prefix="Dest", state="Down"),
            DialString="2002",
        ),
        event("Rename", Channel=B, Newname="PJSIP/2002-0000000f", Uniqueid="1.2"),
    )
    renamed = model.get_channel("1.2")
    assert renamed is not None
    assert (renamed.name, renamed.interface) == ("PJSIP/2002-0000000f", "PJSIP/2002")

    (hangup,) = model.feed(event("Hangup", snapshot("PJSIP/2002-0000000f", "1.2", "1.1")))
    assert (hangup.where, hangup.channel) == ("hangup", "PJSIP/2002-0000000f")
    assert model.sizes()["names"] == 1


def local_pair(n: int, exten: str = "1001") -> tuple[dict[str, str], dict[str, str]]:
    one = snapshot(f"Local/{exten}@default-0000000{n};1", f"{n}.1", "9.9", state="Down")
    two = snapshot(f"Local/{exten}@default-0000000{n};2", f"{n}.2", "9.9", state="Ring")
    return one, two


def test_local_halves_are_paired_by_name_and_tell_one_hangup() -> None:
    model = CallModel(ipbx_id="xivo")
    one, two = local_pair(1)
    caller = snapshot(A, "9.9", "9.9", num="2001")
    events = feed_all(
        model,
        event("Newchannel", caller),
        event("Newchannel", one),
        event("Newchannel", two),
        event(
            "DialBegin", caller, {f"Dest{k}": v for k, v in one.items()}, DialString="1001@default"
        ),
    )
    assert [(e.where, e.peer_exten, e.peer_context, e.peer_interface) for e in events] == [
        ("dial", "1001", "default", "Local/1001@default")
    ]
    half = model.get_channel("1.2")
    assert half is not None and half.partner == "1.1"

    hangups = feed_all(model, event("Hangup", two), event("Hangup", one), event("Hangup", caller))
    # ;2 was never named in an event; ;1 tells the leg's hangup; the caller tells its own.
    assert shapes(hangups) == [
        ("hangup", "Local/1001@default-00000001;1", ""),
        ("hangup", A, ""),
    ]
    assert_empty(model)


def test_local_bridge_pairs_the_halves_and_the_first_named_half_tells() -> None:
    model = CallModel(ipbx_id="xivo")
    one, two = local_pair(2)
    # Renamed before LocalBridge: the names no longer pair, LocalBridge does.
    two = {**two, "Channel": "Local/other"}
    feed_all(
        model,
        event("Newchannel", one),
        event("Newchannel", two),
        event(
            "LocalBridge",
            {f"LocalOne{k}": v for k, v in one.items()},
            {f"LocalTwo{k}": v for k, v in two.items()},
            Context="default",
            Exten="1001",
            LocalOptimization="Yes",
        ),
        event("QueueCallerJoin", two, Queue="q", Position="1", Count="1"),
        event("DialBegin", {f"Dest{k}": v for k, v in one.items()}, DialString="1001@default"),
    )
    hangups = feed_all(model, event("Hangup", two), event("Hangup", one))
    assert shapes(hangups) == [("hangup", "Local/other", "")]
    assert_empty(model)
    assert model.queues()[0].callers == ()


def test_resync_closes_ghosts_and_adopts_the_unknown() -> None:
    model = CallModel(ipbx_id="xivo", clock=lambda: 7.0)
    caller = snapshot(A, "1.1", "1.1")
    feed_all(
        model,
        event("DialBegin", caller, snapshot(B, "1.2", "1.1", prefix="Dest"), DialString="2002"),
        event("BridgeEnter", snapshot(B, "1.2", "1.1"), BridgeUniqueid=BRIDGE),
        event("BridgeEnter", caller, BridgeUniqueid=BRIDGE),
        event("Newchannel", snapshot("PJSIP/9-00000009", "3.1", "3.1")),  # never in an event
    )
    model.begin_resync()
    # A call that starts while CoreShowChannels runs is not in its answer, yet alive.
    model.feed(event("Newchannel", snapshot("PJSIP/5-00000010", "5.1", "5.1")))
    listed = [
        event("CoreShowChannel", snapshot(C, "4.1", "4.1"), BridgeId="z", Duration="00:01:00"),
        event("CoreShowChannel", snapshot("PJSIP/7-00000007", "4.2", "4.1"), BridgeId="z"),
    ]
    events = model.end_resync(listed)

    assert [(e.where, e.channel, e.peer_channel, e.time) for e in events] == [
        ("unlink", A, B, 7.0),
        ("hangup", B, "", 7.0),
        ("hangup", A, "", 7.0),
    ]
    assert [c.uniqueid for c in model.channels()] == ["5.1", "4.1", "4.2"]
    assert [call.linkedid for call in model.calls()] == ["5.1", "4.1"]
    # Adopted channels sit in their bridge, silently; leaving it tells nothing either.
    assert model.sizes()["bridges"] == 1
    assert model.feed(event("BridgeLeave", snapshot(C, "4.1", "4.1"), BridgeUniqueid="z")) == []
    assert model.end_resync([]) == []
    assert_empty(model)


def test_thousands_of_calls_leave_nothing_behind() -> None:
    model = CallModel(ipbx_id="xivo", incoming_contexts={"from-extern"}, custom_events={"Pop"})
    sequences: set[int] = set()
    for n in range(3000):
        # While the call is up: a queue visit, dialplan values and a custom event.
        waiting = snapshot(f"PJSIP/q-{n}", f"{n}.9", f"{n}.9")
        extras = feed_all(
            model,
            event("QueueCallerJoin", waiting, Queue="support", Position="1", Count="1"),
            event("UserEvent", waiting, UserEvent="dialplan2cti", Crm=str(n)),
            event("UserEvent", waiting, UserEvent="Pop", Crm=str(n)),
        )
        events = internal_call(model, n, context="from-extern" if n % 2 else "internal")
        extras += feed_all(model, event("Hangup", waiting, Cause="16"))
        assert [e.where for e in extras] == ["incomingqueue", "custom.Pop", "hangup"]
        sequences.update(e.sequence for e in events + extras)
        assert model.calls() == ()
    # Every event numbered once: 5 per call, incomingdid on odd calls, 3 extras per call.
    assert len(sequences) == max(sequences) == 3000 * 8 + 1500
    assert_empty(model)
    (queue,) = model.queues()
    assert queue.callers == ()
    assert model.agents() == ()


def test_max_calls_drops_the_oldest(caplog: pytest.LogCaptureFixture) -> None:
    model = CallModel(ipbx_id="xivo", max_calls=10)
    with caplog.at_level(logging.WARNING, logger="ctid.calls"):
        for n in range(25):
            model.feed(event("Newchannel", snapshot(f"{A}{n}", f"{n}.1", f"{n}.1")))
            model.feed(event("Newchannel", snapshot(f"{B}{n}", f"{n}.2", f"{n}.1")))
    assert [call.linkedid for call in model.calls()] == [f"{n}.1" for n in range(15, 25)]
    assert model.sizes() == {"channels": 20, "calls": 10, "bridges": 0, "names": 20}
    assert len([r for r in caplog.records if "dropping the oldest" in r.getMessage()]) == 15


def test_incoming_and_outgoing_contexts() -> None:
    model = CallModel(
        ipbx_id="xivo", incoming_contexts={"from-extern"}, outgoing_contexts={"to-extern"}
    )
    trunk = snapshot(
        "PJSIP/trunk-00000010",
        "1.1",
        "1.1",
        context="from-extern",
        exten="0142000000",
        state="Ring",
        num="0612345678",
    )
    events = feed_all(
        model,
        event("Newchannel", trunk),
        event("Newexten", trunk, Application="NoOp", AppData=""),
        event("Newexten", {**trunk, "Context": "default", "Exten": "1001"}, AppData="x"),
        event("Newexten", {**trunk, "Context": "to-extern", "Exten": "0600"}, AppData="y"),
        event("Newexten", {**trunk, "Context": "to-extern", "Exten": "0600"}, AppData="z"),
    )
    assert [(e.where, e.did, e.exten, e.called_num, e.direction, e.origin) for e in events] == [
        ("incomingdid", "0142000000", "0142000000", "0142000000", "incoming", "did"),
        ("outcall", "0142000000", "0600", "0600", "incoming", "did"),
    ]
    assert events[1].contexts == {"from-extern", "default", "to-extern"}

    phone = snapshot(A, "2.1", "2.1", context="default", exten="0600", state="Ring")
    dialled = feed_all(
        model,
        event("Newchannel", phone),
        event("Newexten", {**phone, "Context": "to-extern"}, AppData="PJSIP/0600@trunk"),
    )
    assert [(e.where, e.direction, e.origin) for e in dialled] == [
        ("outcall", "outgoing", "outcall")
    ]


def test_dialled_placeholder_is_not_an_entry() -> None:
    # The "(Outgoing Line)" Newexten of a channel being dialled runs no dialplan.
    model = CallModel(ipbx_id="xivo", incoming_contexts={"default"})
    local = snapshot("Local/2000@default-00000001;1", "1.1", "1.1", context="default", state="Down")
    assert model.feed(event("Newchannel", local)) == []
    assert (
        model.feed(event("Newexten", local, Application="AppDial2", AppData="(Outgoing Line)"))
        == []
    )


def test_user_events() -> None:
    model = CallModel(ipbx_id="xivo", custom_events={"CtiPopup"})
    a = snapshot(A, "1.1", "1.1")
    assert (
        feed_all(
            model,
            event("UserEvent", a, UserEvent="dialplan2cti", VARIABLE="Crm_Id", VALUE="4711"),
            event("UserEvent", a, UserEvent="dialplan2cti", Company="ACME"),
            event("UserEvent", a, UserEvent="NotConfigured", Foo="bar"),
        )
        == []
    )
    (custom,) = model.feed(
        event("UserEvent", a, UserEvent="CtiPopup", Crm="99", ChanVariable="X=1")
    )
    assert (custom.where, custom.channel, dict(custom.extra)) == (
        "custom.CtiPopup",
        A,
        {"crm": "99"},
    )
    assert custom.dialplan == {"crm_id": "4711", "company": "ACME"}
    # Sent with the AMI UserEvent action: no channel at all.
    (bare,) = model.feed({"Event": "UserEvent", "UserEvent": "CtiPopup", "ActionID": "7", "K": "v"})
    assert (bare.channel, bare.linkedid, dict(bare.extra)) == ("", "", {"k": "v"})


def test_queue_members_and_agents() -> None:
    model = CallModel(ipbx_id="xivo")
    member = {
        "Queue": "support",
        "MemberName": "Alice",
        "Interface": "Local/1001@agents",
        "StateInterface": "Agent:1001",
        "Membership": "dynamic",
        "Penalty": "0",
        "Status": "1",
        "Paused": "0",
    }
    agent_chan = snapshot("PJSIP/2001-0000000a", "5.1", "5.1")
    caller = snapshot("PJSIP/trunk-0000000b", "6.1", "6.1", num="0612")
    dest = snapshot("Local/1001@agents-0000000c;1", "6.2", "6.1", prefix="Dest")
    queue_fields = {"Queue": "support", "Interface": "Local/1001@agents", "MemberName": "Alice"}
    events = feed_all(
        model,
        event("QueueMemberAdded", **member),
        event("QueueMemberPause", **{**member, "Paused": "1", "PausedReason": "lunch"}),
        event("AgentLogin", agent_chan, Agent="1001"),
        event("QueueCallerJoin", caller, Queue="support", Position="1", Count="1"),
        event("AgentCalled", caller, dest, **queue_fields),
    )
    assert model.agents()[0].status == "ringing"
    events += feed_all(model, event("AgentConnect", caller, dest, HoldTime="3", **queue_fields))
    assert model.agents()[0].status == "busy"
    events += feed_all(model, event("AgentComplete", caller, dest, Reason="caller", **queue_fields))
    assert [(e.where, e.agent, e.called_num, e.called_name, e.queue) for e in events] == [
        ("incomingqueue", "", "", "", "support"),
        ("agentcalled", "1001", "1001", "Alice", "support"),
        ("agentlinked", "1001", "1001", "Alice", "support"),
        ("agentunlinked", "1001", "1001", "Alice", "support"),
    ]
    (agent,) = model.agents()
    assert (agent.agent, agent.status, agent.channel, agent.queue) == (
        "1001",
        "idle",
        "PJSIP/2001-0000000a",
        "support",
    )
    (queue,) = model.queues()
    assert queue.callers == ("6.1",)
    assert (queue.members[0].paused, queue.members[0].paused_reason) == ("1", "lunch")

    feed_all(
        model,
        event("QueueCallerAbandon", caller, Queue="support", Position="1", HoldTime="9"),
        event("QueueCallerLeave", caller, Queue="support", Position="1", Count="0"),
        event("QueueMemberRemoved", **member),
        event("AgentLogoff", agent_chan, Agent="1001", Logintime="60"),
    )
    (queue,) = model.queues()
    assert (queue.callers, queue.members, queue.abandoned) == ((), (), 1)
    assert model.agents() == ()


def test_agents_list_after_reconnect() -> None:
    model = CallModel(ipbx_id="xivo")
    feed_all(
        model,
        {"Event": "Agents", "Agent": "1001", "Name": "Alice", "Status": "AGENT_ONCALL"},
        {"Event": "Agents", "Agent": "1002", "Name": "Bob", "Status": "AGENT_LOGGEDOFF"},
    )
    assert [(a.agent, a.name, a.status) for a in model.agents()] == [("1001", "Alice", "busy")]


def test_phone_states() -> None:
    model = CallModel(ipbx_id="xivo")
    feed_all(
        model,
        {"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "INUSE"},
        {"Event": "DeviceStateChange", "Device": "Local/1001@default", "State": "INUSE"},
        {"Event": "DeviceStateChange", "Device": "Local/1001@default", "State": "NOT_INUSE"},
        {
            "Event": "ExtensionStatus",
            "Exten": "1001",
            "Context": "hints",
            "Hint": "PJSIP/1001",
            "Status": "1",
            "StatusText": "InUse",
        },
        {"Event": "ExtensionStatus", "Exten": "1002", "Context": "hints", "Status": "0"},
        {"Event": "ExtensionStatus", "Exten": "1002", "Context": "hints", "Status": "-2"},
    )
    phones = model.phones()
    assert phones.devices == {"PJSIP/1001": "INUSE"}
    assert list(phones.extensions) == ["1001@hints"]
    assert phones.to_dict()["extensions"]["1001@hints"] == {
        "exten": "1001",
        "context": "hints",
        "hint": "PJSIP/1001",
        "status": "1",
        "status_text": "InUse",
    }


def test_hold_and_snapshots_are_plain_data() -> None:
    model = CallModel(ipbx_id="xivo")
    model.feed(event("Newchannel", snapshot(A, "1.1", "1.1")))
    model.feed(event("Hold", snapshot(A, "1.1", "1.1"), MusicClass="default"))
    (channel,) = model.channels()
    assert channel.on_hold
    assert channel.to_dict()["on_hold"] is True
    model.feed(event("Unhold", snapshot(A, "1.1", "1.1")))
    assert not model.channels()[0].on_hold
    assert model.calls()[0].to_dict() == {
        "linkedid": "1.1",
        "channels": ("1.1",),
        "contexts": ("internal",),
        "direction": "internal",
        "origin": "internal",
        "did": "",
        "queue": "",
        "dialplan": {},
        "incoming_context": "",
    }


def test_holding_bridges_link_nobody() -> None:
    model = CallModel(ipbx_id="xivo")
    parked = [snapshot(f"PJSIP/{n}-0000000{n}", f"{n}.1", f"{n}.1") for n in (1, 2)]
    events = feed_all(
        model,
        *(
            event("BridgeEnter", p, BridgeUniqueid="lot", BridgeTechnology="holding_bridge")
            for p in parked
        ),
    )
    assert events == []


def test_responses_and_unknown_events_are_ignored() -> None:
    model = CallModel(ipbx_id="xivo")
    assert model.feed({"Response": "Success", "ActionID": "1", "Message": "ok"}) == []
    assert model.feed({"Event": "Cdr", "Channel": A, "UniqueID": "1.1"}) == []
    assert model.feed({"Event": "VarSet", "Channel": "none", "Uniqueid": "none"}) == []
    assert model.feed(event("Hangup", snapshot(A, "1.1", "1.1"))) == []
    assert_empty(model)


def test_call_events_are_plain_serializable_data() -> None:
    event = CallEvent(
        where="dial",
        ipbx_id="x",
        sequence=1,
        time=1.5,
        channel="c",
        uniqueid="u",
        linkedid="u",
        contexts=frozenset({"b", "a"}),
    )
    data = event.to_dict()
    assert data["contexts"] == ["a", "b"] and data["dialplan"] == {} and data["extra"] == {}
    assert json.loads(json.dumps(data))["where"] == "dial"
