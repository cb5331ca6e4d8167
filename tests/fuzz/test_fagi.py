"""Fuzzing FastAGI: the header and response parsers fail only with AgiProtocolError, a session
fails only with its documented errors, and every command line Asterisk's splitter reads back as
exactly the words and arguments sent, never as a second command."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.testing.fagiclient import split_command
from ctid.testing.strategies import (
    agi_arguments,
    agi_header_lines,
    agi_response_lines,
    fuzz_settings,
    hostile_text,
)
from ctid_fagi.protocol import (
    AgiProtocolError,
    AgiRequest,
    HeaderParser,
    ResponseParser,
    Word,
    encode_command,
    parse_header,
    parse_response_line,
)
from ctid_fagi.session import AgiError, AgiSession

COMMANDS = ["SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE", "EXEC", "NOOP"]
# What `quote` turns into blanks: Asterisk would end (LF) or cut (NUL) the line there.
LINE_ENDERS = re.compile(r"[\r\n\x00]")


@fuzz_settings(300)
@given(lines=agi_header_lines())
def test_a_header_parses_into_a_request_or_fails_with_a_protocol_error(lines: list[bytes]) -> None:
    parser = HeaderParser()
    try:
        for line in lines:
            if parser.feed(line):
                break
        request = parser.request()
    except AgiProtocolError:
        return
    assert isinstance(request, AgiRequest)
    assert all(isinstance(arg, str) for arg in request.args)


@fuzz_settings(300)
@given(lines=agi_response_lines())
def test_responses_parse_or_fail_with_a_protocol_error(lines: list[str]) -> None:
    parser = ResponseParser(max_usage_lines=4)
    for line in lines:
        try:
            response = parser.feed(line)
        except AgiProtocolError:
            parser = ResponseParser(max_usage_lines=4)
            continue
        if response is not None:
            assert response.lines
            assert response.result_int is None or isinstance(response.result_int, int)


@fuzz_settings(300)
@given(command=st.one_of(st.sampled_from(COMMANDS), hostile_text(3)), args=agi_arguments())
def test_a_command_is_refused_or_read_back_as_exactly_its_words(
    command: str, args: list[tuple[str, str | int]]
) -> None:
    values = [Word(value) if kind == "word" else value for kind, value in args]
    try:
        line = encode_command(command, *values)
    except (ValueError, TypeError):
        return

    text = line.decode("utf-8")
    assert text.endswith("\n")
    assert len(line) <= 2047
    assert not LINE_ENDERS.search(text[:-1])
    sent = [LINE_ENDERS.sub(" ", str(value)) for value in values]
    assert split_command(text[:-1]) == command.split(" ") + sent


def reader(lines: list[str]) -> Iterator[bytes]:
    yield from (f"{line}\n".encode() for line in lines)


@fuzz_settings(200)
@given(header=agi_header_lines(), answers=agi_response_lines())
def test_a_session_ends_only_with_its_documented_errors(
    header: list[bytes], answers: list[str]
) -> None:
    incoming = iter([*header, *(f"{line}\n".encode() for line in answers)])
    written: list[bytes] = []
    session = AgiSession(lambda size: next(incoming, b"")[:size], written.append)
    try:
        session.read_request()
        while True:
            session.get_variable("CALLERID(name)")
    except (AgiError, AgiProtocolError):
        pass
    assert all(line.count(b"\n") == 1 for line in written)


# --- regressions the fuzzer found ------------------------------------------------------------


def test_an_endpos_or_an_arg_number_too_long_for_int_is_not_a_crash() -> None:
    # Python refuses int() on more than 4300 digits with a plain ValueError, which escaped the
    # server's handler (it catches AgiProtocolError) and killed the greenlet with a traceback.
    response = parse_response_line("200 result=1 endpos=" + "9" * 5000)
    assert (response.result, response.endpos) == ("1", None)
    request = parse_header(b"agi_network_script: s\nagi_arg_" + b"9" * 5000 + b": x\n\n")
    assert request.args == ()


@pytest.mark.parametrize("url", ["agi://[::1/s", "agi://a\uff03b/s"])
def test_an_agi_request_url_python_cannot_split_is_a_protocol_error(url: str) -> None:
    with pytest.raises(AgiProtocolError, match="agi_request"):
        parse_header(f"agi_request: {url}\n\n".encode())
