"""Shared pieces of the security review's tests: an in-process daemon with the CTI plugin in
front of a recording AMI transport, logged-in test clients, certificates, and `ctid run` as a
real process whose every output line is kept."""

import contextlib
import pathlib
import subprocess
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from ctid.api import ActionResult, IpbxUnavailable, hash_password
from ctid.testing import make_daemon, wait_until
from ctid.testing.certs import CertificateError, self_signed
from ctid.testing.cticlient import CtiTestClient
from ctid.testing.daemon import ctid_command
from ctid.testing.ports import free_port
from ctid_cti.plugin import CtiPlugin

PASSWORD = "correct-horse-battery"
# A cheap scrypt cost for tests: verification reads the cost from the hash itself.
HASH = hash_password(PASSWORD, n=2**10)
ROOT = pathlib.Path(__file__).resolve().parents[2]


def user(
    login: str, context: str = "default", number: str = "1001", **extra: Any
) -> dict[str, Any]:
    """A `users:` entry with one PJSIP line in `context`."""
    line = {"context": context, "number": number, "interface": f"PJSIP/{login}-{number}"}
    return {"login": login, "password": HASH, "lines": [line], **extra}


class Recorder:
    """An AMI transport that records every action and answers Success."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, Any]]] = []

    def send_action(self, action: str, fields: Mapping[str, Any], timeout: float) -> ActionResult:
        self.actions.append((action, dict(fields)))
        if action == "DBGet":
            return ActionResult("Error", {"Message": "Database entry not found"})
        if action == "Command":
            return ActionResult("Success", {}, output=[f"ran {fields['Command']}"])
        return ActionResult("Success", {"Message": f"{action} done"})


class Down:
    """An AMI transport with no link."""

    def send_action(self, action: str, fields: Mapping[str, Any], timeout: float) -> ActionResult:
        raise IpbxUnavailable("no link")


class Site:
    """One in-process daemon with the CTI plugin (and others); clients closed at the end."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.recorder = Recorder()
        self.daemon: Any = None
        self.config: dict[str, Any] = {}

    def start(
        self,
        users: Sequence[Mapping[str, Any]] = (),
        *,
        cti: Mapping[str, Any] | None = None,
        plugins: Mapping[str, Any] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        **sections: Any,
    ) -> Any:
        """Start with `users`, the CTI plugin's `cti` options, other `plugins` (objects) and
        their `options`, and any other config section."""
        self.config = {
            "users": list(users),
            "profiles": {"default": {}},
            **sections,
        }
        self.config["plugins"] = {name: dict(section) for name, section in (options or {}).items()}
        self.config["plugins"]["cti"] = {
            "failure_delay": 0,
            "features_at_login": False,
            **(cti or {}),
        }
        everything = {"cti": CtiPlugin(), **(plugins or {})}
        self.daemon = self.stack.enter_context(make_daemon(self.config, everything))
        self.daemon.ipbx.attach(self.recorder, "22.0.0")
        return self.daemon

    @property
    def plugin(self) -> CtiPlugin:
        return self.daemon.objects["cti"]

    def address(self, listener: str = "cti") -> tuple[str, int]:
        return self.plugin.servers[listener].address

    def client(self, login: str | None = None, password: str = PASSWORD, **kw: Any) -> Any:
        client = CtiTestClient(
            kw.pop("address", None) or self.address(),
            tls=kw.pop("tls", None),
            source=kw.pop("source", None),
        )
        self.stack.callback(client.close)
        if login is not None:
            client.login(login, password, **kw)
        return client

    def ingest(self, event: str, **fields: str) -> None:
        self.daemon.ipbx.ingest({"Event": event, **fields})


@pytest.fixture
def site() -> Iterator[Site]:
    with contextlib.ExitStack() as stack:
        yield Site(stack)


@pytest.fixture
def pair(tmp_path: pathlib.Path) -> tuple[str, str]:
    """A self-signed certificate and key in tmp_path/tls."""
    try:
        return self_signed(tmp_path / "tls")
    except CertificateError as exc:
        pytest.skip(f"no way to make a test certificate here: {exc}")


class Running:
    """`ctid run` in its own process, logging to a file; stdout and stderr go to another."""

    def __init__(self, config_dir: pathlib.Path, folder: pathlib.Path) -> None:
        self.log_path = folder / "ctid.log"
        self.output_path = folder / "ctid.out"
        (config_dir / "90-log.yml").write_text(f"logging: {{file: {self.log_path}}}\n")
        self._output = self.output_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ctid", "run", "-c", str(config_dir), "--foreground"],
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def output(self) -> str:
        return self.output_path.read_text()

    def wait_log(self, text: str, timeout: float = 20.0) -> str:
        wait_until(
            lambda: text in self.log() or self.process.poll() is not None,
            timeout=timeout,
            message=f"{text!r} in the log",
        )
        assert text in self.log(), f"ctid exited ({self.process.returncode}): {self.output()}"
        return self.log()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=5)
        self._output.close()
        return code


@pytest.fixture
def running() -> Iterator[Any]:
    """`running(config_dir, folder)` starts `ctid run`; every process is stopped at the end."""
    started: list[Running] = []

    def start(config_dir: pathlib.Path, folder: pathlib.Path) -> Running:
        started.append(Running(config_dir, folder))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def kit() -> Any:
    """The helpers above, for test modules (conftest is not importable as a module)."""
    return types.SimpleNamespace(
        password=PASSWORD,
        hash=HASH,
        user=user,
        free_port=free_port,
        ctid=ctid_command,
        root=ROOT,
        down=Down,
    )
