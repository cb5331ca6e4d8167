"""FakeAgiClient against a tiny gevent FastAGI server built on AgiSession."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import gevent
import gevent.event
import pytest
from gevent.server import StreamServer

from ctid.testing.fagiclient import (
    CAPTURED_HEADER,
    FakeAgiClient,
    build_header,
    split_command,
)
from ctid_fagi.protocol import Word
from ctid_fagi.session import AgiCommandError, AgiHangup, AgiSession

pytestmark = pytest.mark.timeout(10)

Script = Callable[[AgiSession], Any]


class AgiServer:
    """Runs `script` for each connection; keeps what it returned or raised."""

    def __init__(self) -> None:
        self.script: Script = lambda session: None
        self.results: list[Any] = []
        self.errors: list[BaseException] = []
        self.server = StreamServer(("127.0.0.1", 0), self._handle)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.server.server_port)

    def _handle(self, sock: Any, _address: Any) -> None:
        reader = sock.makefile("rb")
        try:
            session = AgiSession(reader.readline, sock.sendall)
            session.read_request()
            self.results.append(self.script(session))
        except Exception as error:
            self.errors.append(error)
        finally:
            reader.close()
            sock.close()


@pytest.fixture
def server() -> Iterator[AgiServer]:
    agi = AgiServer()
    agi.server.start()
    yield agi
    agi.server.stop()


def capture_commands(path: pathlib.Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.partition(">>> ")[2] for line in lines if ">>> " in line]


def test_round_trip_like_the_capture(server: AgiServer, data_dir: pathlib.Path) -> None:
    def script(session: AgiSession) -> tuple[Any, ...]:
        assert session.request is not None
        session.verbose(f"fastagi_listener: {session.request.script} seen", 1)
        return (
            session.request,
            session.get_variable("UNIQUEID"),
            session.get_full_variable("${CALLERID(num)}"),
            session.execute("SET VARIABLE", Word("CTI_ROUTE"), "1001").result,
            session.channel_status(),
        )

    server.script = script
    client = FakeAgiClient(server.address)

    assert client.run() == capture_commands(data_dir / "fastagi/did_agi_fastagi.txt")
    request, uniqueid, number, set_result, status = server.results[0]
    assert dict(request.headers) == {k.removeprefix("agi_"): v for k, v in CAPTURED_HEADER}
    assert (uniqueid, number, set_result, status) == ("1795727755.3", "0612345678", "1", 4)
    assert client.variables_set == [("CTI_ROUTE", "1001")]
    assert client.variables["CTI_ROUTE"] == "1001"
    assert client.closed.is_set()


def test_variables_set_are_recorded_unquoted_and_readable(server: AgiServer) -> None:
    def script(session: AgiSession) -> tuple[str | None, str | None]:
        session.set_variable("CALLERID(name)", 'Alice "A" \\ Martin')
        return session.get_variable("CALLERID(name)"), session.get_variable("UNSET")

    server.script = script
    client = FakeAgiClient(server.address, variables={"UNUSED": "1"})
    client.run()

    assert server.results == [('Alice "A" \\ Martin', None)]
    assert client.variables_set == [("CALLERID(name)", 'Alice "A" \\ Martin')]
    assert client.commands[0] == 'SET VARIABLE CALLERID(name) "Alice \\"A\\" \\\\ Martin"'


def test_header_overrides_reach_the_server(server: AgiServer) -> None:
    server.script = lambda session: session.request
    client = FakeAgiClient(
        server.address,
        script="callerid_extend?vars=a,b",
        args=["x", "y z"],
        callerid="0033612345678",
        calleridname="unknown",
        callington="16",
        accountcode=None,
    )
    client.run()

    request = server.results[0]
    assert request.script == "callerid_extend"
    assert request.args == ("x", "y z")
    assert dict(request.params) == {"vars": "a,b"}
    assert (request.callerid, request.calleridname, request.callington) == (
        "0033612345678",
        "unknown",
        "16",
    )
    assert "accountcode" not in request.headers
    host, port = server.address
    assert request.headers["request"] == f"agi://{host}:{port}/callerid_extend?vars=a,b"
    assert client.variables["CALLERID(num)"] == "0033612345678"


def test_build_header_keeps_captured_order_and_appends_args() -> None:
    header = build_header(args=["one"], uniqueid="9.9")
    assert [name for name, _ in header] == [n for n, _ in CAPTURED_HEADER] + ["agi_arg_1"]
    assert dict(header)["agi_uniqueid"] == "9.9"


def test_hangup_after_switches_to_dead_mode(server: AgiServer) -> None:
    def script(session: AgiSession) -> list[str]:
        seen = []
        session.verbose("first")
        try:
            session.set_variable("X", "1")
        except AgiHangup as hangup:
            seen.append(f"hangup, answer {hangup.response.lines[0]}")
        try:
            session.channel_status()
        except AgiHangup:
            seen.append("511")
        seen.append(str(session.get_variable("X")))
        return seen

    server.script = script
    client = FakeAgiClient(server.address, hangup_after=1)
    client.run()

    assert server.errors == []
    assert server.results == [["hangup, answer 200 result=1", "511", "1"]]
    assert client.hung_up


def test_send_hangup_from_another_greenlet(server: AgiServer) -> None:
    go_on = gevent.event.Event()

    def script(session: AgiSession) -> str:
        session.verbose("waiting")
        go_on.wait(5)
        try:
            session.verbose("after")
        except AgiHangup:
            return "hung up"
        return "still up"

    server.script = script
    client = FakeAgiClient(server.address)
    greenlet = client.start()
    client.wait_for_commands(1)
    client.send_hangup()
    go_on.set()
    greenlet.get(timeout=5)

    assert server.results == ["hung up"]


def test_scripted_responses_then_responder_then_table(server: AgiServer) -> None:
    server.script = lambda session: [
        session.get_variable("A"),
        session.get_variable("B"),
        session.get_variable("UNIQUEID"),
    ]
    client = FakeAgiClient(
        server.address,
        responses=["200 result=1 (scripted)"],
        responder=lambda line: "200 result=1 (answered)" if line.endswith(" B") else None,
    )
    client.run()

    assert server.results == [["scripted", "answered", "1795727755.3"]]


def test_unknown_command_and_bad_syntax(server: AgiServer) -> None:
    def script(session: AgiSession) -> list[tuple[int, str]]:
        errors = []
        for command, args in (("FROBNICATE", ()), ("SET VARIABLE", ("only-one",))):
            try:
                session.execute(command, *args)
            except AgiCommandError as error:
                errors.append((error.response.code, error.usage))
        return errors

    server.script = script
    FakeAgiClient(server.address).run()

    assert server.results == [[(510, ""), (520, " Usage: SET VARIABLE <variablename> <value>")]]


def test_wait_for_commands_reports_a_session_that_ended_short(server: AgiServer) -> None:
    client = FakeAgiClient(server.address)
    client.start()
    with pytest.raises(TimeoutError, match="0 of 1"):
        client.wait_for_commands(1)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('VERBOSE "a b" 1', ["VERBOSE", "a b", "1"]),
        ('SET VARIABLE X "say \\"hi\\""', ["SET", "VARIABLE", "X", 'say "hi"']),
        ('SET VARIABLE X ""', ["SET", "VARIABLE", "X", ""]),
        ("  NOOP\t ", ["NOOP"]),
        ('GET FULL VARIABLE "${CALLERID(num)}"', ["GET", "FULL", "VARIABLE", "${CALLERID(num)}"]),
    ],
)
def test_split_command_reads_like_asterisk(line: str, words: list[str]) -> None:
    assert split_command(line) == words
