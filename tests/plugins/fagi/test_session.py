"""AgiSession over in-memory bytes: the captured Asterisk 22.10.1 exchange, byte for byte."""

from __future__ import annotations

import io
import pathlib

import pytest

from ctid_fagi.protocol import AgiProtocolError
from ctid_fagi.session import (
    MAX_INTERIM_LINES,
    AgiCommandError,
    AgiConnectionClosed,
    AgiHangup,
    AgiSession,
)

pytestmark = pytest.mark.timeout(10)

HEADER = b"agi_network: yes\nagi_network_script: test\nagi_uniqueid: 1.2\n\n"


def capture_streams(path: pathlib.Path) -> tuple[bytes, bytes]:
    """What Asterisk sent (header, blank line, answers) and what the server sent, as bytes."""
    asterisk, server = [], []
    for raw in path.read_text(encoding="utf-8").splitlines():
        _, _, rest = raw.partition("] ")
        direction, text = rest[:3], rest[4:]
        if direction == "<<<":
            asterisk.append("" if text.startswith("(blank line") else text)
        elif direction == ">>>":
            server.append(text)
    return "".join(f"{line}\n" for line in asterisk).encode(), "".join(
        f"{line}\n" for line in server
    ).encode()


def session_over(asterisk: bytes) -> tuple[AgiSession, io.BytesIO]:
    """A session reading `asterisk` and writing into the returned buffer."""
    written = io.BytesIO()
    return AgiSession(io.BytesIO(asterisk).readline, written.write), written


def test_capture_replay_is_byte_exact(data_dir: pathlib.Path) -> None:
    asterisk, expected = capture_streams(data_dir / "fastagi/did_agi_fastagi.txt")
    session, written = session_over(asterisk)

    request = session.read_request()
    session.verbose(f"fastagi_listener: {request.script} seen", 1)
    uniqueid = session.get_variable("UNIQUEID")
    number = session.get_full_variable("${CALLERID(num)}")
    session.set_variable("CTI_ROUTE", "1001")
    status = session.channel_status()

    assert written.getvalue() == expected
    assert (uniqueid, number, status) == ("1795727755.3", "0612345678", 4)
    assert uniqueid == request.uniqueid
    assert session.request is request
    assert not session.hung_up


def test_unset_and_empty_variables() -> None:
    session, written = session_over(HEADER + b"200 result=0\n200 result=1 ()\n")
    session.read_request()

    assert session.get_variable("NOPE") is None
    assert session.get_full_variable("${EMPTY}", channel="PJSIP/a-1") == ""
    assert written.getvalue() == (b'GET VARIABLE NOPE\nGET FULL VARIABLE "${EMPTY}" PJSIP/a-1\n')


def test_set_variable_quotes_names_that_are_not_words_and_cannot_inject() -> None:
    session, written = session_over(HEADER + b"200 result=1\n200 result=1\n")
    session.read_request()

    session.set_variable("MY VAR", "a")
    session.set_variable("CALLERID(name)", 'x"\nHANGUP')

    assert written.getvalue() == (
        b'SET VARIABLE "MY VAR" "a"\nSET VARIABLE CALLERID(name) "x\\" HANGUP"\n'
    )


def test_hangup_line_raises_once_after_reading_the_answer() -> None:
    session, _ = session_over(HEADER + b"HANGUP\n200 result=1\n200 result=1 (v)\n")
    session.read_request()

    with pytest.raises(AgiHangup) as raised:
        session.set_variable("X", "1")

    assert raised.value.response.lines == ("200 result=1",)
    assert session.hung_up
    # Dead-capable commands go on working, in step with the stream.
    assert session.get_variable("X") == "v"


def test_dead_channel_answer_raises_hangup() -> None:
    session, _ = session_over(
        HEADER + b"511 Command Not Permitted on a dead channel or intercept routine\n"
    )
    session.read_request()

    with pytest.raises(AgiHangup, match="dead channel"):
        session.channel_status()


def test_unknown_command_raises_command_error() -> None:
    session, _ = session_over(HEADER + b"510 Invalid or unknown command\n")
    session.read_request()

    with pytest.raises(AgiCommandError) as raised:
        session.execute("FROBNICATE")

    assert raised.value.response.code == 510
    assert raised.value.usage == ""


def test_usage_error_carries_the_usage_and_keeps_the_stream_in_step() -> None:
    session, _ = session_over(
        HEADER
        + b"520-Invalid command syntax.  Proper usage follows:\n"
        + b" Usage: GET VARIABLE <variablename>\n"
        + b"520 End of proper usage.\n"
        + b"200 result=1 (after)\n"
    )
    session.read_request()

    with pytest.raises(AgiCommandError) as raised:
        session.execute("GET VARIABLE")

    assert raised.value.usage == " Usage: GET VARIABLE <variablename>"
    assert session.get_variable("X") == "after"


def test_trying_is_skipped() -> None:
    session, _ = session_over(HEADER + b"100 result=0 Trying...\n200 result=0 Gosub complete\n")
    session.read_request()

    response = session.execute("GOSUB", "sub", "s", 1)

    assert (response.code, response.data) == (200, "Gosub complete")


def test_endless_interim_lines_are_refused() -> None:
    session, _ = session_over(HEADER + b"100 result=0 Trying...\n" * (MAX_INTERIM_LINES + 1))
    session.read_request()

    with pytest.raises(AgiProtocolError, match="interim"):
        session.execute("GOSUB", "sub", "s", 1)


def test_close_during_header_or_command() -> None:
    with pytest.raises(AgiConnectionClosed):
        session_over(b"agi_network: yes\n")[0].read_request()
    session, _ = session_over(HEADER)
    session.read_request()
    with pytest.raises(AgiConnectionClosed):
        session.verbose("bye")


def test_line_length_is_bounded() -> None:
    session = AgiSession(
        io.BytesIO(b"agi_x: " + b"y" * 100 + b"\n").readline, print, max_line_bytes=64
    )
    with pytest.raises(AgiProtocolError, match="64 bytes"):
        session.read_request()


def test_not_fastagi_is_refused() -> None:
    session, _ = session_over(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(AgiProtocolError):
        session.read_request()
