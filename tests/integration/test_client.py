"""`ctid-client` against a real daemon in this process (AMI plugin on the fake Asterisk, CTI
plugin, variable providers): it logs in, shows the sheets of the replayed DID capture with the
directory's answer, prints JSON lines for scripts, sends `dial` down to the fake Asterisk as an
Originate, says clearly why it cannot connect or log in, and the console script stops cleanly
on SIGINT."""

import contextlib
import io
import json
import os
import pathlib
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import gevent
import pytest

from ctid.api import hash_password, hookimpl
from ctid.client import cli
from ctid.testing import make_daemon, wait_until
from ctid.testing.certs import CertificateError, self_signed
from ctid.testing.fakeami import FakeAmi
from ctid_ami.plugin import AmiPlugin
from ctid_cti.plugin import CtiPlugin
from ctid_dbvars.plugin import DbVarsPlugin
from ctid_dpvars.plugin import DpVarsPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

PASSWORD = "correct horse"
HASH = hash_password(PASSWORD, n=2**10)  # cheap for tests; the cost is read from the hash
SHEETS = {
    "events": {"incomingdid": ["incoming_call"], "dial": ["ringing"]},
    "definitions": {
        "incoming_call": {
            "conditions": {"whom": "all", "contexts": ["default"]},
            "sheet_info": [
                ["", "title", "Incoming call", "Incoming call on {xivo-did}"],
                ["Caller", "text", "Unknown caller", "{dbr-display}"],
                ["Number", "phone", "", "{xivo-calleridnum}"],
            ],
            "systray_info": [["", "title", "", "Call from {dbr-display}"]],
        },
        "ringing": {
            "conditions": {"whom": "dest"},
            "sheet_info": [["", "title", "Call", "Call for {xivo-calledidname}"]],
        },
    },
}


class Directory:
    """Answers the reverse lookup of the DID capture's caller."""

    @hookimpl
    def ctid_reverse_lookup(self, number: str, context: str) -> dict[str, str] | None:
        if number != "0612345678":
            return None
        return {"db-fullname": "Zoé Martin", "dbr-display": "Zoé Martin (ACME)"}


class Site:
    """A daemon on the fake Asterisk with alice (line 1001, the DID capture's phone)."""

    def __init__(self, fake: FakeAmi, daemon: Any) -> None:
        self.fake = fake
        self.daemon = daemon

    def address(self, listener: str = "cti") -> tuple[str, int]:
        host, port = self.daemon.objects["cti"].servers[listener].address
        return host, port


def config(fake: FakeAmi, **extra: Any) -> dict[str, Any]:
    line = {"context": "default", "number": "1001", "interface": "PJSIP/1001"}
    return {
        "ipbx": {"ami": {"host": "127.0.0.1", "port": fake.port, "secret": "ctidpass"}},
        "incoming_contexts": ["default"],  # where the capture's DID 2000 lives
        "users": [
            {"login": "alice", "password": HASH, "firstname": "Alice", "lines": [line]},
        ],
        "sheets": SHEETS,
        "plugins": {
            "ami": {"backoff_min": "50ms", "backoff_max": "200ms"},
            "cti": {"failure_delay": 0, "features_at_login": False},
        },
        **extra,
    }


@contextlib.contextmanager
def running(**extra: Any) -> Iterator[Site]:
    fake = FakeAmi().start()
    plugins = {
        "ami": AmiPlugin(),
        "cti": CtiPlugin(),
        "xivovars": XivoVarsPlugin(),
        "dbvars": DbVarsPlugin(),
        "dpvars": DpVarsPlugin(),
        "directory": Directory(),
    }
    try:
        with make_daemon(config(fake, **extra), plugins) as daemon:
            wait_until(lambda: daemon.ipbx.connected)
            fake.wait_for_action("ExtensionStateList")  # resync done: replays are live calls
            yield Site(fake, daemon)
    finally:
        fake.stop()


@pytest.fixture
def site() -> Iterator[Site]:
    with running() as started:
        yield started


class Client:
    """`ctid-client` run in this process: its stdin a pipe the test writes, its stdout kept."""

    def __init__(self, *args: str) -> None:
        self.stdout = io.StringIO()
        read, self._stdin = os.pipe()
        self.greenlet = gevent.spawn(cli.main, list(args), stdin_fd=read, stdout=self.stdout)
        self._read = read

    def type(self, text: str) -> None:
        os.write(self._stdin, text.encode())

    def close_input(self) -> None:
        os.close(self._stdin)

    def lines(self) -> list[str]:
        return self.stdout.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]

    def wait_for(self, found: Callable[[], Any], what: str) -> Any:
        return wait_until(found, 5, what)

    def status(self) -> int:
        status = int(self.greenlet.get(timeout=5))
        os.close(self._read)
        return status


def arguments(site: Site, *extra: str) -> list[str]:
    port = site.address()[1]
    return ["--port", str(port), "--login", "alice", "--password-stdin", *extra]


def test_the_client_shows_the_did_sheets_with_the_directory_answer(
    site: Site, data_dir: pathlib.Path
) -> None:
    client = Client(*arguments(site))
    client.type(PASSWORD + "\n")
    client.wait_for(lambda: any("logged in as alice" in line for line in client.lines()), "login")
    site.fake.replay(data_dir / "ami" / "did_agi_ami.txt")
    client.wait_for(lambda: any("Call for Alice" in line for line in client.lines()), "dial pop")
    text = "\n".join(client.lines())
    assert "== Incoming call on 2000 ==  [incomingdid]" in text
    assert "   Caller  Zoé Martin (ACME)" in text
    assert "   tray    Call from Zoé Martin (ACME)" in text
    assert PASSWORD not in text
    client.type("quit\n")
    assert client.status() == 0


def test_json_lines_and_dial_through_the_fake_asterisk(site: Site, data_dir: pathlib.Path) -> None:
    client = Client(*arguments(site, "--json"))
    client.type(PASSWORD + "\n")
    client.wait_for(lambda: [r for r in client.records() if r.get("client") == "login"], "login")
    site.fake.replay(data_dir / "ami" / "did_agi_ami.txt")

    def sheets() -> list[dict[str, Any]]:
        return [r for r in client.records() if r.get("class") == "sheet" and "decoded" in r]

    client.wait_for(lambda: len(sheets()) >= 2, "two sheets")
    did = sheets()[0]
    assert did["serial"] == "xml" and did["compressed"] is True  # the payload as it came
    assert did["decoded"]["where"] == "incomingdid"
    assert did["decoded"]["items"][0] == {
        "name": "Caller",
        "type": "text",
        "value": "Zoé Martin (ACME)",
    }
    client.type("dial 1002\n")
    client.close_input()  # the end of input quits, once the dial has its answer
    originate = site.fake.wait_for_action("Originate")
    assert (originate.header("Channel"), originate.header("Exten")) == ("PJSIP/1001", "1002")
    assert client.status() == 0
    [result] = [r for r in client.records() if r.get("client") == "result"]
    assert (result["command"], result["ok"]) == ("dial", True)
    assert result["detail"] == "Originate successfully queued"
    assert all("client" in r or "class" in r for r in client.records())
    assert PASSWORD not in client.stdout.getvalue()


def test_a_wrong_password_and_a_closed_port_say_so(site: Site) -> None:
    client = Client(*arguments(site, "--json", "--no-input"))
    client.type("not the password\n")
    assert client.status() == 77
    [error] = [r for r in client.records() if r.get("client") == "error"]
    assert error["code"] == "login_password" and "wrong login or password" in error["error"]
    with running() as other:
        port = other.address()[1]
    refused = Client("--port", str(port), "--login", "alice", "--password-stdin", "--json")
    refused.type(PASSWORD + "\n")
    assert refused.status() == 69
    assert "connection refused" in refused.records()[-1]["error"]


@pytest.fixture
def pair(tmp_path: pathlib.Path) -> tuple[str, str]:
    try:
        return self_signed(tmp_path)
    except CertificateError as exc:
        pytest.skip(f"no way to make a test certificate here: {exc}")


def test_tls_is_verified_against_the_given_ca(pair: tuple[str, str]) -> None:
    certfile, keyfile = pair
    ctis = {"enabled": True, "certfile": certfile, "keyfile": keyfile}
    with running(listen={"ctis": ctis}) as site:
        port = str(site.address("ctis")[1])
        base = ["--tls", "--port", port, "--login", "alice", "--password-stdin", "--json"]
        unverified = Client(*base, "--no-input")
        unverified.type(PASSWORD + "\n")
        assert unverified.status() == 69
        error = unverified.records()[-1]["error"]
        assert "TLS failure" in error and "--cafile" in error
        for trust in (["--cafile", certfile], ["--insecure"]):
            client = Client(*base, *trust)
            client.type(PASSWORD + "\nquit\n")
            assert client.status() == 0
            assert [r for r in client.records() if r.get("client") == "login"]


def test_the_console_script_stops_cleanly_on_sigint(site: Site) -> None:
    port = str(site.address()[1])
    command = [sys.executable, "-m", "ctid.client", "--port", port, "--login", "alice"]
    process = subprocess.Popen(
        [*command, "--password-stdin", "--no-input", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(PASSWORD.encode() + b"\n")
        process.stdin.close()
        with gevent.Timeout(8):
            while b'"client": "login"' not in process.stdout.readline():
                pass
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_starttls_upgrades_the_cti_port_and_clear_stays_possible(pair: tuple[str, str]) -> None:
    certfile, keyfile = pair
    cti = {"starttls": "offer", "certfile": certfile, "keyfile": keyfile}
    with running(listen={"cti": cti}) as site:
        port = str(site.address()[1])
        base = ["--port", port, "--login", "alice", "--password-stdin", "--json"]
        for extra, banner in ((["--starttls", "--cafile", certfile], "STARTTLS"), ([], "clear")):
            client = Client(*base, *extra)
            client.type(PASSWORD + "\nquit\n")
            assert client.status() == 0
            [connected] = [r for r in client.records() if r.get("client") == "connected"]
            assert banner in connected["banner"]
            assert [r for r in client.records() if r.get("client") == "login"]
