"""A harness for the CTI plugin's tests: a daemon with users and profiles on loopback, a
recording AMI transport in place of Asterisk, and CTI test clients closed at the end."""

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from ctid.api import ActionResult, IpbxUnavailable, hash_password
from ctid.testing import make_daemon
from ctid.testing.cticlient import CtiTestClient
from ctid_cti.plugin import CtiPlugin

PASSWORD = "secret"
# A cheap scrypt cost for tests; verification reads the cost from the hash itself.
HASH = hash_password(PASSWORD, n=2**10)


def user(
    login: str,
    context: str = "default",
    number: str = "1001",
    *,
    lines: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A `users:` entry with one PJSIP line (or none)."""
    line = {"context": context, "number": number, "interface": f"PJSIP/{number}"}
    return {"login": login, "password": HASH, "lines": [line] if lines else [], **extra}


class Recorder:
    """An AMI transport that records actions and answers Success (or what a test scripts)."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, Any]]] = []
        self.answers: dict[str, ActionResult] = {}
        self.down = False

    def send_action(self, action: str, fields: Mapping[str, Any], timeout: float) -> ActionResult:
        if self.down:
            raise IpbxUnavailable("scripted: no AMI link")
        self.actions.append((action, dict(fields)))
        default = ActionResult("Error", {"Message": "Database entry not found"})
        if action != "DBGet":
            default = ActionResult("Success", {"Message": f"{action} done"})
        return self.answers.get(action, default)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [fields for action, fields in self.actions if action == name]


class Harness:
    """Starts one daemon with the CTI plugin; hands out logged-in clients."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.recorder = Recorder()
        self.daemon: Any = None
        self.config: dict[str, Any] = {}

    def start(
        self,
        users: Sequence[Mapping[str, Any]] = (),
        *,
        profiles: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        plugins: Mapping[str, Any] | None = None,
        attach: bool = True,
        **sections: Any,
    ) -> Any:
        self.config = {
            "users": list(users),
            "profiles": dict(profiles or {"default": {}}),
            # push_interval 0: each change is pushed as it happens, so tests can assert on the
            # exact sequence (test_status covers the merging of the shipped interval).
            "plugins": {
                "cti": {
                    "failure_delay": 0,
                    "features_at_login": False,
                    "push_interval": 0,
                    **(options or {}),
                }
            },
            **sections,
        }
        everything = {"cti": CtiPlugin(), **(plugins or {})}
        self.daemon = self.stack.enter_context(make_daemon(self.config, everything))
        if attach:
            self.daemon.ipbx.attach(self.recorder, "11.0.0")
        return self.daemon

    @property
    def plugin(self) -> CtiPlugin:
        return self.daemon.objects["cti"]

    @property
    def address(self) -> tuple[str, int]:
        return self.plugin.servers["cti"].address

    def client(self, login: str | None = None, password: str = PASSWORD, **kw: Any) -> Any:
        address = kw.pop("address", None) or self.address
        client = CtiTestClient(address, tls=kw.pop("tls", None), source=kw.pop("source", None))
        self.stack.callback(client.close)
        if login is not None:
            client.login(login, password, **kw)
        return client

    def ingest(self, event: str, **fields: str) -> None:
        """Feed one AMI event as the AMI plugin would."""
        self.daemon.ipbx.ingest({"Event": event, **fields})


@pytest.fixture
def cti() -> Iterator[Harness]:
    harness = Harness()
    with harness.stack:
        yield harness


@pytest.fixture
def make_user() -> Any:
    return user


@pytest.fixture
def password_hash() -> str:
    return HASH


def snapshot(name: str, uniqueid: str, context: str = "default", **extra: str) -> dict[str, str]:
    """The channel snapshot fields of an AMI event (Asterisk 12+ names)."""
    return {
        "Channel": name,
        "ChannelState": "6",
        "ChannelStateDesc": extra.pop("state", "Up"),
        "CallerIDNum": extra.pop("caller_num", "<unknown>"),
        "CallerIDName": "<unknown>",
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Context": context,
        "Exten": extra.pop("exten", "s"),
        "Priority": "1",
        "Uniqueid": uniqueid,
        "Linkedid": extra.pop("linkedid", uniqueid),
        **extra,
    }


@pytest.fixture
def channel_fields() -> Any:
    return snapshot
