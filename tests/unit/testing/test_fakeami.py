"""The fake Asterisk AMI server, driven with a plain socket: exact bytes in, exact bytes out."""

from __future__ import annotations

import hashlib
import pathlib
import re
import socket
from collections.abc import Iterator

import pytest

from ctid.testing.amiscript import SimChannel
from ctid.testing.fakeami import FakeAmi

pytestmark = pytest.mark.timeout(10)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
LOGIN = b"Action: Login\r\nActionID: login-1\r\nUsername: ctid\r\nSecret: ctidpass\r\n\r\n"
LOGIN_OK = b"Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n"
FULLY_BOOTED = re.compile(
    rb"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: \d+\r\nLastReload: \d+\r\n"
    rb"Status: Fully Booted\r\n\r\n"
)


class Client:
    """A bare AMI client: a socket, a buffer, and reads that end at a delimiter."""

    def __init__(self, address: tuple[str, int], timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_until(self, delimiter: bytes) -> bytes:
        while delimiter not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"closed with {self.buf!r} unread")
            self.buf += chunk
        data, _, self.buf = self.buf.partition(delimiter)
        return data + delimiter

    def read_message(self) -> bytes:
        return self.read_until(b"\r\n\r\n")

    def read_list(self, complete: bytes) -> list[bytes]:
        """Messages up to and including the one starting with `Event: <complete>`."""
        messages = [self.read_message()]
        while not messages[-1].startswith(b"Event: " + complete):
            messages.append(self.read_message())
        return messages

    def assert_closed(self) -> None:
        assert self.buf == b""
        assert self.sock.recv(65536) == b""

    def login(self) -> None:
        assert self.read_until(b"\r\n") == BANNER
        self.send(LOGIN)
        assert self.read_message() == LOGIN_OK
        assert FULLY_BOOTED.fullmatch(self.read_message())

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def fake() -> Iterator[FakeAmi]:
    with FakeAmi() as server:
        yield server


@pytest.fixture
def client(fake: FakeAmi) -> Iterator[Client]:
    conn = Client(fake.address)
    yield conn
    conn.close()


def logged_in(fake: FakeAmi) -> Client:
    before = fake.logins
    conn = Client(fake.address)
    conn.login()
    fake.wait_for_login(count=before + 1)
    return conn


# --- login -----------------------------------------------------------------------------------


def test_banner_then_plain_login(fake: FakeAmi, client: Client) -> None:
    # The first bytes are the banner line, alone: the next bytes answer our Login.
    client.login()

    login = fake.wait_for_action("Login")
    assert login == {
        "Action": "Login",
        "ActionID": "login-1",
        "Username": "ctid",
        "Secret": "ctidpass",
    }
    fake.wait_for_login()
    assert fake.connections == 1


def test_wrong_secret_is_refused_and_closed(fake: FakeAmi, client: Client) -> None:
    client.read_until(b"\r\n")
    client.send(b"Action: Login\r\nActionID: 9\r\nUsername: ctid\r\nSecret: nope\r\n\r\n")

    assert client.read_message() == (
        b"Response: Error\r\nActionID: 9\r\nMessage: Authentication failed\r\n\r\n"
    )
    client.assert_closed()
    assert fake.logins == 0


def test_md5_challenge_login(fake: FakeAmi, client: Client) -> None:
    client.read_until(b"\r\n")
    client.send(b"Action: Challenge\r\nActionID: c1\r\nAuthType: MD5\r\n\r\n")
    reply = client.read_message()
    match = re.fullmatch(rb"Response: Success\r\nActionID: c1\r\nChallenge: (\d+)\r\n\r\n", reply)
    assert match
    key = hashlib.md5(match.group(1) + b"ctidpass", usedforsecurity=False).hexdigest().encode()

    client.send(b"Action: Login\r\nActionID: l1\r\nAuthType: md5\r\nUsername: ctid\r\nKey: " + key)
    client.send(b"\r\n\r\n")

    assert client.read_message() == (
        b"Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n"
    )
    assert FULLY_BOOTED.fullmatch(client.read_message())


def test_md5_login_with_a_wrong_key_fails(client: Client) -> None:
    client.read_until(b"\r\n")
    client.send(b"Action: Challenge\r\nAuthType: md5\r\n\r\n")
    client.read_message()
    client.send(b"Action: Login\r\nAuthType: md5\r\nUsername: ctid\r\nKey: 0123\r\n\r\n")

    assert client.read_message() == b"Response: Error\r\nMessage: Authentication failed\r\n\r\n"
    client.assert_closed()


def test_challenge_without_authtype(client: Client) -> None:
    client.read_until(b"\r\n")
    client.send(b"Action: Challenge\r\n\r\n")

    assert client.read_message() == b"Response: Error\r\nMessage: Must specify AuthType\r\n\r\n"


def test_actions_before_login_are_denied(client: Client) -> None:
    client.read_until(b"\r\n")
    client.send(b"Action: Ping\r\nActionID: p\r\n\r\n")

    assert (
        client.read_message()
        == b"Response: Error\r\nActionID: p\r\nMessage: Permission denied\r\n\r\n"
    )


def test_login_with_events_off_gets_no_events(fake: FakeAmi, client: Client) -> None:
    client.read_until(b"\r\n")
    client.send(b"Action: Login\r\nUsername: ctid\r\nSecret: ctidpass\r\nEvents: off\r\n\r\n")
    assert client.read_message() == b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
    fake.wait_for_login()

    fake.emit("UserEvent", [("UserEvent", "hidden")])
    client.send(b"Action: Ping\r\nActionID: after\r\n\r\n")

    assert client.read_message().startswith(b"Response: Success\r\nActionID: after\r\nPing: Pong")


def test_logoff(client: Client) -> None:
    client.login()
    client.send(b"Action: Logoff\r\nActionID: bye\r\n\r\n")

    assert client.read_message() == (
        b"Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish.\r\n\r\n"
    )
    client.assert_closed()


# --- simple actions --------------------------------------------------------------------------


def test_ping(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    conn.send(b"Action: Ping\r\nActionID: p1\r\n\r\n")

    reply = conn.read_message()

    assert re.fullmatch(
        rb"Response: Success\r\nActionID: p1\r\nPing: Pong\r\nTimestamp: \d+\.\d{6}\r\n\r\n", reply
    )


def test_unknown_and_missing_action(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    conn.send(b"Action: FooBar\r\nActionID: x\r\n\r\nActionID: y\r\n\r\n")

    assert conn.read_message() == (
        b"Response: Error\r\nActionID: x\r\nMessage: Invalid/unknown command: FooBar. "
        b"Use Action: ListCommands to show available commands.\r\n\r\n"
    )
    assert conn.read_message() == (
        b"Response: Error\r\nActionID: y\r\nMessage: Missing action in request\r\n\r\n"
    )


def test_command_output_lines(fake: FakeAmi) -> None:
    fake.commands["sip show peers"] = ["Name/username  Host", "0 sip peers"]
    conn = logged_in(fake)
    conn.send(b"Action: Command\r\nActionID: c\r\nCommand: sip show peers\r\n\r\n")
    conn.send(b"Action: Command\r\nActionID: d\r\nCommand: bogus cmd\r\n\r\n")

    assert conn.read_message() == (
        b"Response: Success\r\nActionID: c\r\nMessage: Command output follows\r\n"
        b"Output: Name/username  Host\r\nOutput: 0 sip peers\r\n\r\n"
    )
    assert conn.read_message() == (
        b"Response: Error\r\nActionID: d\r\nMessage: Command output follows\r\n"
        b"Output: No such command 'bogus cmd' (type 'core show help bogus' for other possible "
        b"commands)\r\n\r\n"
    )


def test_events_action_switches_events(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    conn.send(b"Action: Events\r\nActionID: e\r\nEventMask: off\r\n\r\n")
    assert conn.read_message() == b"Response: Success\r\nActionID: e\r\nEvents: Off\r\n\r\n"
    fake.wait_for_action("Events")

    fake.emit("UserEvent", [("UserEvent", "hidden")])
    conn.send(b"Action: Events\r\nEventMask: on\r\n\r\n")
    assert conn.read_message() == b"Response: Success\r\nEvents: On\r\n\r\n"
    fake.wait_for_action("Events", count=2)
    fake.timestamps = False
    fake.emit("UserEvent", [("UserEvent", "shown")])

    assert (
        conn.read_message()
        == b"Event: UserEvent\r\nPrivilege: call,all\r\nUserEvent: shown\r\n\r\n"
    )


def test_database_actions(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    conn.send(b"Action: DBPut\r\nActionID: 1\r\nFamily: cti\r\nKey: k\r\nVal: v 1\r\n\r\n")
    conn.send(b"Action: DBGet\r\nActionID: 2\r\nFamily: cti\r\nKey: k\r\n\r\n")
    conn.send(b"Action: DBDel\r\nActionID: 3\r\nFamily: cti\r\nKey: k\r\n\r\n")
    conn.send(b"Action: DBGet\r\nActionID: 4\r\nFamily: cti\r\nKey: k\r\n\r\n")

    assert conn.read_message() == (
        b"Response: Success\r\nActionID: 1\r\nMessage: Updated database successfully\r\n\r\n"
    )
    assert conn.read_list(b"DBGetComplete") == [
        b"Response: Success\r\nActionID: 2\r\nEventList: start\r\n"
        b"Message: Result will follow\r\n\r\n",
        b"Event: DBGetResponse\r\nFamily: cti\r\nKey: k\r\nVal: v 1\r\nActionID: 2\r\n\r\n",
        b"Event: DBGetComplete\r\nActionID: 2\r\nEventList: Complete\r\nListItems: 1\r\n\r\n",
    ]
    assert conn.read_message() == (
        b"Response: Success\r\nActionID: 3\r\nMessage: Key deleted successfully\r\n\r\n"
    )
    assert conn.read_message() == (
        b"Response: Error\r\nActionID: 4\r\nMessage: Database entry not found\r\n\r\n"
    )


# --- channels --------------------------------------------------------------------------------


def test_core_show_channels_lists_the_simulated_channels(fake: FakeAmi) -> None:
    fake.add_channel("PJSIP/2001", announce=False, caller_num="2001", caller_name="Alice")
    fake.add_channel("Local/1002@default", announce=False, state=4, exten="1002")
    epoch = fake.ids.epoch
    conn = logged_in(fake)

    conn.send(b"Action: CoreShowChannels\r\nActionID: 7\r\n\r\n")
    messages = conn.read_list(b"CoreShowChannelsComplete")

    assert messages[0] == (
        b"Response: Success\r\nActionID: 7\r\nEventList: start\r\n"
        b"Message: Channels will follow\r\n\r\n"
    )
    assert messages[1] == (
        b"Event: CoreShowChannel\r\nActionID: 7\r\nChannel: PJSIP/2001-00000000\r\n"
        b"ChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: 2001\r\nCallerIDName: Alice\r\n"
        b"ConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\nLanguage: en\r\n"
        b"AccountCode: \r\nContext: default\r\nExten: \r\nPriority: 1\r\n"
        + f"Uniqueid: {epoch}.0\r\nLinkedid: {epoch}.0\r\n".encode()
        + b"Application: \r\nApplicationData: \r\nDuration: 00:00:00\r\nBridgeId: \r\n\r\n"
    )
    assert b"Channel: Local/1002@default-00000001;1\r\nChannelState: 4\r\n" in messages[2]
    assert messages[3] == (
        b"Event: CoreShowChannelsComplete\r\nActionID: 7\r\nEventList: Complete\r\n"
        b"ListItems: 2\r\n\r\n"
    )


def test_originate_async_scripts_the_call(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    conn.send(
        b"Action: Originate\r\nActionID: ctd-1\r\nChannel: PJSIP/2001\r\nContext: internal\r\n"
        b'Exten: 2002\r\nPriority: 1\r\nCallerID: "CTI" <2002>\r\nAsync: true\r\n'
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )

    assert conn.read_message() == (
        b"Response: Success\r\nActionID: ctd-1\r\nMessage: Originate successfully queued\r\n\r\n"
    )
    events = conn.read_list(b"OriginateResponse")
    names = [m.split(b"\r\n", 1)[0] for m in events]
    assert names == [
        b"Event: Newchannel",
        b"Event: Newstate",
        b"Event: Newstate",
        b"Event: OriginateResponse",
    ]
    (channel,) = fake.channels.values()
    assert (channel.channel, channel.state, channel.caller_num) == (
        "PJSIP/2001-00000000",
        6,
        "2002",
    )
    assert re.fullmatch(
        rb"Event: OriginateResponse\r\nPrivilege: call,all\r\nTimestamp: [\d.]+\r\n"
        rb"ActionID: ctd-1\r\nResponse: Success\r\nChannel: PJSIP/2001-00000000\r\n"
        rb"Context: internal\r\nExten: 2002\r\nReason: 4\r\n"
        + f"Uniqueid: {channel.uniqueid}\r\n".encode()
        + rb"CallerIDNum: 2002\r\nCallerIDName: CTI\r\n\r\n",
        events[-1],
    )
    assert fake.wait_for_action("Originate").getall("Variable") == ["A=1", "B=2"]


def test_originate_failure(fake: FakeAmi) -> None:
    fake.originate_failures.add("PJSIP/busy")
    conn = logged_in(fake)
    conn.send(b"Action: Originate\r\nActionID: s\r\nChannel: PJSIP/busy\r\nExten: 1\r\n\r\n")

    assert (
        conn.read_message()
        == b"Response: Error\r\nActionID: s\r\nMessage: Originate failed\r\n\r\n"
    )
    assert fake.channels == {}


def test_hangup_and_redirect(fake: FakeAmi) -> None:
    alice = fake.add_channel("PJSIP/2001", announce=False)
    conn = logged_in(fake)
    conn.send(b"Action: Redirect\r\nActionID: r\r\nChannel: PJSIP/2001-00000000\r\n")
    conn.send(b"Context: internal\r\nExten: 2003\r\nPriority: 1\r\n\r\n")
    conn.send(b"Action: Hangup\r\nActionID: h\r\nChannel: PJSIP/2001-00000000\r\n\r\n")
    conn.send(b"Action: Hangup\r\nActionID: h2\r\nChannel: PJSIP/2001-00000000\r\n\r\n")

    assert (
        conn.read_message()
        == b"Response: Success\r\nActionID: r\r\nMessage: Redirect successful\r\n\r\n"
    )
    assert (
        conn.read_message()
        == b"Response: Success\r\nActionID: h\r\nMessage: Channel Hungup\r\n\r\n"
    )
    hangup = conn.read_message()
    assert hangup.startswith(b"Event: Hangup\r\nPrivilege: call,all\r\n")
    assert b"Context: internal\r\nExten: 2003\r\n" in hangup
    assert hangup.endswith(b"Cause: 16\r\nCause-txt: Normal Clearing\r\n\r\n")
    assert (
        conn.read_message()
        == b"Response: Error\r\nActionID: h2\r\nMessage: No such channel\r\n\r\n"
    )
    assert alice.uniqueid not in fake.channels


def test_setvar_getvar(fake: FakeAmi) -> None:
    fake.timestamps = False
    conn = logged_in(fake)
    conn.send(b"Action: Setvar\r\nActionID: s\r\nVariable: CTI\r\nValue: on\r\n\r\n")
    conn.send(b"Action: Getvar\r\nActionID: g\r\nVariable: CTI\r\n\r\n")
    conn.send(b"Action: Getvar\r\nActionID: n\r\nChannel: nope\r\nVariable: CTI\r\n\r\n")

    assert (
        conn.read_message() == b"Response: Success\r\nActionID: s\r\nMessage: Variable Set\r\n\r\n"
    )
    assert conn.read_message() == (
        b"Event: VarSet\r\nPrivilege: dialplan,all\r\nChannel: none\r\nUniqueid: none\r\n"
        b"Variable: CTI\r\nValue: on\r\n\r\n"
    )
    assert (
        conn.read_message()
        == b"Response: Success\r\nActionID: g\r\nVariable: CTI\r\nValue: on\r\n\r\n"
    )
    assert (
        conn.read_message() == b"Response: Error\r\nActionID: n\r\nMessage: No such channel\r\n\r\n"
    )


# --- queues ----------------------------------------------------------------------------------


def test_queue_status_matches_the_capture_shape(fake: FakeAmi, data_dir: pathlib.Path) -> None:
    conn = logged_in(fake)
    conn.send(b"Action: QueueStatus\r\nActionID: act-1\r\n\r\n")

    messages = conn.read_list(b"QueueStatusComplete")

    captured = (data_dir / "ami" / "queue.txt").read_bytes().split(b"\r\n\r\n")[2:6]
    assert len(messages) == 4
    assert messages[0] == captured[0] + b"\r\n\r\n"
    assert messages[1] == captured[1] + b"\r\n\r\n"  # QueueParams of the idle queue
    key_lines = [line.split(b": ")[0] for line in captured[2].split(b"\r\n")]
    assert [line.split(b": ")[0] for line in messages[2].split(b"\r\n")[:-2]] == key_lines
    assert messages[3] == captured[3] + b"\r\n\r\n"


def test_queue_member_actions(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    actions = [
        b"Action: QueueAdd\r\nActionID: a\r\nQueue: support\r\nInterface: PJSIP/2001\r\n\r\n",
        b"Action: QueueAdd\r\nActionID: b\r\nQueue: support\r\nInterface: PJSIP/2001\r\n\r\n",
        b"Action: QueuePause\r\nActionID: c\r\nInterface: PJSIP/2001\r\nPaused: true\r\n\r\n",
        b"Action: QueueRemove\r\nActionID: d\r\nQueue: support\r\nInterface: PJSIP/2001\r\n\r\n",
        b"Action: QueueRemove\r\nActionID: e\r\nQueue: nope\r\nInterface: PJSIP/2001\r\n\r\n",
    ]
    for action in actions:
        conn.send(action)

    replies = [conn.read_message() for _ in range(8)]

    responses = [r.split(b"\r\n")[2] for r in replies if r.startswith(b"Response")]
    assert responses == [
        b"Message: Added interface to queue",
        b"Message: Unable to add interface: Already there",
        b"Message: Interface paused successfully",
        b"Message: Removed interface from queue",
        b"Message: Unable to remove interface from queue: No such queue",
    ]
    events = [r.split(b"\r\n")[0] for r in replies if r.startswith(b"Event")]
    assert events == [
        b"Event: QueueMemberAdded",
        b"Event: QueueMemberPause",
        b"Event: QueueMemberRemoved",
    ]


# --- replay, faults, lifecycle ---------------------------------------------------------------


def test_replay_sends_the_capture_events_byte_for_byte(
    fake: FakeAmi, data_dir: pathlib.Path
) -> None:
    raw = (data_dir / "ami" / "originate.txt").read_bytes()
    expected = [
        b + b"\r\n\r\n"
        for b in raw.split(b"\r\n", 1)[1].split(b"\r\n\r\n")
        if b.startswith(b"Event:")
    ]
    conn = logged_in(fake)

    assert fake.replay(data_dir / "ami" / "originate.txt") == len(expected) == 33

    assert [conn.read_message() for _ in expected] == expected
    assert fake.channels == {}  # both Local halves were announced, then hung up


def test_replay_tracks_channels_and_rewrites_action_ids(
    fake: FakeAmi, data_dir: pathlib.Path
) -> None:
    raw = (data_dir / "ami" / "queue.txt").read_bytes()
    before_hangups = raw[: raw.index(b"Event: HangupRequest")]
    conn = logged_in(fake)

    sent = fake.replay(before_hangups, action_ids={"act-1": "mine-1"})

    received = [conn.read_message() for _ in range(sent)]
    assert received[1].startswith(b"Event: QueueParams\r\n")
    assert received[1].endswith(b"ActionID: mine-1\r\n\r\n")
    conn.send(b"Action: CoreShowChannels\r\nActionID: 8\r\n\r\n")
    listed = conn.read_list(b"CoreShowChannelsComplete")[1:-1]
    names = sorted(m.split(b"\r\n")[2] for m in listed)  # Event, ActionID, then Channel
    assert names == [
        b"Channel: Local/1002@default-00000004;1",
        b"Channel: Local/1002@default-00000004;2",
        b"Channel: Local/3000@default-00000003;1",
        b"Channel: Local/3000@default-00000003;2",
    ]
    assert all(c.state == 6 for c in fake.channels.values())
    bridged = {c.channel: c.bridge_id for c in fake.channels.values() if c.bridge_id}
    assert bridged == {
        "Local/1002@default-00000004;1": "a0b864a3-39db-430b-a021-33fb908e72ea",
        "Local/3000@default-00000003;2": "a0b864a3-39db-430b-a021-33fb908e72ea",
    }


def test_inject_raw_bytes(fake: FakeAmi) -> None:
    conn = logged_in(fake)

    fake.inject(b"\x00garbage\xff\r\nEvent: Trunc")

    assert conn.read_until(b"Trunc") == b"\x00garbage\xff\r\nEvent: Trunc"


def test_drop_closes_connections_but_keeps_listening(fake: FakeAmi) -> None:
    first = logged_in(fake)

    fake.drop()

    first.assert_closed()
    fake.wait_for_disconnect()
    second = logged_in(fake)
    assert fake.logins == 2
    second.close()


def test_stop_and_restart_on_the_same_port(fake: FakeAmi) -> None:
    old = fake.add_channel("PJSIP/2001", announce=False)
    conn = logged_in(fake)
    port = fake.port

    fake.stop()
    conn.assert_closed()
    with pytest.raises(ConnectionRefusedError):
        Client(fake.address)
    fake.restart(["PJSIP/2002", SimChannel("PJSIP/9-00000009", "1.9")])

    assert fake.port == port
    conn = logged_in(fake)
    conn.send(b"Action: CoreShowChannels\r\n\r\n")
    listed = b"".join(conn.read_list(b"CoreShowChannelsComplete"))
    new_epoch = fake.ids.epoch
    assert new_epoch > int(old.uniqueid.split(".")[0])
    assert f"Uniqueid: {new_epoch}.0\r\n".encode() in listed
    assert b"Channel: PJSIP/2002-00000000\r\n" in listed
    assert b"Uniqueid: 1.9\r\n" in listed
    assert old.channel.encode() not in listed
    assert fake.wait_for_action("Login", count=2)


def test_restart_with_no_channels(fake: FakeAmi) -> None:
    fake.add_channel("PJSIP/2001", announce=False)

    fake.restart()

    conn = logged_in(fake)
    conn.send(b"Action: CoreShowChannels\r\n\r\n")
    assert conn.read_list(b"CoreShowChannelsComplete")[-1].endswith(b"ListItems: 0\r\n\r\n")


def test_silent_accepts_and_records_but_never_answers(fake: FakeAmi) -> None:
    fake.silent = True
    conn = Client(fake.address, timeout=0.2)
    conn.send(b"Action: Ping\r\nActionID: p\r\n\r\n")

    fake.wait_for_action("Ping")
    with pytest.raises(TimeoutError):
        conn.read_until(b"\r\n")  # no banner, no answer: the read deadline passes
    conn.close()


def test_silence_after_login(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    conn.sock.settimeout(0.2)
    fake.silent = True

    conn.send(b"Action: Ping\r\n\r\n")

    fake.wait_for_action("Ping")
    with pytest.raises(TimeoutError):
        conn.read_message()


def test_wait_for_action_times_out_with_what_it_saw(fake: FakeAmi) -> None:
    conn = logged_in(fake)
    with pytest.raises(AssertionError, match=r"no Ping action #1 .*'Login'"):
        fake.wait_for_action("Ping", timeout=0.05)
    conn.close()


def test_nodelay_turns_nagle_off_as_asterisk_does() -> None:
    with FakeAmi(nodelay=True) as fake, socket.create_connection(fake.address) as sock:
        sock.recv(100)  # the banner: the session exists
        (session,) = fake._sessions
        assert session.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
