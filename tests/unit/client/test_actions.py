"""urlauto actions in the client: dispatched by scheme to the handlers the plugin manager finds
through entry points (the bundled urlauto plugin), a command line refused unless --allow-exec,
failures reported and never raised."""

import io
import json
import pathlib
import socket
import sys
from collections.abc import Iterator

import gevent.event
import pytest

from ctid.client.actions import Actions, load_handlers
from ctid.client.output import Output
from ctid.sheets.urlauto import UrlautoError, UrlautoRequest


class Recorder:
    def __init__(self) -> None:
        self.requests: list[UrlautoRequest] = []

    def __call__(self, request: UrlautoRequest) -> None:
        self.requests.append(request)
        if "fail" in request.urlauto:
            raise UrlautoError("the target answered HTTP 500")


def actions(recorder: Recorder, *, allow_exec: bool = False) -> Actions:
    handlers = {"http": recorder, "exec": recorder}
    return Actions(Output(io.StringIO()), allow_exec=allow_exec, handlers=lambda: handlers)


def test_each_scheme_goes_to_its_handler_already_substituted() -> None:
    recorder = Recorder()
    result = actions(recorder).run("  http://crm/pop?n=0612345678 ")
    assert (result.status, result.detail) == ("ok", "")
    [request] = recorder.requests
    assert request.urlauto == "http://crm/pop?n=0612345678" and request.values is None
    assert request.allow_exec is False


def test_a_command_line_is_refused_without_allow_exec() -> None:
    recorder = Recorder()
    result = actions(recorder).run("notify-send 'Zoé Martin'")
    assert (result.status, result.detail) == ("refused", "running commands needs --allow-exec")
    assert recorder.requests == []  # no handler ever saw it
    allowed = actions(recorder, allow_exec=True).run("notify-send 'Zoé Martin'")
    assert allowed.status == "ok" and recorder.requests[0].allow_exec is True


def test_failures_and_unknown_schemes_are_reported() -> None:
    recorder = Recorder()
    assert actions(recorder).run("http://crm/fail").detail == "the target answered HTTP 500"
    assert actions(recorder).run("gopher://x/").detail == "no urlauto handler for gopher"
    assert actions(recorder).run("").status == "refused"


def test_handlers_come_from_the_installed_plugins() -> None:
    assert {"http", "https", "tcp", "udp", "exec"} <= set(load_handlers())


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server
    finally:
        server.close()


def test_a_tcp_action_runs_through_the_urlauto_plugin(listener: socket.socket) -> None:
    stream = io.StringIO()
    runner = Actions(Output(stream, json_lines=True))
    port = listener.getsockname()[1]
    runner.start(f"tcp://127.0.0.1:{port}/?num=0612345678&name=Zo%C3%A9")
    listener.settimeout(5)
    peer, _ = listener.accept()
    with peer:
        peer.settimeout(5)
        received = b""
        while chunk := peer.recv(100):
            received += chunk
    assert received == b"num=0612345678&name=Zo%C3%A9"
    assert runner.wait(5)
    [record] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert record["client"] == "action" and record["status"] == "ok"


def test_exec_runs_a_program_only_when_allowed(tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "ran"
    line = f"{sys.executable} -c \"open('{marker}', 'w').close()\""
    assert Actions(Output(io.StringIO())).run(line).status == "refused"
    assert not marker.exists()
    result = Actions(Output(io.StringIO()), allow_exec=True).run(line)
    assert result.status == "ok", result.detail
    assert marker.exists()


def test_a_full_pool_drops_actions_instead_of_piling_them_up() -> None:
    stream = io.StringIO()
    gate = gevent.event.Event()

    def slow(_request: UrlautoRequest) -> None:
        gate.wait(5)

    runner = Actions(Output(stream, json_lines=True), handlers=lambda: {"http": slow})
    for _ in range(5):
        runner.start("http://crm/x")
    gate.set()
    assert runner.wait(5)
    statuses = sorted(json.loads(line)["status"] for line in stream.getvalue().splitlines())
    assert statuses == ["dropped", "ok", "ok", "ok", "ok"]
