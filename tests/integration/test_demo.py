"""`ctid demo` as someone trying ctid runs it: within seconds the client shows the DID call's
screen pop with the caller's name from the demo phone book; SIGINT stops everything with
status 0; `--calls N` plays the DID, internal and queue calls and ends by itself; `--no-client`
leaves the CTI port to a client of one's own."""

import io
import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import gevent
import pytest

from ctid.demo.run import DemoOptions, run
from ctid.testing import wait_until
from ctid.testing.cticlient import CtiTestClient

Record = dict[str, Any]


@pytest.fixture
def demo() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "ctid", "demo", "--json", "--cti-port", "0", *args]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def read_until(
    process: subprocess.Popen[bytes], done: Callable[[Record], bool], timeout: float
) -> list[Record]:
    """The JSON records the demo prints, up to the first one `done` accepts."""
    assert process.stdout is not None
    records: list[Record] = []
    with gevent.Timeout(timeout, AssertionError(f"nothing matched within {timeout} s")):
        while True:
            line = process.stdout.readline()
            assert line, f"the demo ended early: {records}"
            records.append(json.loads(line))
            if done(records[-1]):
                return records


def popped(name: str) -> Callable[[Record], bool]:
    def check(record: Record) -> bool:
        items = record.get("decoded", {}).get("items", [])
        return any(name in item["value"] for item in items)

    return check


def test_the_did_call_pops_with_the_phone_book_name_and_sigint_stops_it(
    demo: Callable[..., subprocess.Popen[bytes]],
) -> None:
    began = time.monotonic()
    process = demo("--calls", "3")
    records = read_until(process, popped("Zoé Durand (Boulangerie Durand)"), timeout=8)
    assert time.monotonic() - began < 8
    started = records[0]
    assert started["demo"] == "started" and started["login"] == "demo" and started["password"]
    sheet = records[-1]["decoded"]
    assert sheet["where"] == "incomingdid" and sheet["title"] == "Incoming call on 0199000100"
    assert {"name": "Company", "type": "text", "value": "Boulangerie Durand"} in sheet["items"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=5) == 0
    assert process.stdout is not None and process.stderr is not None
    rest = [json.loads(line) for line in process.stdout.read().splitlines()]
    assert rest[-1] == {"demo": "stopped", "calls": 1}
    assert "Traceback" not in process.stderr.read().decode()


def test_the_calls_play_in_turn_and_the_demo_ends_after_them(
    demo: Callable[..., subprocess.Popen[bytes]],
) -> None:
    process = demo("--calls", "3", "--speed", "20")
    records = read_until(process, lambda record: record.get("demo") == "stopped", timeout=9)
    assert process.wait(timeout=5) == 0
    assert [r["call"] for r in records if r.get("demo") == "call"] == ["did", "internal", "queue"]
    pops = [r["decoded"] for r in records if "decoded" in r]
    assert [(pop["where"], pop["title"]) for pop in pops] == [
        ("incomingdid", "Incoming call on 0199000100"),
        ("dial", "Call for Demo User"),
        ("dial", "Call for Demo User"),
        ("incomingdid", "Incoming call on 0199000200"),
        ("dial", "Call for Demo User"),
    ]
    internal = {item["name"]: item["value"] for item in pops[2]["items"]}
    assert internal["Caller name"] == "Bob Martin"
    queue = {item["name"]: item["value"] for item in pops[3]["items"]}
    assert queue["Caller"] == "Karim Benali (Transports Benali)"  # E.164 caller, national entry
    assert records[-1] == {"demo": "stopped", "calls": 3}


@pytest.fixture
def quiet_logging() -> Iterator[None]:
    """The demo configures the root logger for its terminal; give the other tests theirs back."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


class Lines(io.TextIOBase):
    """A text stream whose JSON lines a test can wait for."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[Record] = []
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        self.records += [json.loads(line) for line in lines]
        return len(text)


def test_without_its_client_the_demo_serves_ours(quiet_logging: None) -> None:
    lines = Lines()
    options = DemoOptions(calls=1, json=True, client=False, cti_port=0, speed=10)
    runner = gevent.spawn(run, options, lines)
    [started] = wait_until(lambda: [r for r in lines.records if r.get("demo") == "started"])
    host, port = started["cti"].split(":")
    client = CtiTestClient((host, int(port)))
    try:
        client.login("demo", started["password"])
        sheet = client.expect("sheet", timeout=8)
        assert sheet["serial"] == "xml" and sheet["channel"].startswith("PJSIP/operator-")
    finally:
        client.close()
    assert runner.get(timeout=10) == 0
    assert lines.records[-1] == {"demo": "stopped", "calls": 1}
