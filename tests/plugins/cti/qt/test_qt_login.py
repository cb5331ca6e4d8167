"""The Qt client in clear (encryption off): its exact lines from a whole session, every field it
reads in the answers, the full initial load, keepalives, presence, logout, list changes."""

from collections.abc import Callable
from typing import Any

from ctid.testing.cticlient import CtiTestClient

Replay = Callable[[CtiTestClient, list[str]], list[dict[str, Any]]]

LISTS = ("users", "phones", "agents", "queues", "voicemails", "queuemembers")
"""The lists the client asks for, in its order."""
USER_CONFIG = (
    "firstname",
    "lastname",
    "fullname",
    "linelist",
    "agentid",
    "voicemailid",
    "mobilephonenumber",
    "enablednd",
    "enablevoicemail",
    "incallfilter",
    "enableunc",
    "enablerna",
    "enablebusy",
    "destunc",
    "destrna",
    "destbusy",
    "xivo_uuid",
)
"""The user config keys the client reads."""


def test_the_session_of_the_capture_logs_in_and_loads_everything(
    site: Any, connect: Any, capture: Any, replay: Replay, loader: Any
) -> None:
    site(listen={"cti": {"starttls": "off"}})
    client = connect()
    assert client.read_line().startswith(b"XiVO CTI Server")  # not JSON: the client skips it
    login_id, login_pass, login_capas, ipbxlist, own, *lists = replay(
        client, capture("mock-plain.txt")
    )
    assert login_id["sessionid"]
    assert login_pass["capalist"] == ["1"]
    assert login_capas["ipbxid"] == "xivo" and login_capas["userid"] == "1"
    assert login_capas["appliname"] == "Client"
    assert login_capas["capaxlets"] == [["identity", "grid"], ["customerinfo", "dock", "cms"]]
    capas = login_capas["capas"]
    assert capas["userstatus"]["available"] == {
        "longname": "Available",
        "color": "#08FD20",
        "allowed": ["available", "away", "outtolunch", "donotdisturb", "berightback"],
        "actions": {},
    }
    assert capas["userstatus"]["disconnected"]["allowed"] == []
    assert capas["phonestatus"]["0"] == {"longname": "Available", "color": "#0DFF25"}
    assert capas["preferences"] == {}
    assert capas["services"] == ["enablednd", "fwdunc", "fwdbusy", "fwdrna"]
    assert ipbxlist["ipbxlist"] == ["xivo"]
    assert own["tid"] == "1" and set(USER_CONFIG) <= set(own["config"])
    assert own["config"]["fullname"] == "Alice Example" and own["config"]["agentid"] == "2001"
    listids = [m for m in lists if m["function"] == "listid"]
    assert [m["listname"] for m in listids] == list(LISTS)
    by_list = {m["listname"]: m["list"] for m in listids}
    assert by_list == {
        "users": ["1", "2"],
        "phones": ["1001@default", "1002@default"],
        "agents": ["2001"],
        "queues": [],
        "voicemails": [],
        "queuemembers": [],
    }
    statuses = [m for m in lists if m["function"] == "updatestatus"]
    assert statuses[0]["status"] == {"availstate": "available", "connection": "yes"}
    configs = loader(client, listids)
    assert configs["users"]["1"]["linelist"] == ["1001@default"]
    assert configs["users"]["2"]["xivo_uuid"] == configs["users"]["1"]["xivo_uuid"]
    assert configs["phones"]["1002@default"]["identity"] == "PJSIP/1002"


def test_refusals_use_the_ids_the_client_knows(
    site: Any, connect: Any, capture: Any, replay: Replay
) -> None:
    site(profile={"max_sessions": 1, "session_policy": "refuse"})
    login_id, login_pass, login_capas = capture("mock-plain.txt")[:3]
    wrong = connect()
    wrong.read_line()
    replay(wrong, [login_id])
    wrong.send_raw(login_pass.replace("secret", "wrong").encode() + b"\n")
    assert wrong.expect("login_pass")["error_string"] == "login_password"
    assert wrong.wait_closed()

    nobody = connect()
    nobody.read_line()
    replay(nobody, [login_id.replace("alice", "nobody")])  # a session id all the same
    nobody.send_raw(login_pass.encode() + b"\n")
    assert nobody.expect("login_pass")["error_string"] == "login_password"

    first = connect()
    first.read_line()
    replay(first, [login_id, login_pass, login_capas])
    second = connect()
    second.read_line()
    replay(second, [login_id, login_pass])
    second.send_raw(login_capas.encode() + b"\n")
    assert second.expect("login_capas")["error_string"] == "toomuchusers:1"

    other = connect()
    other.read_line()
    replay(other, [login_id, login_pass])
    other.send_raw(login_capas.replace('"capaid":"1"', '"capaid":"7"').encode() + b"\n")
    assert other.expect("login_capas")["error_string"] == "capaid_undefined:7"


def test_an_unknown_protocol_version_is_refused_as_the_client_reports_it(
    site: Any, connect: Any, capture: Any
) -> None:
    site()
    client = connect()
    client.read_line()
    client.send_raw(capture("login.txt")[0].replace('"2.3"', '"3.0"').encode() + b"\n")
    assert client.expect("login_id")["error_string"] == "wazoversion_client:3.0;2.3"


def test_keepalives_are_answered_and_logout_closes(
    site: Any, connect: Any, capture: Any, replay: Replay
) -> None:
    site()
    client = connect()
    client.read_line()
    answers = replay(client, capture("mock-keepalive.txt"))
    keepalives = [m for m in answers if m["class"] == "keepalive"]
    assert [m["replyid"] for m in keepalives] == [1271135913, 1098894339]
    client.send_raw(b'{"class":"logout","commandid":7,"stopper":"quit"}\n')
    assert client.expect("logout")["replyid"] == 7
    assert client.wait_closed()


def test_presence_changes_are_acknowledged_and_pushed(
    site: Any, connect: Any, capture: Any, replay: Replay
) -> None:
    site()
    client = connect()
    client.read_line()
    replay(client, capture("mock-plain.txt"))
    client.send_raw(
        b'{"availstate":"away","class":"availstate","commandid":9,"ipbxid":"xivo","userid":"1"}\n'
    )
    assert client.expect("availstate")["replyid"] == 9
    push = client.expect(
        lambda m: m.get("function") == "updatestatus" and m.get("status") == {"availstate": "away"}
    )
    assert (push["listname"], push["tid"]) == ("users", "1")


def test_users_added_and_removed_reach_the_client_as_add_and_delconfig(
    cti: Any, site: Any, connect: Any, capture: Any, replay: Replay, make_user: Any
) -> None:
    site()
    client = connect()
    client.read_line()
    replay(client, capture("mock-plain.txt"))
    carol = make_user("carol", number="1003", id="3", profile="1", firstname="Carol")
    cti.config["users"].append(carol)
    assert cti.daemon.reload()
    added = client.expect(lambda m: m.get("function") == "addconfig" and m["listname"] == "users")
    assert added["list"] == ["3"]
    config = client.request(
        {"class": "getlist", "function": "updateconfig", "listname": "users", "tid": "3"}
    )
    assert config["config"]["firstname"] == "Carol"
    cti.config["users"].pop()
    assert cti.daemon.reload()
    removed = client.expect(lambda m: m.get("function") == "delconfig" and m["listname"] == "users")
    assert removed["list"] == ["3"]
