"""Golden tests of the pure AMI protocol module on real Asterisk 22 captures and crafted bytes."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid_ami.protocol import (
    AmiMessage,
    AmiParser,
    AmiProtocolError,
    encode_action,
    md5_key,
)

FIXTURES = ["originate.txt", "did_agi_ami.txt", "queue.txt"]

# (messages, events), counted with grep on the captures, not by any parser: messages = empty
# lines, events = lines starting "Event: ". (OriginateResponse events hold a "Response:" line
# too, so a response is a message whose *first* line is "Response:".)
KNOWN_COUNTS = {
    "originate.txt": (36, 33),
    "did_agi_ami.txt": (104, 101),
    "queue.txt": (98, 94),
}


def capture(data_dir: pathlib.Path, name: str) -> bytes:
    return (data_dir / "ami" / name).read_bytes()


def parse_all(data: bytes, **limits: int) -> list[AmiMessage]:
    return AmiParser(**limits).feed(data)


def parse_chunked(data: bytes, size: int) -> list[AmiMessage]:
    parser = AmiParser()
    messages = []
    for start in range(0, len(data), size):
        messages += parser.feed(data[start : start + size])
    return messages


def snapshot(messages: list[AmiMessage]) -> list[tuple[dict[str, str], dict[str, list[str]]]]:
    """Messages with every value of every key, to compare parses exactly."""
    return [(dict(m), {k: m.getall(k) for k in m}) for m in messages]


# --- golden captures -------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_capture_parses_into_every_message(data_dir: pathlib.Path, name: str) -> None:
    raw = capture(data_dir, name)
    # Independent count: blank-line separated blocks after the banner line.
    blocks = [b for b in raw.split(b"\r\n", 1)[1].split(b"\r\n\r\n") if b]
    events = [b for b in blocks if b.startswith(b"Event: ")]
    assert (len(blocks), len(events)) == KNOWN_COUNTS[name]

    messages = parse_all(raw)

    assert len(messages) == len(blocks)
    assert [m.is_event for m in messages] == [b.startswith(b"Event: ") for b in blocks]
    assert [m.is_response for m in messages] == [b.startswith(b"Response: ") for b in blocks]
    assert [m.event for m in messages if m.is_event] == [
        b.split(b"\r\n", 1)[0][len(b"Event: ") :].decode() for b in events
    ]
    # Every message has exactly the keys of its block, in order.
    for message, block in zip(messages, blocks, strict=True):
        keys = list(
            dict.fromkeys(line.split(b": ", 1)[0].decode() for line in block.split(b"\r\n"))
        )
        assert list(message) == keys


def test_capture_fields_are_exact(data_dir: pathlib.Path) -> None:
    parser = AmiParser()
    messages = parser.feed(capture(data_dir, "originate.txt"))

    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert parser.version == "11.0.0"
    assert messages[0] == {
        "Response": "Success",
        "ActionID": "login-1",
        "Message": "Authentication accepted",
    }
    assert messages[0].action_id == "login-1"
    assert messages[1] == {
        "Event": "FullyBooted",
        "Privilege": "system,all",
        "Uptime": "3",
        "LastReload": "3",
        "Status": "Fully Booted",
    }
    assert messages[1].action_id is None
    originate_response = next(m for m in messages if m.event == "OriginateResponse")
    assert originate_response == {
        "Event": "OriginateResponse",
        "Privilege": "call,all",
        "Timestamp": "1795727724.023779",
        "ActionID": "orig-1",
        "Response": "Success",
        "Channel": "Local/1001@default-00000000;1",
        "Context": "default",
        "Exten": "1002",
        "Reason": "4",
        "Uniqueid": "1795727724.0",
        "CallerIDNum": "5551234",
        "CallerIDName": "Test Caller",
    }
    assert originate_response.is_event
    assert not originate_response.is_response
    newchannel = next(m for m in messages if m.event == "Newchannel")
    assert newchannel["AccountCode"] == ""  # written "AccountCode: " with the trailing space
    assert messages[-1] == {
        "Response": "Goodbye",
        "ActionID": "logoff-1",
        "Message": "Thanks for all the fish.",
    }


def test_repeated_keys_keep_first_value_and_all_values(data_dir: pathlib.Path) -> None:
    messages = parse_all(capture(data_dir, "did_agi_ami.txt"))

    user_event = next(m for m in messages if m.event == "UserEvent")

    assert user_event["UserEvent"] == "dialplan2cti"
    assert user_event["Uniqueid"] == "1795727755.3"
    assert user_event.getall("Uniqueid") == ["1795727755.3", "1795727755.3"]
    assert user_event.getall("Did") == ["2000"]
    assert user_event.getall("Missing") == []


def test_event_lists_carry_their_action_id(data_dir: pathlib.Path) -> None:
    messages = parse_all(capture(data_dir, "queue.txt"))

    listed = [m for m in messages if m.action_id == "act-1"]

    assert [m.get("Event", m.get("Response")) for m in listed] == [
        "Success",
        "QueueParams",
        "QueueMember",
        "QueueStatusComplete",
    ]
    assert listed[2]["PausedReason"] == ""
    assert listed[3]["ListItems"] == "2"


# --- framing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_byte_by_byte_equals_one_feed(data_dir: pathlib.Path, name: str) -> None:
    raw = capture(data_dir, name)

    assert snapshot(parse_chunked(raw, 1)) == snapshot(parse_all(raw))


@pytest.mark.parametrize("name", FIXTURES)
def test_lf_only_equals_crlf(data_dir: pathlib.Path, name: str) -> None:
    raw = capture(data_dir, name)
    lf_only = raw.replace(b"\r\n", b"\n")
    parser = AmiParser()

    assert snapshot(parser.feed(lf_only)) == snapshot(parse_all(raw))
    assert parser.version == "11.0.0"
    assert snapshot(parse_chunked(lf_only, 7)) == snapshot(parse_all(raw))


def test_split_inside_crlf_and_inside_terminator() -> None:
    parser = AmiParser()

    assert parser.feed(b"Asterisk Call Manager/11.0.0\r") == []
    assert parser.feed(b"\nEvent: A\r\nX: 1\r") == []
    assert parser.feed(b"\n\r") == []
    assert parser.feed(b"\nEvent: B\r\n\r\n") == [{"Event": "A", "X": "1"}, {"Event": "B"}]
    assert parser.version == "11.0.0"


def test_asterisk_bare_lf_quirks() -> None:
    # The Agents event's CallStarted line ends in LF only; CoreShowChannelMap ended in \r\n\n.
    data = (
        b"Event: Agents\r\nAgent: 1001\r\nCallStarted: 1718030000\nTalkingToChan: PJSIP/a\r\n\r\n"
        b"Event: CoreShowChannelMap\r\nChannel: PJSIP/a\r\n\n"
        b"Event: Next\r\n\r\n"
    )
    expected = [
        {
            "Event": "Agents",
            "Agent": "1001",
            "CallStarted": "1718030000",
            "TalkingToChan": "PJSIP/a",
        },
        {"Event": "CoreShowChannelMap", "Channel": "PJSIP/a"},
        {"Event": "Next"},
    ]

    assert parse_all(data) == expected
    assert parse_chunked(data, 1) == expected


def test_stream_without_banner_and_extra_blank_lines() -> None:
    parser = AmiParser()

    messages = parser.feed(b"Event: A\r\n\r\n\r\n\r\nEvent: B\r\nY: 2\r\n\r\n")

    assert messages == [{"Event": "A"}, {"Event": "B", "Y": "2"}]
    assert parser.banner is None
    assert parser.version is None


def test_irregular_lines() -> None:
    data = (
        b"Event: Odd\r\ngarbage without colon\r\nTight:value\r\nSpaced:  two\r\nMsg: a: b\r\n\r\n"
    )

    (message,) = parse_all(data)

    # Lines without a colon are skipped; "Key:value" is read; one space after ": " is eaten.
    assert message == {"Event": "Odd", "Tight": "value", "Spaced": " two", "Msg": "a: b"}


def test_unknown_events_pass_through() -> None:
    (message,) = parse_all(b"Event: SomethingNew2030\r\nPrivilege: future,all\r\nK: v\r\n\r\n")

    assert message.event == "SomethingNew2030"
    assert message == {"Event": "SomethingNew2030", "Privilege": "future,all", "K": "v"}


def test_non_utf8_bytes_are_replaced_never_raised() -> None:
    latin1 = "Event: Newchannel\r\nCallerIDName: Jos\xe9\r\n\r\n".encode("latin-1")
    utf8 = "Event: Newchannel\r\nCallerIDName: Jos\xe9\r\n\r\n".encode()

    assert parse_all(latin1)[0]["CallerIDName"] == "Jos\ufffd"
    # A UTF-8 sequence split across reads must survive (decode after framing, not per read).
    assert parse_chunked(utf8, 1)[0]["CallerIDName"] == "Jos\xe9"


def test_message_predicates() -> None:
    response, event = parse_all(
        b"Response: Error\r\nActionID: 7\r\nMessage: No such channel\r\n\r\nEvent: Hangup\r\n\r\n"
    )

    assert (response.is_response, response.is_event, response.event) == (True, False, "")
    assert response.action_id == "7"
    assert (event.is_response, event.is_event, event.event) == (False, True, "Hangup")
    assert repr(event) == "AmiMessage({'Event': 'Hangup'})"


# --- command output --------------------------------------------------------------------------

FOLLOWS = (
    b"Asterisk Call Manager/1.3\r\n"
    b"Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-1\r\n"
    b"Name/username: 1001\nStatus: OK\n\nTotal: 1\n--END COMMAND--\r\n\r\n"
    b"Event: After\r\n\r\n"
)


def test_follows_command_output_becomes_output_lines() -> None:
    for messages in (parse_all(FOLLOWS), parse_chunked(FOLLOWS, 1), parse_chunked(FOLLOWS, 60)):
        command, after = messages
        assert dict(command) == {
            "Response": "Follows",
            "Privilege": "Command",
            "ActionID": "cmd-1",
            "Output": "Name/username: 1001",
        }
        assert command.getall("Output") == ["Name/username: 1001", "Status: OK", "", "Total: 1"]
        assert after == {"Event": "After"}


def test_follows_with_empty_output_and_lf_only_stream() -> None:
    empty = b"Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--\r\n\r\n"
    assert parse_all(empty) == [{"Response": "Follows", "Privilege": "Command"}]
    assert parse_all(empty)[0].getall("Output") == []
    lf_only = FOLLOWS.replace(b"\r\n", b"\n")
    assert snapshot(parse_all(lf_only)) == snapshot(parse_all(FOLLOWS))


def test_asterisk_14_command_output() -> None:
    (message,) = parse_all(
        b"Response: Success\r\nActionID: 3\r\nMessage: Command output follows\r\n"
        b"Output: Asterisk 22.10.1 built by root\r\nOutput: \r\nOutput: done\r\n\r\n"
    )

    assert message["Output"] == "Asterisk 22.10.1 built by root"
    assert message.getall("Output") == ["Asterisk 22.10.1 built by root", "", "done"]


# --- bounds ----------------------------------------------------------------------------------


def test_long_line_in_one_feed_raises() -> None:
    with pytest.raises(AmiProtocolError, match="line longer than 100 bytes"):
        parse_all(b"Event: X\r\nK: " + b"v" * 200 + b"\r\n\r\n", max_line=100)


def test_long_message_in_one_feed_raises() -> None:
    data = b"Event: X\r\n" + b"K: v\r\n" * 100 + b"\r\n"
    with pytest.raises(AmiProtocolError, match="message longer than 300 bytes"):
        parse_all(data, max_line=100, max_message=300)


def test_unterminated_long_message_raises() -> None:
    parser = AmiParser(max_line=100, max_message=300)
    parser.feed(b"Event: X\r\n")
    with pytest.raises(AmiProtocolError, match="message longer"):
        for _ in range(100):
            parser.feed(b"K: v\r\n")


def test_ten_megabyte_line_raises_within_one_chunk_of_the_bound() -> None:
    parser = AmiParser()  # defaults: 64 KiB line, 1 MiB message
    chunk = b"x" * 65536
    fed = 0
    with pytest.raises(AmiProtocolError) as excinfo:
        parser.feed(b"Asterisk Call Manager/11.0.0\r\nEvent: Flood\r\nData: ")
        while fed < 10_000_000:
            fed += len(chunk)
            parser.feed(chunk)

    assert isinstance(excinfo.value, ValueError)
    assert fed <= 64 * 1024 + len(chunk)


def test_ten_megabyte_banner_raises() -> None:
    with pytest.raises(AmiProtocolError, match="banner"):
        AmiParser().feed(b"A" * 10_000_000)


# --- property --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=200_000), max_size=60))
def test_any_chunking_equals_one_feed(cuts: list[int]) -> None:
    data = PROPERTY_STREAM
    whole = snapshot(AmiParser().feed(data))
    parser = AmiParser()
    messages = []
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        messages += parser.feed(data[start:cut])
        start = cut

    assert snapshot(messages) == whole


def _property_stream() -> bytes:
    data_dir = pathlib.Path(__file__).parents[2] / "data" / "ami"
    raw = (data_dir / "did_agi_ami.txt").read_bytes()
    quirks = (
        b"Event: Agents\r\nCallStarted: 1\nTalkingToChan: x\r\n\r\n"
        + FOLLOWS.split(b"\r\n", 1)[1]
        + "Event: N\r\nCallerIDName: Jos\xe9 \u00e7a\r\n\r\n".encode()
    )
    return raw + quirks


PROPERTY_STREAM = _property_stream()


# --- encoding --------------------------------------------------------------------------------


def test_encode_action_exact_bytes() -> None:
    data = encode_action(
        "Originate",
        {
            "Channel": "PJSIP/2001",
            "Context": "internal",
            "Exten": "2002",
            "Priority": "1",
            "CallerID": '"CTI" <2002>',
            "Async": "true",
            "Variable": ["CTI_CALLID=abc", "X=y"],
        },
        action_id="ctd-1",
    )

    assert data == (
        b"Action: Originate\r\nActionID: ctd-1\r\nChannel: PJSIP/2001\r\nContext: internal\r\n"
        b'Exten: 2002\r\nPriority: 1\r\nCallerID: "CTI" <2002>\r\nAsync: true\r\n'
        b"Variable: CTI_CALLID=abc\r\nVariable: X=y\r\n\r\n"
    )


def test_encode_action_minimal_and_utf8() -> None:
    assert encode_action("Ping") == b"Action: Ping\r\n\r\n"
    assert encode_action("Setvar", {"Variable": "N", "Value": "\xe9"}) == (
        b"Action: Setvar\r\nVariable: N\r\nValue: \xc3\xa9\r\n\r\n"
    )


def test_encoded_action_parses_back() -> None:
    data = encode_action("Login", {"Username": "ctid", "Secret": "s: 3"}, action_id="1")

    assert parse_all(data) == [
        {"Action": "Login", "ActionID": "1", "Username": "ctid", "Secret": "s: 3"}
    ]


@pytest.mark.parametrize(
    ("fields", "action_id"),
    [
        ({"Channel": "PJSIP/1\r\nAction: Hangup"}, None),
        ({"Variable": ["ok", "bad\nAction: Hangup"]}, None),
        ({"Bad\r\nKey": "v"}, None),
        ({"Key: x": "v"}, None),
        ({"": "v"}, None),
        ({"Action": "Hangup"}, None),
        ({"ActionID": "2"}, None),
        (None, "id\r\n\r\nAction: Hangup"),
    ],
)
def test_encode_action_rejects_header_injection(
    fields: dict[str, str | list[str]] | None, action_id: str | None
) -> None:
    with pytest.raises(ValueError):
        encode_action("Status", fields, action_id=action_id)


def test_encode_action_rejects_injection_in_action_name() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        encode_action("Ping\r\n\r\nAction: Hangup")


def test_md5_key_known_vectors() -> None:
    # RFC 1321 test suite: MD5("abc"), MD5("message digest"), split into challenge + secret.
    assert md5_key("ab", "c") == "900150983cd24fb0d6963f7d28e17f72"
    assert md5_key("message ", "digest") == "f96b697d7cb7938d525a2f31aaf161d0"
    assert md5_key("", "") == "d41d8cd98f00b204e9800998ecf8427e"


def test_follows_output_line_over_the_bound_raises() -> None:
    data = (
        b"Response: Follows\r\nPrivilege: Command\r\n" + b"x" * 200 + b"\n--END COMMAND--\r\n\r\n"
    )
    with pytest.raises(AmiProtocolError, match="line longer than 100 bytes"):
        parse_all(data, max_line=100)
