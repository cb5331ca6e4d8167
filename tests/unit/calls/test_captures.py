"""The call model on real Asterisk 22.10.1 captures: the exact call events each call causes."""

from __future__ import annotations

import pathlib

import pytest

from ctid.callevents import CallEvent
from ctid.calls import CallModel
from ctid_ami.protocol import AmiMessage, AmiParser

pytestmark = pytest.mark.timeout(10)

ORIG = "Local/1001@default-00000000;1"
DID_1 = "Local/2000@default-00000001;1"
DID_2 = "Local/2000@default-00000001;2"
PHONE_1001 = "Local/1001@default-00000002;1"
QUEUE_1 = "Local/3000@default-00000003;1"
QUEUE_2 = "Local/3000@default-00000003;2"
MEMBER_1 = "Local/1002@default-00000004;1"


def messages(data_dir: pathlib.Path, name: str) -> list[AmiMessage]:
    """Every message of a capture, through the AMI plugin's parser."""
    return AmiParser().feed((data_dir / "ami" / name).read_bytes())


def replay(model: CallModel, data_dir: pathlib.Path, name: str) -> list[CallEvent]:
    """Feed a whole capture; return every call event, in order."""
    return [event for message in messages(data_dir, name) for event in model.feed(message)]


def shape(event: CallEvent) -> tuple[str, str, str, str]:
    """(where, channel, peer channel, called number): what a sheet's recipients depend on."""
    return event.where, event.channel, event.peer_channel, event.called_num


def assert_well_formed(events: list[CallEvent], model: CallModel) -> None:
    """Numbered in order, stamped with Asterisk's time, and nothing left once the call ended."""
    assert [event.sequence for event in events] == list(range(1, len(events) + 1))
    assert [event.time for event in events] == sorted(event.time for event in events)
    assert all(event.ipbx_id == "xivo" for event in events)
    assert all(event.contexts == frozenset({"default"}) for event in events)
    assert model.channels() == ()
    assert model.calls() == ()
    assert model.sizes() == {"channels": 0, "calls": 0, "bridges": 0, "names": 0}


def test_originate_tells_the_dial_then_the_hangup(data_dir: pathlib.Path) -> None:
    # Originate of Local/1001@default to default,1002: no caller, one Local pair, no bridge.
    model = CallModel(ipbx_id="xivo")
    events = replay(model, data_dir, "originate.txt")

    assert [shape(event) for event in events] == [
        ("dial", ORIG, ORIG, "1001"),
        ("hangup", ORIG, "", ""),
    ]
    dial, hangup = events
    assert dial.time == 1795727724.023462
    assert (dial.caller_num, dial.caller_name) == ("5551234", "Test Caller")
    assert (dial.peer_interface, dial.peer_exten, dial.peer_context) == (
        "Local/1001@default",
        "1001",
        "default",
    )
    assert (dial.linkedid, dial.uniqueid, dial.peer_uniqueid) == ("1795727724.0",) * 3
    assert (dial.direction, dial.origin) == ("internal", "internal")
    assert (hangup.cause, hangup.uniqueid) == ("16", "1795727724.0")
    assert_well_formed(events, model)


def test_did_call_tells_incomingdid_and_carries_dialplan_values(data_dir: pathlib.Path) -> None:
    # The capture's dialplan has one context; its exten 2000 plays the DID. With `default` as
    # the incoming context, the call is a DID call from its first dialplan step (2000,1 on the
    # ;2 half), and the Local/1001@default leg it dials later belongs to the same call.
    model = CallModel(ipbx_id="xivo", incoming_contexts={"default"})
    events = replay(model, data_dir, "did_agi_ami.txt")

    assert [shape(event) for event in events] == [
        ("dial", DID_1, DID_1, "2000"),
        ("incomingdid", DID_2, "", "2000"),
        ("dial", DID_2, PHONE_1001, "1001"),
        ("link", DID_2, PHONE_1001, "1001"),
        ("unlink", DID_2, PHONE_1001, "1001"),
        ("hangup", PHONE_1001, "", ""),
        ("hangup", DID_2, "", ""),
    ]
    origin_dial, did, *later = events
    assert (origin_dial.direction, origin_dial.origin, origin_dial.did) == (
        "internal",
        "internal",
        "",
    )
    assert (did.did, did.exten, did.caller_num, did.caller_name) == (
        "2000",
        "2000",
        "0612345678",
        "Outside Caller",
    )
    assert all(
        (e.direction, e.origin, e.did, e.incoming_context) == ("incoming", "did", "2000", "default")
        for e in [did, *later]
    )
    # The dialplan2cti UserEvent comes after the first dialplan step: from the next event on.
    assert did.dialplan == {}
    assert all(
        e.dialplan
        == {
            "did": "2000",
            "calleridnum": "0612345678",
            "calleridname": "Outside Caller",
            "uniqueid": "1795727755.3",
            "linkedid": "1795727755.2",
        }
        for e in later
    )
    assert all(e.linkedid == "1795727755.2" for e in events)
    assert_well_formed(events, model)


def test_queue_call_tells_queue_and_agent_events(data_dir: pathlib.Path) -> None:
    model = CallModel(ipbx_id="xivo")
    events = replay(model, data_dir, "queue.txt")

    assert [shape(event) for event in events] == [
        ("dial", QUEUE_1, QUEUE_1, "3000"),
        ("incomingqueue", QUEUE_2, "", ""),
        ("agentcalled", QUEUE_2, MEMBER_1, "1002"),
        ("dial", QUEUE_2, MEMBER_1, "1002"),
        ("agentlinked", QUEUE_2, MEMBER_1, "1002"),
        ("link", QUEUE_2, MEMBER_1, "1002"),
        ("agentunlinked", QUEUE_2, MEMBER_1, "1002"),
        ("unlink", QUEUE_2, MEMBER_1, "1002"),
        ("hangup", MEMBER_1, "", ""),
        ("hangup", QUEUE_2, "", ""),
    ]
    queue_events = [e for e in events if e.where.startswith(("incomingqueue", "agent"))]
    assert all(e.queue == "support" for e in queue_events)
    agent_events = queue_events[1:]
    assert all(
        (e.member_interface, e.called_name, e.agent) == ("Local/1002@default", "Phone 1002", "")
        for e in agent_events
    )
    assert events[0].origin == "internal"
    assert all((e.origin, e.direction) == ("queue", "internal") for e in events[1:])
    assert all(e.caller_num == "0698765432" for e in events)
    assert_well_formed(events, model)


def test_queue_capture_leaves_the_queue_and_its_member(data_dir: pathlib.Path) -> None:
    model = CallModel(ipbx_id="xivo")
    replay(model, data_dir, "queue.txt")

    (queue,) = model.queues()
    assert (queue.name, queue.strategy, queue.callers, queue.abandoned) == (
        "support",
        "ringall",
        (),
        0,
    )
    (member,) = queue.members
    assert (member.interface, member.name, member.calls_taken, member.status) == (
        "Local/1002@default",
        "Phone 1002",
        "1",
        "1",
    )
    # Idle Local devices are forgotten; the queue's own device states stay.
    assert model.phones().devices == {
        "Queue:support": "NOT_INUSE",
        "Queue:support_avail": "NOT_INUSE",
    }


def test_queue_caller_is_listed_while_waiting(data_dir: pathlib.Path) -> None:
    model = CallModel(ipbx_id="xivo")
    for message in messages(data_dir, "queue.txt"):
        model.feed(message)
        if message.get("Event") == "AgentCalled":
            break

    (queue,) = model.queues()
    assert queue.callers == ("1795727785.7",)
    caller = model.get_channel("1795727785.7")
    assert caller is not None
    assert (caller.name, caller.queue, caller.partner) == (QUEUE_2, "support", "1795727785.6")
    call = model.get_call("1795727785.6")
    assert call is not None
    assert (call.origin, call.queue, call.contexts) == ("queue", "support", ("default",))
    assert call.channels == ("1795727785.6", "1795727785.7", "1795727785.8", "1795727785.9")


def test_a_plain_mapping_works_too(data_dir: pathlib.Path) -> None:
    # Without the parser's repeated keys, the UserEvent's custom CallerIDNum, Uniqueid… cannot
    # be told from the snapshot's: only Did is a dialplan value then.
    model = CallModel(ipbx_id="xivo", incoming_contexts={"default"})
    events = [
        event
        for message in messages(data_dir, "did_agi_ami.txt")
        for event in model.feed(dict(message))
    ]
    assert [event.where for event in events][:3] == ["dial", "incomingdid", "dial"]
    assert events[2].dialplan == {"did": "2000"}
