"""The AMI plugin against the fake Asterisk: login, replayed captures, resync after a restart,
refused logins, garbage, silence, and the action API other plugins use."""

import logging
import pathlib
import time
from typing import Any

import gevent
import pytest

from ctid.api import CallEvent, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid.testing.fagiclient import FakeAgiClient
from ctid.testing.fakeami import FakeAmi
from ctid_ami.plugin import AmiPlugin
from ctid_fagi.plugin import FagiPlugin

FAST = {
    "backoff_min": "50ms",
    "backoff_max": "200ms",
    "connect_timeout": "1s",
    "action_timeout": "2s",
    "ping_interval": "10s",
    "ping_timeout": "1s",
}


class Watcher:
    def __init__(self) -> None:
        self.calls: list[CallEvent] = []
        self.links: list[str] = []

    @hookimpl
    def ctid_call_event_emitted(self, event: CallEvent) -> None:
        self.calls.append(event)

    @hookimpl
    def ctid_ami_link_changed(self, state: str) -> None:
        self.links.append(state)

    def wheres(self) -> list[str]:
        return [event.where for event in self.calls]


def config(fake: FakeAmi, auth: str = "md5", secret: str = "ctidpass", **options: Any) -> dict:
    return {
        "ipbx": {
            "ami": {
                "host": "127.0.0.1",
                "port": fake.port,
                "username": "ctid",
                "secret": secret,
                "auth": auth,
            }
        },
        "plugins": {"ami": {**FAST, **options}},
    }


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_login_then_resync_in_that_order(fake: FakeAmi, auth: str) -> None:
    watcher = Watcher()
    with make_daemon(config(fake, auth), {"ami": AmiPlugin(), "watch": watcher}) as daemon:
        wait_until(lambda: daemon.ipbx.connected, message="AMI link up")
        fake.wait_for_action("ExtensionStateList")
        names = [action.name for action in fake.actions]
        expected = ["Login", "Events", "CoreShowChannels", "QueueStatus", "ExtensionStateList"]
        assert names == (["Challenge", *expected] if auth == "md5" else expected)
        assert daemon.ipbx.version == "11.0.0"
        if auth == "md5":
            assert "Secret" not in fake.actions[1] and fake.actions[1]["AuthType"] == "MD5"
        assert watcher.links == ["up"]
        assert [queue.name for queue in daemon.ipbx.model.queues()] == ["support"]


def replay(fake: FakeAmi, daemon: Any, watcher: Watcher, capture: pathlib.Path) -> list[str]:
    wait_until(lambda: daemon.ipbx.connected, message="AMI link up")
    fake.wait_for_action("ExtensionStateList")
    fake.replay(capture)
    wait_until(lambda: not daemon.ipbx.model.calls() and "hangup" in watcher.wheres())
    return watcher.wheres()


def test_replayed_originate_is_an_internal_call_dialled_then_hung_up(
    fake: FakeAmi, data_dir: pathlib.Path
) -> None:
    watcher = Watcher()
    with make_daemon(config(fake), {"ami": AmiPlugin(), "watch": watcher}) as daemon:
        assert replay(fake, daemon, watcher, data_dir / "ami" / "originate.txt") == [
            "dial",
            "hangup",
        ]
    dial = watcher.calls[0]
    assert (dial.channel, dial.called_num, dial.direction) == (
        "Local/1001@default-00000000;1",
        "1001",
        "internal",
    )
    assert watcher.calls[1].cause == "16"


class IncomingCall:
    """The FastAGI script of the capture's dialplan (`incoming_call`)."""

    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        def route(session: Any, request: Any) -> None:
            session.verbose("fastagi_listener: incoming_call seen", 1)
            session.get_variable("UNIQUEID")
            session.get_full_variable("${CALLERID(num)}")
            session.set_variable("CTI_ROUTE", "1001")
            session.channel_status()

        return {"incoming_call": route}


def test_replayed_did_call_with_its_dialplan_values_and_fastagi_request(
    fake: FakeAmi, data_dir: pathlib.Path
) -> None:
    watcher = Watcher()
    plugins = {"ami": AmiPlugin(), "fagi": FagiPlugin(), "route": IncomingCall(), "watch": watcher}
    # The capture's dialplan runs the simulated DID (exten 2000) in context "default".
    with make_daemon({**config(fake), "incoming_contexts": ["default"]}, plugins) as daemon:
        agi = FakeAgiClient(
            daemon.objects["fagi"].server.address,
            script="incoming_call",
            variables={"UNIQUEID": "1795727755.3"},
        )
        requests = agi.start()
        wheres = replay(fake, daemon, watcher, data_dir / "ami" / "did_agi_ami.txt")
        requests.join(timeout=5)
    assert wheres == ["dial", "incomingdid", "dial", "link", "unlink", "hangup", "hangup"]
    did = watcher.calls[1]
    assert (did.did, did.caller_num, did.caller_name, did.direction, did.origin) == (
        "2000",
        "0612345678",
        "Outside Caller",
        "incoming",
        "did",
    )
    for event in watcher.calls[2:]:
        assert event.dialplan["did"] == "2000"
        assert event.dialplan["calleridname"] == "Outside Caller"
    captured = [
        line.split(">>> ", 1)[1]
        for line in (data_dir / "fastagi" / "did_agi_fastagi.txt").read_text().splitlines()
        if ">>> " in line
    ]
    assert agi.commands == captured


def test_replayed_queue_call_gives_the_agent_events_in_order(
    fake: FakeAmi, data_dir: pathlib.Path
) -> None:
    watcher = Watcher()
    with make_daemon(config(fake), {"ami": AmiPlugin(), "watch": watcher}) as daemon:
        wheres = replay(fake, daemon, watcher, data_dir / "ami" / "queue.txt")
    assert wheres == [
        "dial",
        "incomingqueue",
        "agentcalled",
        "dial",
        "agentlinked",
        "link",
        "agentunlinked",
        "unlink",
        "hangup",
        "hangup",
    ]
    called = watcher.calls[2]
    assert (called.queue, called.member_interface) == ("support", "Local/1002@default")


def test_asterisk_restarted_without_the_call_gives_its_hangup_and_no_ghost(fake: FakeAmi) -> None:
    watcher = Watcher()
    with make_daemon(config(fake), {"ami": AmiPlugin(), "watch": watcher}) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        fake.wait_for_action("ExtensionStateList")
        caller = fake.add_channel(
            "PJSIP/trunk-00000001",
            state=4,
            caller_num="0612345678",
            context="default",
            exten="2000",
        )
        callee = fake.add_channel(
            "PJSIP/1001-00000002",
            state=5,
            linkedid=caller.uniqueid,
            context="default",
            exten="1001",
        )
        dest = [(f"Dest{key}", value) for key, value in callee.snapshot()]
        fake.emit("DialBegin", [*caller.snapshot(), *dest, ("DialString", "1001")])
        wait_until(lambda: "dial" in watcher.wheres())
        assert len(daemon.ipbx.model.calls()) == 1
        fake.stop()
        wait_until(lambda: watcher.links[-1:] == ["down"])
        fake.restart(channels=[])  # Asterisk came back: the call is gone, uniqueids are new
        wait_until(lambda: watcher.links.count("up") == 2, message="reconnected")
        wait_until(lambda: "hangup" in watcher.wheres())
        assert daemon.ipbx.model.calls() == ()
        assert daemon.ipbx.model.channels() == ()


def test_a_wrong_secret_is_logged_once_and_retried_with_backoff(
    fake: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = Watcher()
    with (
        caplog.at_level(logging.INFO),
        make_daemon(config(fake, secret="wrong"), {"ami": AmiPlugin(), "watch": watcher}) as daemon,
    ):
        fake.wait_for_action("Login", count=3, timeout=5)
        started, logins = time.monotonic(), len([a for a in fake.actions if a.name == "Login"])
        gevent.sleep(1.0)  # measure the retry rate over a fixed window
        later = len([a for a in fake.actions if a.name == "Login"])
        assert later - logins <= 1.0 / 0.16 + 1, "backoff must cap the retry rate"
        assert time.monotonic() - started >= 1.0
        assert daemon.ipbx.link == "auth_failed"
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "ctidpass" not in caplog.text and "wrong" not in caplog.text.replace("wrong secret", "")


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff\xfe garbage without structure\r\n\r\n",
        b"Event: Newchannel\r\nChannel: PJSIP/x-1\r\nUniq",  # truncated, then the link drops
        b"Event: Flood\r\nData: " + b"x" * (10 * 1024 * 1024) + b"\r\n\r\n",  # a 10 MB line
    ],
)
def test_garbage_never_crashes_the_daemon_and_the_link_comes_back(
    fake: FakeAmi, garbage: bytes
) -> None:
    watcher = Watcher()
    with make_daemon(config(fake), {"ami": AmiPlugin(), "watch": watcher}) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        fake.wait_for_action("ExtensionStateList")
        fake.inject(garbage)
        resets = not garbage.startswith(b"\x00")  # unparseable lines alone are just skipped
        if not garbage.endswith(b"\r\n\r\n"):
            fake.drop()
        if resets:
            wait_until(lambda: watcher.links.count("up") == 2, timeout=10, message="reconnect")
        else:
            assert watcher.links == ["up"]
        result = daemon.ipbx.send_action("Ping", timeout=5)
        assert result.ok and result.fields["Ping"] == "Pong"


def test_silent_asterisk_is_detected_by_ping_and_reconnected(fake: FakeAmi) -> None:
    watcher = Watcher()
    options = {"ping_interval": "200ms", "ping_timeout": "200ms"}
    with make_daemon(config(fake, **options), {"ami": AmiPlugin(), "watch": watcher}) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        fake.silent = True
        wait_until(lambda: "down" in watcher.links, timeout=5, message="silence detected")
        fake.silent = False
        wait_until(lambda: daemon.ipbx.connected, timeout=5, message="reconnected")


def test_action_api_command_output_lists_and_async_originate(fake: FakeAmi) -> None:
    with make_daemon(config(fake), {"ami": AmiPlugin()}) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        version = daemon.ipbx.send_action("Command", {"Command": "core show version"})
        assert version.ok and version.output and version.output[0].startswith("Asterisk")
        live = fake.add_channel("PJSIP/1001", context="default", exten="1001")
        channels = daemon.ipbx.send_action("CoreShowChannels")
        assert [item["Channel"] for item in channels.events] == [live.channel]
        originate = daemon.ipbx.send_action(
            "Originate",
            {
                "Channel": "PJSIP/1001",
                "Context": "default",
                "Exten": "1002",
                "Priority": "1",
                "Async": "true",
            },
        )
        assert originate.ok
        assert [event["Event"] for event in originate.events] == ["OriginateResponse"]
        unknown = daemon.ipbx.send_action("NoSuchAction")
        assert not unknown.ok and "Invalid/unknown command" in unknown.message
