"""Services in AstDB, chitchat, directory, commands added by other plugins, the hub seam and
the info console commands."""

from collections.abc import Mapping
from typing import Any

import pytest

from ctid.api import (
    SELF,
    ActionResult,
    CtiCommandError,
    Ctid,
    CtiSession,
    InfoCommandError,
    cti_hub,
    hookimpl,
)
from ctid.testing import wait_until


@pytest.fixture
def office(cti: Any, make_user: Any) -> Any:
    cti.start(
        [
            make_user("alice", firstname="Alice"),
            make_user("bob", number="1002", firstname="Bob"),
            make_user("boss", number="1003", profile="switchboard"),
        ],
        profiles={"default": {}, "switchboard": {"acts_for_others": True}},
    )
    return cti


def test_featuresput_writes_astdb_and_pushes_the_config(office: Any) -> None:
    alice, bob = office.client("alice"), office.client("bob")
    reply = alice.request(
        {"class": "featuresput", "function": "fwd", "value": {"enableunc": True, "destunc": "1002"}}
    )
    assert reply["status"] == "OK"
    update = bob.expect(lambda m: m.get("function") == "updateconfig" and m.get("tid") == "alice")
    assert update["config"] == {"enableunc": True, "destunc": "1002"}  # one coalesced push
    assert alice.request({"class": "featuresput", "function": "enablednd", "value": "1"})[
        "status"
    ] == ("OK")
    assert office.recorder.named("DBPut") == [
        {"Family": "ctid/alice", "Key": "enableunc", "Val": "1"},
        {"Family": "ctid/alice", "Key": "destunc", "Val": "1002"},
        {"Family": "ctid/alice", "Key": "enablednd", "Val": "1"},
    ]


@pytest.mark.parametrize(
    ("message", "warning"),
    [
        ({"function": "enablednd"}, "missing:function,value"),
        ({"function": "rm -rf", "value": True}, "unknown_function"),
        ({"function": "enablednd", "value": "maybe"}, "invalid_value"),
        ({"function": "fwd", "value": {"destunc": "10;02"}}, "baddestination"),
        ({"function": "fwd", "value": {"passwd": "x"}}, "unknown_function"),
        ({"function": "fwd", "value": []}, "invalid_value"),
    ],
)
def test_featuresput_validates_before_writing(
    office: Any, message: dict[str, Any], warning: str
) -> None:
    reply = office.client("alice").request({"class": "featuresput", **message})
    assert reply["warning_string"] == warning
    assert office.recorder.actions == []


def test_featuresput_sets_only_the_services_the_profile_shows(cti: Any, make_user: Any) -> None:
    # The Qt client hides what the profile leaves out; a client that sends it anyway is refused.
    cti.start(
        [make_user("dee", profile="dnd-only")],
        profiles={"default": {}, "dnd-only": {"services": ["enablednd"]}},
    )
    dee = cti.client("dee")
    forward = {"class": "featuresput", "function": "enableunc", "value": True}
    assert dee.request(forward)["warning_string"] == "service_not_allowed:fwdunc"
    both = {"class": "featuresput", "function": "fwd"}
    both["value"] = {"enablednd": True, "destbusy": "1002", "enablerna": False}
    assert dee.request(both)["warning_string"] == "service_not_allowed:fwdbusy,fwdrna"
    assert cti.recorder.actions == []  # refused before any write
    assert dee.request({"class": "featuresput", "function": "enablednd", "value": True})[
        "status"
    ] == ("OK")
    assert cti.recorder.named("DBPut") == [{"Family": "ctid/dee", "Key": "enablednd", "Val": "1"}]


def test_featuresget_reads_astdb(office: Any) -> None:
    office.recorder.answers["DBGet"] = ActionResult(
        "Success",
        {"Message": "Result will follow"},
        events=[{"Event": "DBGetResponse", "Val": "1"}],
    )
    alice = office.client("alice")
    reply = alice.request({"class": "featuresget", "userid": "bob"})  # ignored: not allowed
    assert reply["userid"] == "alice"
    assert reply["userfeatures"]["enablednd"] is True
    assert reply["userfeatures"]["destunc"] == "1"
    assert [f["Key"] for f in office.recorder.named("DBGet")] == [
        "enablednd",
        "enableunc",
        "destunc",
        "enablebusy",
        "destbusy",
        "enablerna",
        "destrna",
    ]
    assert {f["Family"] for f in office.recorder.named("DBGet")} == {"ctid/alice"}
    boss = office.client("boss")
    assert boss.request({"class": "featuresget", "userid": "bob"})["userid"] == "bob"
    office.recorder.down = True
    assert alice.request({"class": "featuresget"}) == {
        "class": "featuresget",
        "status": "KO",
        "message": "ipbx_unavailable",
        "replyid": alice.received[-1]["replyid"],
        "timenow": alice.received[-1]["timenow"],
    }


def test_chitchat_reaches_every_session_of_the_target(office: Any) -> None:
    alice, bob = office.client("alice"), office.client("bob")
    reply = alice.request({"class": "chitchat", "to": "xivo/bob", "text": "coffee?"})
    assert reply["status"] == "ok"
    chat = bob.expect("chitchat")
    assert (chat["from"], chat["to"], chat["text"], chat["fromname"]) == (
        "xivo/alice",
        "xivo/bob",
        "coffee?",
        "Alice",
    )
    assert alice.request({"class": "chitchat", "to": "xivo/nobody", "text": "x"})[
        "warning_string"
    ] == ("unknown_user")
    assert alice.request({"class": "chitchat", "to": "boss", "text": "x"})["warning_string"] == (
        "not_connected"
    )
    assert alice.request({"class": "chitchat", "to": "bob", "text": "x" * 2001})[
        "warning_string"
    ] == ("invalid_text")


def test_directory_is_an_empty_well_formed_answer_when_no_directory_answers(
    cti: Any, make_user: Any
) -> None:
    cti.start([make_user("alice")])
    alice = cti.client("alice")
    reply = alice.request({"class": "directory", "pattern": "pau"})
    assert (reply["headers"], reply["resultlist"], reply["status"]) == ([], [], "ok")
    assert alice.request({"class": "directory"})["warning_string"] == "missing:pattern"
    reply = alice.request({"class": "directory", "pattern": "p" * 257})
    assert reply["warning_string"] == "invalid_pattern"


class Directory:
    def __init__(self) -> None:
        self.asked: list[tuple[str, list[str], int]] = []

    @hookimpl
    def ctid_search_directory(
        self, term: str, contexts: list[str], limit: int
    ) -> dict[str, Any] | None:
        self.asked.append((term, list(contexts), limit))
        return {"headers": ["Name", "Number"], "resultlist": ["Paul;1234"], "status": "ok"}


def test_hook_ctid_search_directory_answers_the_cti_directory_command(
    cti: Any, make_user: Any
) -> None:
    directory = Directory()
    cti.start(
        [make_user("alice", "sales", "1001")],
        plugins={"dir": directory},
        options={"directory_limit": 7},
    )
    reply = cti.client("alice").request({"class": "directory", "pattern": "pau"})
    assert (reply["headers"], reply["resultlist"]) == (["Name", "Number"], ["Paul;1234"])
    assert directory.asked == [("pau", ["sales"], 7)]


class Crm:
    """A third-party plugin adding a CTI class, and delivering through the hub."""

    def __init__(self) -> None:
        self.hub: Any = None

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.hub = cti_hub(ctid)

    @hookimpl
    def ctid_register_cti_commands(self) -> Mapping[str, Any]:
        def lookup(session: CtiSession, message: Mapping[str, Any]) -> None:
            if "number" not in message:
                raise CtiCommandError("missing:number")
            assert session.user is not None
            session.reply(message, name=f"{session.user.login} asked {message['number']}")

        return {"crmlookup": lookup}


def test_plugins_add_cti_classes_through_the_registration_hook(cti: Any, make_user: Any) -> None:
    profiles = {"default": {"commands": ["crmlookup", "keepalive"]}}
    cti.start([make_user("alice")], profiles=profiles, plugins={"crm": Crm()})
    alice = cti.client("alice")
    assert alice.request({"class": "crmlookup", "number": "12"})["name"] == "alice asked 12"
    assert alice.request({"class": "crmlookup"})["warning_string"] == "missing:number"
    assert alice.request({"class": "getlist"})["warning_string"] == "unallowed"


def test_other_plugins_deliver_through_the_hub_with_parting(cti: Any, make_user: Any) -> None:
    crm = Crm()
    cti.start([make_user("alice"), make_user("eve", "other", "3001")], plugins={"crm": crm})
    alice, eve = cti.client("alice"), cti.client("eve")
    assert crm.hub is not None and len(crm.hub.sessions()) == 2
    sent = crm.hub.send({"class": "sheet", "payload": "for default"}, contexts={"default"})
    assert sent == 1
    assert alice.expect("sheet")["payload"] == "for default"
    assert crm.hub.send({"class": "sheet", "payload": "nobody"}, contexts=set()) == 0
    eve.request({"class": "keepalive"})
    assert not [m for m in eve.received if m["class"] == "sheet"]
    with pytest.raises(ValueError):
        crm.hub.send({"class": "x"}, contexts=SELF)  # SELF needs explicit recipients


class Console:
    peer = ("127.0.0.1", 40000)

    def write(self, line: str) -> bool:
        return True


def test_info_commands_show_kick_and_disconnect(office: Any) -> None:
    alice = office.client("alice")
    bob = office.client("bob")
    lurker = office.client()
    commands = office.daemon.registry("info_commands")
    shown = list(commands["show_logged"](Console(), []))
    assert [line.split()[0] for line in shown] == ["alice", "bob"]
    host, port = alice.sock.getsockname()[:2]
    assert shown[0].split()[1] == f"{host}:{port}"
    assert list(commands["kick"](Console(), ["bob"])) == ["kicked bob (1 session)"]
    assert bob.expect("disconnect")["type"] == "force"
    assert bob.wait_closed()
    host, port = lurker.sock.getsockname()[:2]
    assert list(commands["disc"](Console(), [host, str(port)])) == [f"disconnected {host}:{port}"]
    assert lurker.wait_closed()
    for word, args in (("kick", ["bob"]), ("kick", []), ("disc", ["1.2.3.4", "5"])):
        with pytest.raises(InfoCommandError):
            list(commands[word](Console(), args))
    wait_until(lambda: len(office.plugin.service.hub.connections) == 1)


def test_services_are_read_from_astdb_at_login(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")], options={"features_at_login": True})
    cti.recorder.answers["DBGet"] = ActionResult(
        "Success", {"Message": "Result will follow"}, events=[{"Val": "1"}]
    )
    alice = cti.client("alice")
    update = alice.expect(lambda m: m.get("function") == "updateconfig" and m.get("tid") == "alice")
    assert update["config"]["enablednd"] is True and update["config"]["destunc"] == "1"
    assert len(cti.recorder.named("DBGet")) == 7
