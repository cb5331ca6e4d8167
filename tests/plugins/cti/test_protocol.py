"""The session protocol on a real socket: framing, stamps, warnings that keep the session,
errors that close only the offending one."""

import json
from typing import Any

from ctid.testing import wait_until


def test_every_message_has_timenow_and_replies_echo_the_commandid(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    client = cti.client("alice")
    assert client.request({"class": "keepalive", "commandid": "abc"}) == {
        "class": "keepalive",
        "replyid": "abc",
        "timenow": client.received[-1]["timenow"],
    }
    assert client.request({"class": "getipbxlist"})["ipbxlist"] == ["xivo"]
    assert all(isinstance(message["timenow"], float) for message in client.received)
    replies = [message for message in client.received if message["class"] != "getlist"]
    assert all("replyid" in message for message in replies)


def test_unknown_class_missing_fields_and_unallowed_are_warnings(cti: Any, make_user: Any) -> None:
    profiles = {"default": {"commands": ["getlist", "keepalive", "availstate"]}}
    cti.start([make_user("alice")], profiles=profiles)
    client = cti.client("alice")
    assert client.request({"class": "frobnicate"})["warning_string"] == "unknown_class"
    assert client.request({"class": "chitchat", "to": "x"})["warning_string"] == "unallowed"
    assert client.request({"class": "availstate"})["warning_string"] == "missing:availstate"
    reply = client.request({"class": "getlist", "function": "updatestatus", "listname": "users"})
    assert reply["warning_string"] == "missing:tid"
    assert client.request({"nothing": "here"}) == {
        "class": "error",
        "warning_string": "missing:class",
        "replyid": client.received[-1]["replyid"],
        "timenow": client.received[-1]["timenow"],
    }
    assert client.request({"class": "login_id"})["warning_string"] == "alreadylogged"
    client.send_raw(b"\r\n   \n")  # blank lines are ignored
    assert client.request({"class": "keepalive"})["class"] == "keepalive"


def test_invalid_json_closes_only_that_session(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice"), make_user("bob", number="1002")])
    alice, bob = cti.client("alice"), cti.client("bob")
    alice.send_raw(b'{"class": "keepalive"\n')
    assert alice.expect("error") == {
        "class": "error",
        "error_string": "invalid_json",
        "timenow": alice.received[-1]["timenow"],
    }
    assert alice.wait_closed()
    bob.send_raw(b'["not", "an", "object"]\n')
    assert bob.expect("error")["error_string"] == "not_an_object"
    assert bob.wait_closed()
    carol = cti.client("alice")
    assert carol.request({"class": "keepalive"})["class"] == "keepalive"


def test_a_10_mb_line_closes_only_that_session(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice"), make_user("bob", number="1002")])
    alice, bob = cti.client("alice"), cti.client("bob")
    chunk = b'{"class":"chitchat","text":"' + b"x" * (1024 * 1024)
    try:
        for _ in range(10):
            alice.send_raw(chunk)
    except OSError:
        pass  # the server closed before reading it all: that is the point
    assert alice.expect("error", timeout=5)["error_string"] == "line_too_long"
    assert alice.wait_closed()
    assert bob.request({"class": "keepalive"})["class"] == "keepalive"
    wait_until(lambda: len(cti.plugin.service.hub.sessions()) == 1)


def test_logout_acknowledges_then_closes(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    client = cti.client("alice")
    assert client.request({"class": "logout", "stopper": "quit"})["status"] == "ok"
    assert client.wait_closed()
    wait_until(lambda: not cti.plugin.service.hub.sessions())


def test_a_user_without_a_line_logs_in_but_can_do_nothing(cti: Any, make_user: Any) -> None:
    cti.start([make_user("ghost", lines=False), make_user("alice")])
    client = cti.client("ghost")
    assert client.request({"class": "keepalive"})["class"] == "keepalive"
    for message in (
        {"class": "ipbxcommand", "command": "dial", "destination": "1001"},
        {"class": "availstate", "availstate": "away"},
        {"class": "chitchat", "to": "xivo/alice", "text": "hi"},
        {"class": "featuresput", "function": "enablednd", "value": True},
        {"class": "directory", "pattern": "a"},
    ):
        assert client.request(message)["warning_string"] == "noline"
    listid = {"class": "getlist", "function": "listid", "tipbxid": "xivo"}
    assert client.request({**listid, "listname": "users"})["list"] == ["ghost"]
    assert client.request({**listid, "listname": "phones"})["list"] == []
    own = {"class": "getlist", "function": "updateconfig", "listname": "users", "tid": "ghost"}
    assert client.request(own)["config"]["linelist"] == []
    assert cti.recorder.actions == []


def test_pushes_are_json_lines_a_plain_socket_can_read(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    client = cti.client("alice")
    client.send_raw(json.dumps({"class": "keepalive", "commandid": 1}).encode() + b"\r\n")
    assert client.expect(lambda m: m.get("replyid") == 1)["class"] == "keepalive"
