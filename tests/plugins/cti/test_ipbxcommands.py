"""ipbxcommand: the exact AMI action of each command, identity from the session, refusals."""

from typing import Any

import gevent.event
import pytest

from ctid.api import ActionResult

ALL = [
    "dial",
    "originate",
    "hangup",
    "transfer",
    "atxfer",
    "agentlogin",
    "agentlogout",
    "queueadd",
    "queueremove",
    "queuepause",
    "queueunpause",
    "record",
]
PROFILES = {
    "default": {"ipbxcommands": ALL},
    "switchboard": {"ipbxcommands": ALL, "acts_for_others": True},
    "limited": {"ipbxcommands": ["dial"]},
}


@pytest.fixture
def office(cti: Any, make_user: Any, channel_fields: Any) -> Any:
    cti.start(
        [
            make_user("alice", "default", "1001", firstname="Alice", agent="2001"),
            make_user("bob", "default", "1002", firstname="Bob", lastname="Brown"),
            make_user("boss", "default", "1003", profile="switchboard"),
            make_user("eve", "other", "3001"),
            make_user("lim", "default", "1004", profile="limited"),
        ],
        profiles=PROFILES,
        options={"queue_contexts": {"support": ["default"], "sales": ["other"]}},
    )
    cti.ingest("Newchannel", **channel_fields("PJSIP/1001-00000001", "100.1"))
    cti.ingest("Newchannel", **channel_fields("PJSIP/1002-00000002", "100.2"))
    cti.ingest("Newchannel", **channel_fields("PJSIP/trunk-00000003", "100.3", "from-extern"))
    for name, uniqueid in (("PJSIP/1001-00000001", "100.1"), ("PJSIP/trunk-00000003", "100.3")):
        fields = channel_fields(name, uniqueid, linkedid="100.3")
        cti.ingest("BridgeEnter", BridgeUniqueid="b-1", BridgeTechnology="simple_bridge", **fields)
    return cti


def command(client: Any, name: str, **fields: Any) -> dict[str, Any]:
    reply = client.request({"class": "ipbxcommand", "command": name, **fields})
    assert reply["class"] == "ipbxcommand" and reply["command"] == name
    return reply


def test_dial_is_one_async_originate_from_the_users_first_line(office: Any) -> None:
    alice = office.client("alice")
    reply = command(alice, "dial", destination="exten:xivo/1202")
    assert reply["status"] == "ok" and reply["message"] == "Originate done"
    assert office.recorder.actions == [
        (
            "Originate",
            {
                "Channel": "PJSIP/1001",
                "Context": "default",
                "Exten": "1202",
                "Priority": "1",
                "Timeout": "30000",
                "CallerID": '"1202" <1202>',
                "Async": "true",
                "Variable": ["XIVO_ORIGAPPLI=dial", "XIVO_USERID=alice", "XIVO_ORIGSRCNUM=1001"],
            },
        )
    ]


@pytest.mark.parametrize(
    ("destination", "exten", "caller_id"),
    [
        ("user:xivo/bob", "1002", '"Bob Brown" <1002>'),
        ("phone:xivo/1002@default", "1002", '"Bob Brown" <1002>'),
        ("+33 6 12-34.56 (78)", "+33612345678", '"+33612345678" <+33612345678>'),
        ("*98", "*98", '"*98" <*98>'),
    ],
)
def test_dial_destinations(office: Any, destination: str, exten: str, caller_id: str) -> None:
    assert command(office.client("alice"), "dial", destination=destination)["status"] == "ok"
    (fields,) = office.recorder.named("Originate")
    assert (fields["Exten"], fields["CallerID"]) == (exten, caller_id)


@pytest.mark.parametrize(
    ("destination", "why"),
    [
        ("1002\r\nAction: Command", "baddestination"),
        ("1002,evil", "baddestination"),
        ("exten:otherpbx/1002", "unknown_id"),
        ("user:xivo/eve", "baddestination"),  # another tenant's user is not reachable
        ("user:xivo/nobody", "baddestination"),
        ("queue:xivo/support", "baddestination"),
        (["1002"], "unknown_id"),
    ],
)
def test_bad_destinations_are_refused_before_any_action(
    office: Any, destination: Any, why: str
) -> None:
    reply = command(office.client("alice"), "dial", destination=destination)
    assert (reply["status"], reply["message"]) == ("ko", why)
    assert office.recorder.actions == []


def test_hangup_of_an_own_channel_only(office: Any) -> None:
    alice, bob = office.client("alice"), office.client("bob")
    assert command(alice, "hangup", channelids="chan:xivo/PJSIP/1001-00000001")["status"] == "ok"
    reply = command(bob, "hangup", channelids="chan:xivo/PJSIP/1001-00000001")
    assert (reply["status"], reply["message"]) == ("ko", "nosuchchannel")
    assert command(bob, "hangup", channelids="chan:xivo/PJSIP/gone-1")["message"] == (
        "nosuchchannel"
    )
    assert office.recorder.actions == [("Hangup", {"Channel": "PJSIP/1001-00000001"})]


def test_acts_for_others_may_hang_up_in_its_tenant_only(office: Any, channel_fields: Any) -> None:
    office.ingest("Newchannel", **channel_fields("PJSIP/3001-00000009", "100.9", "other"))
    office.ingest("Newchannel", **channel_fields("PJSIP/x-0000000a", "100.10", "other"))
    boss = office.client("boss")
    assert command(boss, "hangup", channelids="PJSIP/1002-00000002")["status"] == "ok"
    # eve's channel, and an unowned one running in her context, are out of reach.
    assert command(boss, "hangup", channelids="PJSIP/3001-00000009")["message"] == "nosuchchannel"
    assert command(boss, "hangup", channelids="PJSIP/x-0000000a")["message"] == "nosuchchannel"
    assert office.recorder.named("Hangup") == [{"Channel": "PJSIP/1002-00000002"}]


def test_transfer_redirects_the_peer_and_atxfer_uses_the_own_channel(office: Any) -> None:
    alice = office.client("alice")
    source = "chan:xivo/PJSIP/1001-00000001"
    assert command(alice, "transfer", source=source, destination="1002")["status"] == "ok"
    assert command(alice, "atxfer", source=source, destination="user:xivo/bob")["status"] == "ok"
    assert office.recorder.actions == [
        (
            "Redirect",
            {
                "Channel": "PJSIP/trunk-00000003",
                "Context": "default",
                "Exten": "1002",
                "Priority": "1",
            },
        ),
        ("Atxfer", {"Channel": "PJSIP/1001-00000001", "Exten": "1002", "Context": "default"}),
    ]
    bob = office.client("bob")
    reply = command(bob, "transfer", source="chan:xivo/PJSIP/1002-00000002", destination="1")
    assert reply["message"] == "notbridged"
    assert command(alice, "transfer", source=source)["message"] == "missing:destination"


def test_originate_is_for_acts_for_others_profiles_within_the_tenant(office: Any) -> None:
    reply = command(office.client("alice"), "originate", source="user:xivo/bob", destination="1")
    assert (reply["status"], reply["message"]) == ("ko", "unallowed")
    boss = office.client("boss")
    reply = command(boss, "originate", source="user:xivo/bob", destination="exten:xivo/1001")
    assert reply["status"] == "ok"
    reply = command(boss, "originate", source="user:xivo/eve", destination="1001")
    assert reply["message"] == "unknown_source"
    (fields,) = office.recorder.named("Originate")
    assert fields["Channel"] == "PJSIP/1002" and fields["Context"] == "default"
    assert fields["Variable"] == [
        "XIVO_ORIGAPPLI=originate",
        "XIVO_USERID=boss",
        "XIVO_ORIGSRCNUM=1002",
    ]


def test_agent_login_rings_the_agent_into_agentlogin_and_logout_is_agentlogoff(
    office: Any,
) -> None:
    alice = office.client("alice")
    assert command(alice, "agentlogin")["status"] == "ok"
    assert command(alice, "agentlogout")["status"] == "ok"
    assert command(office.client("bob"), "agentlogin")["message"] == "noagent"
    assert command(office.client("bob"), "agentlogout", member="agent:xivo/2001")["message"] == (
        "noagent"
    )
    assert command(office.client("boss"), "agentlogout", member="agent:xivo/2001")["status"] == (
        "ok"
    )
    assert office.recorder.actions == [
        (
            "Originate",
            {
                "Channel": "PJSIP/1001",
                "Application": "AgentLogin",
                "Data": "2001",
                "Timeout": "30000",
                "CallerID": '"Agent 2001" <2001>',
                "Async": "true",
                "Variable": ["XIVO_ORIGAPPLI=agentlogin", "XIVO_USERID=alice"],
            },
        ),
        ("AgentLogoff", {"Agent": "2001"}),
        ("AgentLogoff", {"Agent": "2001"}),
    ]


def test_queue_membership_commands(office: Any) -> None:
    alice, bob = office.client("alice"), office.client("bob")
    assert command(alice, "queueadd", queue="queue:xivo/support", paused=True)["status"] == "ok"
    assert command(bob, "queueadd", queue="support")["status"] == "ok"
    assert command(alice, "queuepause", queue="queue:xivo/support")["status"] == "ok"
    assert command(alice, "queueunpause")["status"] == "ok"
    assert command(bob, "queueremove", queue="support")["status"] == "ok"
    assert command(alice, "queueadd", queue="sales")["message"] == "unknown_queue"
    assert command(alice, "queueadd", queue="nosuch")["message"] == "unknown_queue"
    assert command(alice, "queueadd")["message"] == "missing:queue"
    agent = {"Interface": "Local/2001@agents"}
    assert office.recorder.actions == [
        (
            "QueueAdd",
            {
                "Queue": "support",
                **agent,
                "Paused": "true",
                "MemberName": "Alice",
                "StateInterface": "Agent:2001",
            },
        ),
        (
            "QueueAdd",
            {
                "Queue": "support",
                "Interface": "PJSIP/1002",
                "Paused": "false",
                "MemberName": "Bob Brown",
            },
        ),
        ("QueuePause", {**agent, "Paused": "true", "Queue": "support"}),
        ("QueuePause", {**agent, "Paused": "false"}),
        ("QueueRemove", {"Queue": "support", "Interface": "PJSIP/1002"}),
    ]


def test_commands_outside_the_profile_or_unknown(office: Any) -> None:
    lim = office.client("lim")
    reply = command(lim, "hangup", channelids="x")
    assert (reply["status"], reply["message"]) == ("ko", "unallowed")
    assert command(office.client("alice"), "record")["message"] == "unknown_command"
    reply = lim.request({"class": "ipbxcommand"})
    assert reply["warning_string"] == "missing:command"
    assert office.recorder.actions == []


def test_asterisk_errors_and_a_missing_link_come_back_as_ko(office: Any) -> None:
    alice = office.client("alice")
    office.recorder.answers["Originate"] = ActionResult(
        "Error", {"Message": "Extension does not exist."}
    )
    reply = command(alice, "dial", destination="1")
    assert (reply["status"], reply["message"]) == ("ko", "Extension does not exist.")
    failure = {"Event": "OriginateResponse", "Response": "Failure", "Reason": "5"}
    office.recorder.answers["Originate"] = ActionResult(
        "Success", {"Message": "Originate successfully queued"}, events=[failure]
    )
    assert command(alice, "dial", destination="1")["message"] == "originate_failed:5"
    office.recorder.down = True
    reply = command(alice, "dial", destination="1")
    assert (reply["status"], reply["message"]) == ("ko", "ipbx_unavailable")
    office.daemon.ipbx.detach("down", "test")
    assert command(alice, "hangup", channelids="PJSIP/1001-00000001")["message"] == (
        "ipbx_unavailable"
    )
    assert alice.request({"class": "keepalive"})["class"] == "keepalive"


class Slow:
    """A transport that holds every action until released (a phone that keeps ringing)."""

    def __init__(self) -> None:
        self.release = gevent.event.Event()
        self.started = 0

    def send_action(self, action: str, fields: Any, timeout: float) -> ActionResult:
        self.started += 1
        self.release.wait(timeout)
        return ActionResult("Success", {"Message": "late"})


def test_a_ringing_dial_does_not_block_the_session_and_in_flight_commands_are_bounded(
    office: Any,
) -> None:
    slow = Slow()
    office.daemon.ipbx.attach(slow, "11.0.0")
    office.daemon.config.data["plugins"]["cti"]["pending_commands"] = 2
    alice = office.client("alice")
    first = alice.send({"class": "ipbxcommand", "command": "dial", "destination": "1"})
    alice.send({"class": "ipbxcommand", "command": "dial", "destination": "2"})
    third = command(alice, "dial", destination="3")
    assert (third["status"], third["message"]) == ("ko", "busy")
    assert alice.request({"class": "keepalive"})["class"] == "keepalive"
    assert office.daemon.status()["plugins"]["cti"]["commands_in_flight"] == 2
    slow.release.set()
    assert alice.expect(lambda m: m.get("replyid") == first)["message"] == "late"
