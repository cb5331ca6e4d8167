"""Golden tests of the pure FastAGI protocol against the session captured from Asterisk 22.10.1."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.testing.fagiclient import split_command
from ctid_fagi.protocol import (
    CODE_HANGUP,
    MAX_COMMAND_BYTES,
    AgiProtocolError,
    AgiResponse,
    HeaderParser,
    ResponseParser,
    Word,
    build_request,
    encode_command,
    parse_header,
    parse_header_line,
    parse_response_line,
    quote,
    word_or_quoted,
)

pytestmark = pytest.mark.timeout(10)

CAPTURE = "fastagi/did_agi_fastagi.txt"
Capture = tuple[list[str], list[tuple[str, list[str]]]]
"""The capture's header lines and its (command, answer lines) exchanges."""


def read_capture(path: pathlib.Path) -> Capture:
    header: list[str] = []
    exchanges: list[tuple[str, list[str]]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        _, _, rest = raw.partition("] ")
        direction, text = rest[:3], rest[4:]
        if direction == ">>>":
            exchanges.append((text, []))
        elif direction == "<<<" and exchanges:
            exchanges[-1][1].append(text)
        elif direction == "<<<" and not text.startswith("(blank line"):
            header.append(text)
    return header, exchanges


@pytest.fixture
def capture(data_dir: pathlib.Path) -> Capture:
    return read_capture(data_dir / CAPTURE)


def test_capture_header_parses_to_exactly_its_fields(capture: Capture) -> None:
    header, _ = capture
    request = parse_header("".join(f"{line}\n" for line in header).encode() + b"\n")

    assert len(header) == 22
    assert dict(request.headers) == {
        line.split(":", 1)[0].removeprefix("agi_"): line.split(": ", 1)[1] for line in header
    }
    assert request.headers["accountcode"] == ""
    assert request.script == "incoming_call"
    assert request.args == ()
    assert dict(request.params) == {}
    assert request.channel == "Local/2000@default-00000001;2"
    assert request.uniqueid == "1795727755.3"
    assert request.callerid == "0612345678"
    assert request.calleridname == "Outside Caller"
    assert request.callington == "0"
    assert request.context == "default"
    assert request.extension == "2000"
    assert request.version == "22.10.1"


def test_capture_answers_parse(capture: Capture) -> None:
    _, exchanges = capture
    answers = [parse_response_line(lines[0]) for _, lines in exchanges]

    assert [(a.code, a.result, a.data) for a in answers] == [
        (200, "1", None),
        (200, "1", "1795727755.3"),
        (200, "1", "0612345678"),
        (200, "1", None),
        (200, "4", None),
    ]
    assert answers[4].result_int == 4
    assert answers[1].lines == ("200 result=1 (1795727755.3)",)


def test_capture_commands_encode_byte_exact(capture: Capture) -> None:
    _, exchanges = capture
    encoded = [
        encode_command("VERBOSE", "fastagi_listener: incoming_call seen", 1),
        encode_command("GET VARIABLE", Word("UNIQUEID")),
        encode_command("GET FULL VARIABLE", "${CALLERID(num)}"),
        encode_command("SET VARIABLE", word_or_quoted("CTI_ROUTE"), "1001"),
        encode_command("CHANNEL STATUS"),
    ]

    assert encoded == [f"{command}\n".encode() for command, _ in exchanges]


def test_header_line_keeps_value_after_the_one_space() -> None:
    assert parse_header_line("agi_calleridname: Foo Bar ") == ("calleridname", "Foo Bar ")
    assert parse_header_line("agi_accountcode:") == ("accountcode", "")
    assert parse_header_line("agi_request: agi://h:1/x") == ("request", "agi://h:1/x")


@pytest.mark.parametrize("line", ["GET / HTTP/1.1", "callerid: 1", "agi_: x", "agi_Caller: x"])
def test_header_line_that_is_not_agi_is_refused(line: str) -> None:
    with pytest.raises(AgiProtocolError):
        parse_header_line(line)


def test_script_args_and_params_from_network_script() -> None:
    request = build_request(
        {
            "network_script": "ivr/welcome%20menu?lang=fr&vars=a,b&lang=de",
            "request": "agi://127.0.0.1:4573/ignored",
            "arg_2": "42",
            "arg_10": "ten",
            "arg_1": "fr",
        }
    )

    assert request.script == "ivr"
    assert request.args == ("welcome menu", "fr", "42", "ten")
    assert dict(request.params) == {"lang": "de", "vars": "a,b"}


def test_script_from_request_url_when_network_script_is_absent() -> None:
    request = build_request({"request": "agi://10.0.0.1:5002/callerid_extend?vars=x"})

    assert request.script == "callerid_extend"
    assert dict(request.params) == {"vars": "x"}
    assert build_request({"request": "agi://10.0.0.1:5002"}).script == ""
    assert build_request({}).script == ""


def test_header_parser_is_incremental_and_bounded() -> None:
    parser = HeaderParser(max_lines=3, max_bytes=1000)
    assert parser.feed(b"agi_network: yes\n") is False
    assert parser.feed(b"agi_network_script: a\r\n") is False
    with pytest.raises(AgiProtocolError, match="not complete"):
        parser.request()
    assert parser.feed(b"\n") is True
    assert parser.request().script == "a"
    with pytest.raises(AgiProtocolError, match="already complete"):
        parser.feed(b"agi_x: y\n")


def test_header_over_line_bound_is_refused() -> None:
    parser = HeaderParser(max_lines=2)
    parser.feed(b"agi_a: 1\n")
    parser.feed(b"agi_b: 2\n")
    with pytest.raises(AgiProtocolError, match="longer than 2 lines"):
        parser.feed(b"\n")


def test_header_over_byte_bound_is_refused() -> None:
    parser = HeaderParser(max_bytes=100)
    with pytest.raises(AgiProtocolError, match="100 bytes"):
        parser.feed(b"agi_calleridname: " + b"x" * 100 + b"\n")


def test_header_without_blank_line_is_refused() -> None:
    with pytest.raises(AgiProtocolError, match="blank line"):
        parse_header(b"agi_network: yes\n")


def test_undecodable_header_bytes_do_not_fail_the_call() -> None:
    request = parse_header(b"agi_calleridname: Ren\xe9\n\n")
    assert request.calleridname == "Ren\ufffd"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=0", AgiResponse(200, "0", None)),
        ("200 result=1 ()", AgiResponse(200, "1", "")),
        ("200 result=1 (a (b) c)", AgiResponse(200, "1", "a (b) c")),
        ("200 result=1 (x) endpos=5)", AgiResponse(200, "1", "x) endpos=5")),
        ("200 result=0 endpos=12345", AgiResponse(200, "0", None, endpos=12345)),
        ("200 result=49 (dtmf) endpos=800", AgiResponse(200, "49", "dtmf", endpos=800)),
        ("200 result= (timeout)", AgiResponse(200, "", "timeout")),
        ("200 result=0123", AgiResponse(200, "0123", None)),
        ("200 result=-1", AgiResponse(200, "-1", None)),
        ("200 result=0 Gosub complete", AgiResponse(200, "0", "Gosub complete")),
        ("100 result=0 Trying...", AgiResponse(100, "0", "Trying...")),
        ("510 Invalid or unknown command", AgiResponse(510, "", "Invalid or unknown command")),
        (
            "511 Command Not Permitted on a dead channel or intercept routine",
            AgiResponse(511, "", "Command Not Permitted on a dead channel or intercept routine"),
        ),
        (
            "503 result=-2 Memory allocation failure",
            AgiResponse(503, "-2", "Memory allocation failure"),
        ),
        (
            "520 Invalid command syntax.  Proper usage not available.",
            AgiResponse(520, "", "Invalid command syntax.  Proper usage not available."),
        ),
        ("HANGUP", AgiResponse(CODE_HANGUP, "", None)),
    ],
)
def test_response_lines(line: str, expected: AgiResponse) -> None:
    response = parse_response_line(line)
    assert (response.code, response.result, response.data, response.endpos) == (
        expected.code,
        expected.result,
        expected.data,
        expected.endpos,
    )
    assert response.lines == (line,)


def test_hangup_and_result_int() -> None:
    assert parse_response_line("HANGUP").is_hangup
    assert not parse_response_line("200 result=1").is_hangup
    assert parse_response_line("200 result=-1").result_int == -1
    assert parse_response_line("200 result= (timeout)").result_int is None


@pytest.mark.parametrize("line", ["", "hello", "20 result=1", "OK 200", "hangup"])
def test_garbage_response_is_refused(line: str) -> None:
    with pytest.raises(AgiProtocolError):
        parse_response_line(line)


def test_multi_line_520_is_one_response() -> None:
    parser = ResponseParser()
    usage = " Usage: SET VARIABLE <variablename> <value>"

    assert parser.feed(b"520-Invalid command syntax.  Proper usage follows:\n") is None
    assert parser.feed(f"{usage}\n".encode()) is None
    assert parser.feed(b" Sets a variable to the current value.\n") is None
    response = parser.feed(b"520 End of proper usage.\n")

    assert response is not None
    assert response.code == 520
    assert response.data == f"{usage}\n Sets a variable to the current value."
    assert len(response.lines) == 4
    # The parser is ready for the next answer.
    assert parser.feed("200 result=1") == AgiResponse(200, "1", None, ("200 result=1",))


def test_multi_line_520_is_bounded() -> None:
    parser = ResponseParser(max_usage_lines=3)
    parser.feed("520-Invalid command syntax.  Proper usage follows:")
    parser.feed(" one")
    parser.feed(" two")
    with pytest.raises(AgiProtocolError, match="3 lines"):
        parser.feed(" three")


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", '"plain"'),
        ("", '""'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("two\nlines\r\n", '"two lines  "'),
        ("nul\x00byte", '"nul byte"'),
    ],
)
def test_quote(value: str, quoted: str) -> None:
    assert quote(value) == quoted


def test_injection_cannot_make_a_second_line() -> None:
    value = 'x"\nHANGUP'
    line = encode_command("SET VARIABLE", Word("CALLERID(name)"), value)

    assert line == b'SET VARIABLE CALLERID(name) "x\\" HANGUP"\n'
    assert line.count(b"\n") == 1
    assert split_command(line.decode()[:-1]) == ["SET", "VARIABLE", "CALLERID(name)", 'x" HANGUP']


@given(st.text(max_size=200))
def test_any_value_is_one_line_that_asterisk_reads_back(value: str) -> None:
    line = encode_command("SET VARIABLE", Word("X"), value)

    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert b"\r" not in line
    assert b"\x00" not in line
    expected = value.replace("\r", " ").replace("\n", " ").replace("\x00", " ")
    assert split_command(line.decode()[:-1]) == ["SET", "VARIABLE", "X", expected]


@pytest.mark.parametrize("word", ["", "two words", 'q"uote', "back\\slash", "line\n", "tab\t"])
def test_word_must_be_one_safe_word(word: str) -> None:
    with pytest.raises(ValueError, match="single word"):
        encode_command("GET VARIABLE", Word(word))
    assert not isinstance(word_or_quoted(word), Word)


def test_word_or_quoted() -> None:
    assert isinstance(word_or_quoted("CALLERID(name)"), Word)
    assert encode_command("GET VARIABLE", word_or_quoted("MY VAR")) == b'GET VARIABLE "MY VAR"\n'


@pytest.mark.parametrize("command", ["", "SET  VARIABLE", "VERBOSE\nHANGUP", "GET_VARIABLE", "é"])
def test_bad_command_words_are_refused(command: str) -> None:
    with pytest.raises(ValueError, match="not a FastAGI command"):
        encode_command(command)


def test_bool_argument_is_refused() -> None:
    with pytest.raises(TypeError):
        encode_command("VERBOSE", "x", True)


def test_command_length_is_bounded() -> None:
    fits = "x" * (MAX_COMMAND_BYTES - len('SET VARIABLE X ""\n'))
    assert len(encode_command("SET VARIABLE", Word("X"), fits)) == MAX_COMMAND_BYTES
    with pytest.raises(ValueError, match="over 2047"):
        encode_command("SET VARIABLE", Word("X"), fits + "x")
