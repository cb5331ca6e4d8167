"""urlauto handlers against loopback servers: each receives exactly the substituted, encoded
string; a command runs as one process with literal arguments and no shell; server actions of a
sheet run bounded and fail open."""

import json
import pathlib
import shlex
import sys
from collections.abc import Iterator
from typing import Any

import gevent
import gevent.event
import gevent.server
import pytest

from ctid.api import UrlautoError, UrlautoRequest
from ctid.testing import make_daemon, wait_until
from ctid.testing.sheets import SheetCatcher, call_event
from ctid_urlauto import process, sockets
from ctid_urlauto.plugin import UrlautoPlugin
from ctid_urlauto.web import web_handler
from ctid_xivovars.plugin import XivoVarsPlugin

HOSTILE = 'Zoé "VIP" & co/../?x=1#f'
ENCODED = "Zo%C3%A9%20%22VIP%22%20%26%20co%2F..%2F%3Fx%3D1%23f"
VALUES = {"xivo-calleridname": HOSTILE, "xivo-calleridnum": "0612345678"}


class HttpServer:
    """Records each request's head and body; answers `status`, or waits for `release`."""

    def __init__(self, status: str = "200 OK") -> None:
        self.status = status
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.release = gevent.event.Event()
        self.release.set()
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _handle(self, sock: Any, _address: Any) -> None:
        reader = sock.makefile("rb")
        line = reader.readline().decode("latin-1").rstrip("\r\n")
        headers = {}
        while header := reader.readline().decode("latin-1").rstrip("\r\n"):
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0")))
        self.requests.append((line, headers, body))
        self.release.wait()
        answer = f"HTTP/1.1 {self.status}\r\nLocation: http://elsewhere/\r\nContent-Length: 2\r\n"
        sock.sendall(f"{answer}Connection: close\r\n\r\nok".encode())
        sock.close()


class TcpServer:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    def _handle(self, sock: Any, _address: Any) -> None:
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
        self.received.append(b"".join(chunks))


class UdpServer:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.server = gevent.server.DatagramServer(
            ("127.0.0.1", 0), lambda data, _peer: self.received.append(data)
        )
        self.server.start()


@pytest.fixture
def http() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.release.set()
    server.server.stop()


def test_http_get_and_post_carry_the_encoded_values(http: HttpServer) -> None:
    handler = web_handler("ctid-test")
    template = http.base + "/calls/{xivo-calleridnum}?name={xivo-calleridname}&n={xivo-calleridnum}"
    handler(UrlautoRequest(template, values=VALUES))
    handler(UrlautoRequest(template, values=VALUES, method="POST"))
    (get, get_headers, _), (post, post_headers, body) = http.requests
    assert get == f"GET /calls/0612345678?name={ENCODED}&n=0612345678 HTTP/1.1"
    assert get_headers["user-agent"] == "ctid-test"
    assert post == "POST /calls/0612345678 HTTP/1.1"
    assert post_headers["content-type"] == "application/x-www-form-urlencoded"
    assert body == f"name={ENCODED}&n=0612345678".encode()


def test_http_errors_and_redirects_are_failures_not_followed() -> None:
    moved = HttpServer("302 Found")
    try:
        with pytest.raises(UrlautoError, match="302"):
            web_handler("t")(UrlautoRequest(moved.base + "/", values={}))
        assert len(moved.requests) == 1
    finally:
        moved.server.stop()
    with pytest.raises(UrlautoError):
        web_handler("t")(UrlautoRequest("http://127.0.0.1:1/", values={}, timeout=1))


def test_tcp_sends_the_query_string_then_closes() -> None:
    server = TcpServer()
    try:
        port = server.server.server_port
        template = f"tcp://127.0.0.1:{port}/?name={{xivo-calleridname}}&num={{xivo-calleridnum}}"
        sockets.tcp(UrlautoRequest(template, values=VALUES))
        wait_until(lambda: server.received)
    finally:
        server.server.stop()
    assert server.received == [f"name={ENCODED}&num=0612345678".encode()]


def test_udp_sends_one_datagram() -> None:
    server = UdpServer()
    try:
        template = f"udp://127.0.0.1:{server.server.server_port}?n={{xivo-calleridname}}"
        sockets.udp(UrlautoRequest(template, values=VALUES))
        wait_until(lambda: server.received)
    finally:
        server.server.stop()
    assert server.received == [f"n={ENCODED}".encode()]


SCRIPT = "import json, sys\nwith open(sys.argv[1], 'w') as f:\n    json.dump(sys.argv[2:], f)\n"


def command(tmp_path: pathlib.Path, arguments: str) -> tuple[str, pathlib.Path]:
    script = tmp_path / "record.py"
    script.write_text(SCRIPT)
    out = tmp_path / "argv.json"
    words = [sys.executable, str(script), str(out)]
    return " ".join(shlex.quote(word) for word in words) + " " + arguments, out


def test_exec_runs_one_process_with_literal_arguments(tmp_path: pathlib.Path) -> None:
    pwned = tmp_path / "pwned"
    name = f"x; touch {pwned} $(id)"
    template, out = command(tmp_path, "{xivo-calleridname} --num={xivo-calleridnum} 'a b'")
    values = {"xivo-calleridname": name, "xivo-calleridnum": "`id`"}
    process.run(UrlautoRequest(template, values=values, allow_exec=True))
    assert json.loads(out.read_text()) == [name, "--num=`id`", "a b"]
    assert not pwned.exists()


def test_exec_is_refused_unless_allowed_and_killed_past_its_timeout(tmp_path: pathlib.Path) -> None:
    with pytest.raises(UrlautoError, match="allow_exec"):
        process.run(UrlautoRequest("/bin/true", values={}))
    sleeper = f"{shlex.quote(sys.executable)} -c 'import time; time.sleep(30)'"
    started = gevent.get_hub().loop.now()
    with pytest.raises(UrlautoError, match="killed"):
        process.run(UrlautoRequest(sleeper, values={}, allow_exec=True, timeout=0.2))
    assert gevent.get_hub().loop.now() - started < 5
    with pytest.raises(UrlautoError, match="status 1"):
        process.run(UrlautoRequest("/bin/false", values={}, allow_exec=True))


def test_a_sheets_server_actions_run_with_the_sheets_values(
    http: HttpServer, tmp_path: pathlib.Path
) -> None:
    tcp, udp, catcher = TcpServer(), UdpServer(), SheetCatcher()
    template, out = command(tmp_path, "{xivo-calleridname}")
    actions = [
        {"urlauto": http.base + "/pop?name={xivo-calleridname}"},
        {"urlauto": f"tcp://127.0.0.1:{tcp.server.server_port}/?name={{xivo-calleridname}}"},
        {"urlauto": f"udp://127.0.0.1:{udp.server.server_port}/?name={{xivo-calleridname}}"},
        {"urlauto": template, "allow_exec": True},
        {"urlauto": "http://127.0.0.1:1/refused", "timeout": "1s"},  # fails open
    ]
    config = {
        "sheets": {
            "events": {"dial": ["pop"]},
            "definitions": {"pop": {"conditions": {"whom": "all"}, "server_actions": actions}},
        }
    }
    try:
        plugins = {"urlauto": UrlautoPlugin(), "xivovars": XivoVarsPlugin(), "catch": catcher}
        with make_daemon(config, plugins) as daemon:
            daemon.hooks.notify(
                "ctid_call_event_emitted", event=call_event("dial", caller_name=HOSTILE)
            )
            catcher.wait_for(1)
            daemon.sheets.join()
            status = dict(daemon.hooks.gather("ctid_report_status"))["sheets"]
    finally:
        tcp.server.stop()
        udp.server.stop()
    assert [request[0] for request in http.requests] == [f"GET /pop?name={ENCODED} HTTP/1.1"]
    assert tcp.received == [f"name={ENCODED}".encode()]
    assert udp.received == [f"name={ENCODED}".encode()]
    assert json.loads(out.read_text()) == [HOSTILE]
    assert status["server_actions"] == {"running": 0, "done": 4, "failed": 1, "dropped": 0}


def test_server_actions_past_the_limit_are_dropped(http: HttpServer) -> None:
    catcher = SheetCatcher()
    http.release.clear()  # the first request hangs until released
    config = {
        "sheets": {
            "limits": {"server_actions": 1},
            "events": {"dial": ["pop"]},
            "definitions": {
                "pop": {
                    "conditions": {"whom": "all"},
                    "server_actions": [{"urlauto": http.base + "/x", "timeout": "5s"}],
                }
            },
        }
    }
    with make_daemon(config, {"urlauto": UrlautoPlugin(), "catch": catcher}) as daemon:
        daemon.hooks.notify("ctid_call_event_emitted", event=call_event("dial", channel="A-1"))
        wait_until(lambda: http.requests)
        daemon.hooks.notify("ctid_call_event_emitted", event=call_event("dial", channel="B-1"))
        catcher.wait_for(2)  # the sheet itself is never held by its actions
        http.release.set()
        daemon.sheets.join()
        status = dict(daemon.hooks.gather("ctid_report_status"))["sheets"]["server_actions"]
    assert (status["done"], status["dropped"]) == (1, 1)
    assert len(http.requests) == 1
