"""Lists and status pushes: getlist answers, then only what changed, as the model changes."""

from typing import Any

import pytest

from ctid.testing import wait_until

LISTID = {"class": "getlist", "function": "listid", "tipbxid": "xivo"}


def pushed(client: Any, listname: str, function: str, tid: str | None = None) -> dict[str, Any]:
    def match(message: dict[str, Any]) -> bool:
        return (
            message.get("class") == "getlist"
            and "replyid" not in message
            and message.get("listname") == listname
            and message.get("function") == function
            and (tid is None or message.get("tid") == tid)
        )

    return client.expect(match)


@pytest.fixture
def office(cti: Any, make_user: Any) -> Any:
    cti.start(
        [
            make_user("alice", firstname="Alice", agent="2001"),
            make_user("bob", number="1002", firstname="Bob"),
        ],
        options={"queue_contexts": {"support": ["default"]}},
    )
    return cti


def test_getlist_answers_ids_config_and_status(office: Any) -> None:
    alice = office.client("alice")
    assert alice.request({**LISTID, "listname": "users"})["list"] == ["alice", "bob"]
    assert alice.request({**LISTID, "listname": "phones"})["list"] == [
        "1001@default",
        "1002@default",
    ]
    assert alice.request({**LISTID, "listname": "agents"})["list"] == ["2001"]
    assert alice.request({**LISTID, "listname": "queues"})["list"] == ["support"]
    for empty in ("channels", "queuemembers", "voicemails", "meetmes", "whatever"):
        assert alice.request({**LISTID, "listname": empty})["list"] == []
    assert alice.request({**LISTID, "listname": "users", "tipbxid": "other"})["list"] == []
    get = {"class": "getlist", "tipbxid": "xivo", "listname": "users", "tid": "bob"}
    config = alice.request({**get, "function": "updateconfig"})["config"]
    assert config["fullname"] == "Bob" and config["linelist"] == ["1002@default"]
    assert config["enablednd"] is False and config["destunc"] == ""
    status = alice.request({**get, "function": "updatestatus"})["status"]
    assert status == {"availstate": "disconnected", "connection": None}
    phone = {**get, "listname": "phones", "tid": "1001@default", "function": "updatestatus"}
    assert alice.request(phone)["status"] == {
        "hintstatus": "4",
        "reg": "",
        "channels": [],
        "queues": [],
        "groups": [],
    }
    assert alice.request({**get, "tid": "nobody", "function": "updateconfig"})[
        "warning_string"
    ] == ("unknown_id")
    assert alice.request({**get, "function": "frob"})["warning_string"] == "unknown_function"


def test_presence_is_pushed_with_only_the_changed_keys(office: Any) -> None:
    alice = office.client("alice")
    bob = office.client("bob")
    assert pushed(alice, "users", "updatestatus", "bob")["status"] == {
        "availstate": "available",
        "connection": "yes",
    }
    assert bob.request({"class": "availstate", "availstate": "away"})["availstate"] == "away"
    assert pushed(alice, "users", "updatestatus", "bob")["status"] == {"availstate": "away"}
    bob.request({"class": "logout"})
    assert pushed(alice, "users", "updatestatus", "bob")["status"] == {
        "availstate": "disconnected",
        "connection": None,
    }


def test_disallowed_presence_is_refused(cti: Any, make_user: Any) -> None:
    presence = {"available": {"allowed": ["away"]}, "away": {}, "lunch": {}}
    cti.start([make_user("alice")], profiles={"default": {"presence": presence}})
    alice = cti.client("alice")
    assert alice.request({"class": "availstate", "availstate": "lunch"})["warning_string"] == (
        "not_allowed"
    )
    reply = alice.request({"class": "availstate", "availstate": "disconnected"})
    assert reply["warning_string"] == "unknown_state"


def test_device_state_pushes_the_phone_hint(office: Any) -> None:
    alice = office.client("alice")
    office.ingest("DeviceStateChange", Device="PJSIP/1002", State="RINGING")
    assert pushed(alice, "phones", "updatestatus", "1002@default")["status"] == {"hintstatus": "8"}
    office.ingest("DeviceStateChange", Device="PJSIP/1002", State="INUSE")
    assert pushed(alice, "phones", "updatestatus", "1002@default")["status"] == {"hintstatus": "1"}


def test_channels_come_and_go_and_show_on_their_phone(office: Any, channel_fields: Any) -> None:
    alice = office.client("alice")
    fields = channel_fields("PJSIP/1002-00000001", "9.1", state="Ring")
    office.ingest("Newchannel", **fields)
    assert pushed(alice, "channels", "addconfig")["list"] == ["PJSIP/1002-00000001"]
    status = pushed(alice, "channels", "updatestatus", "PJSIP/1002-00000001")["status"]
    assert status["state"] == "Ring" and status["uniqueid"] == "9.1"
    phone = pushed(alice, "phones", "updatestatus", "1002@default")["status"]
    assert phone == {"channels": ["PJSIP/1002-00000001"]}
    office.ingest("Newstate", **{**fields, "ChannelStateDesc": "Up"})
    assert pushed(alice, "channels", "updatestatus", "PJSIP/1002-00000001")["status"] == {
        "state": "Up"
    }
    office.ingest("Hangup", **fields, Cause="16")
    assert pushed(alice, "channels", "delconfig")["list"] == ["PJSIP/1002-00000001"]
    assert pushed(alice, "phones", "updatestatus", "1002@default")["status"] == {"channels": []}


def test_queue_members_and_agents_are_pushed(office: Any, channel_fields: Any) -> None:
    alice = office.client("alice")
    member = {
        "Queue": "support",
        "MemberName": "Alice",
        "Interface": "Local/2001@agents",
        "StateInterface": "Agent:2001",
        "Membership": "dynamic",
        "Paused": "0",
        "Status": "1",
    }
    office.ingest("QueueMemberAdded", **member)
    status = pushed(alice, "queues", "updatestatus", "support")["status"]
    assert status["agentmembers"] == ["2001"]
    assert pushed(alice, "agents", "updatestatus", "2001")["status"] == {"queues": ["support"]}
    office.ingest("QueueMemberPause", **{**member, "Paused": "1"})
    assert pushed(alice, "agents", "updatestatus", "2001")["status"] == {
        "pausedqueues": ["support"]
    }
    login = channel_fields("PJSIP/1001-00000005", "9.5")
    office.ingest("AgentLogin", **login, Agent="2001")
    assert pushed(alice, "agents", "updatestatus", "2001")["status"] == {
        "status": "AGENT_IDLE",
        "channel": "PJSIP/1001-00000005",
    }


def test_presence_actions_switch_services_in_astdb(office: Any) -> None:
    alice, bob = office.client("alice"), office.client("bob")
    alice.request({"class": "availstate", "availstate": "donotdisturb"})
    assert pushed(bob, "users", "updateconfig", "alice")["config"] == {"enablednd": True}
    alice.request({"class": "availstate", "availstate": "available"})
    assert pushed(bob, "users", "updateconfig", "alice")["config"] == {"enablednd": False}
    assert office.recorder.named("DBPut") == [
        {"Family": "ctid/alice", "Key": "enablednd", "Val": "1"},
        {"Family": "ctid/alice", "Key": "enablednd", "Val": "0"},
    ]


def test_a_removed_user_is_forced_out_and_a_changed_one_is_updated(
    office: Any, make_user: Any
) -> None:
    alice, bob = office.client("alice"), office.client("bob")
    office.config["users"] = [make_user("alice", firstname="Alicia", agent="2001")]
    assert office.daemon.reload()
    assert bob.expect("disconnect")["type"] == "force"
    assert bob.wait_closed()
    assert pushed(alice, "users", "updateconfig", "alice")["config"] == {
        "firstname": "Alicia",
        "fullname": "Alicia",
    }
    assert pushed(alice, "users", "delconfig")["list"] == ["bob"]
    wait_until(lambda: len(office.plugin.service.hub.sessions()) == 1)
