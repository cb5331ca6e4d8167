"""A whole scripted session through the real AMI plugin and the fake Asterisk: login, lists,
dial (the exact Originate on the wire), the new channel pushed, hangup (the exact Hangup)."""

from typing import Any

from ctid.testing import wait_until
from ctid.testing.fakeami import FakeAmi
from ctid_ami.plugin import AmiPlugin


def wire(action: Any) -> list[tuple[str, str]]:
    """An action as Asterisk received it, without its (generated) ActionID."""
    return [(key, value) for key, value in action.pairs if key != "ActionID"]


def test_login_lists_dial_hangup(cti: Any, make_user: Any, fake: FakeAmi) -> None:
    ami = {"host": "127.0.0.1", "port": fake.port, "username": "ctid", "secret": "ctidpass"}
    cti.start(
        [make_user("alice", firstname="Alice"), make_user("bob", number="1002")],
        plugins={"ami": AmiPlugin()},
        attach=False,
        ipbx={"ami": ami},
    )
    wait_until(lambda: cti.daemon.ipbx.connected, message="AMI link up")
    alice = cti.client("alice")
    listid = {"class": "getlist", "function": "listid", "tipbxid": "xivo"}
    assert alice.request({**listid, "listname": "users"})["list"] == ["alice", "bob"]
    assert alice.request({**listid, "listname": "phones"})["list"] == [
        "1001@default",
        "1002@default",
    ]

    dial = alice.request(
        {"class": "ipbxcommand", "command": "dial", "destination": "exten:xivo/1002"}
    )
    assert (dial["status"], dial["message"]) == ("ok", "Originate successfully queued")
    assert wire(fake.wait_for_action("Originate")) == [
        ("Action", "Originate"),
        ("Channel", "PJSIP/1001"),
        ("Context", "default"),
        ("Exten", "1002"),
        ("Priority", "1"),
        ("Timeout", "30000"),
        ("CallerID", '"1002" <1002>'),
        ("Async", "true"),
        ("Variable", "XIVO_ORIGAPPLI=dial"),
        ("Variable", "XIVO_USERID=alice"),
        ("Variable", "XIVO_ORIGSRCNUM=1001"),
    ]

    def channel_added(message: dict[str, Any]) -> bool:
        return message.get("listname") == "channels" and message.get("function") == "addconfig"

    (channel,) = alice.expect(channel_added)["list"]
    assert channel.startswith("PJSIP/1001-")
    phone = alice.expect(lambda m: m.get("tid") == "1001@default" and "channels" in m["status"])
    assert phone["status"]["channels"] == [channel]

    hangup = alice.request(
        {"class": "ipbxcommand", "command": "hangup", "channelids": f"chan:xivo/{channel}"}
    )
    assert (hangup["status"], hangup["message"]) == ("ok", "Channel Hungup")
    assert wire(fake.wait_for_action("Hangup")) == [("Action", "Hangup"), ("Channel", channel)]
    gone = alice.expect(lambda m: m.get("function") == "delconfig")
    assert (gone["listname"], gone["list"]) == ("channels", [channel])

    # One command, one action: nothing else was sent on the clients' behalf.
    names = [action.name for action in fake.actions]
    assert (names.count("Originate"), names.count("Hangup")) == (1, 1)
    assert not {"DBGet", "DBPut", "Redirect"} & set(names)
