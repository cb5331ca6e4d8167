"""The wire format, byte for byte: banner, lines out, lines in, and what is refused."""

import json

import pytest

from ctid_cti import codec


def test_the_banner_is_a_text_line_that_is_not_json() -> None:
    line = codec.banner("1.0")
    assert line == b"XiVO CTI Server Version 1.2 (ctid 1.0)\n"
    with pytest.raises(ValueError):
        json.loads(line)


def test_a_message_is_one_compact_utf8_line_stamped_with_timenow() -> None:
    line = codec.encode({"class": "chitchat", "text": "été / ok\nsuite"}, 1700000000.1234567)
    assert line == (
        '{"class":"chitchat","text":"été / ok\\nsuite","timenow":1700000000.123457}\n'.encode()
    )
    assert line.count(b"\n") == 1


def test_cjson_escaped_slashes_decode_to_slashes() -> None:
    message = codec.decode(b'{"class":"ipbxcommand","destination":"exten:xivo\\/1202"}')
    assert message["destination"] == "exten:xivo/1202"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"not json", "invalid_json"),
        (b'{"class": "keepalive"', "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b'{"class": NaN}', "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b"1" * 5000, "invalid_json"),
        (b'["class", "keepalive"]', "not_an_object"),
        (b'"keepalive"', "not_an_object"),
    ],
)
def test_what_is_not_a_json_object_is_refused_with_a_code(line: bytes, code: str) -> None:
    with pytest.raises(codec.DecodeError) as raised:
        codec.decode(line)
    assert raised.value.code == code


@pytest.mark.parametrize("value", [None, 12, "x" * 65, ["getlist"]])
def test_a_class_that_is_not_a_short_string_becomes_empty(value: object) -> None:
    assert codec.decode(json.dumps({"class": value}).encode())["class"] == ""


@pytest.mark.parametrize(
    ("command_id", "echoed"),
    [(7, 7), ("abc", "abc"), ("x" * 65, None), (True, None), ([1], None), (None, None)],
)
def test_only_plain_command_ids_are_echoed(command_id: object, echoed: object) -> None:
    assert codec.reply_id({"commandid": command_id}) == echoed
