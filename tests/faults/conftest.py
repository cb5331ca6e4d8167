"""The fault-injection harness: a whole ctid on loopback in front of the fake Asterisk (AMI,
CTI, FastAGI and the sheet variable plugins), logged-in CTI clients, and calls placed the way
Asterisk 22 announces them. Each test breaks one thing and checks that the others are still
served, lose nothing, and that ctid heals by itself once the fault is gone."""

import contextlib
import pathlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from ctid.api import hash_password, hookimpl
from ctid.daemon import Daemon
from ctid.testing import make_daemon, wait_until
from ctid.testing.amiscript import SimChannel
from ctid.testing.cticlient import CtiTestClient
from ctid.testing.fagiclient import FakeAgiClient
from ctid.testing.fakeami import FakeAmi
from ctid_ami.plugin import AmiPlugin
from ctid_cti.plugin import CtiPlugin
from ctid_dbvars.plugin import DbVarsPlugin
from ctid_fagi.plugin import FagiPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
PASSWORD = "secret"
# A cheap scrypt cost: verification reads the cost from the hash itself.
HASH = hash_password(PASSWORD, n=2**10)
CALLER = "0612345678"
ROUND_TRIP = 0.5
"""The slowest keepalive round trip a bystander may see while a fault is on (loopback: ~1 ms)."""

AMI_OPTIONS = {
    "backoff_min": "50ms",
    "backoff_max": "200ms",
    "connect_timeout": "500ms",
    "action_timeout": "1s",
    "ping_interval": "10s",
    "ping_timeout": "500ms",
}
SHEETS = {
    "variables_deadline": "600ms",
    "events": {"dial": ["ringing"]},
    "definitions": {
        "ringing": {
            "conditions": {"whom": "dest"},
            "sheet_info": [
                ["Number", "phone", "", "{xivo-calleridnum}"],
                ["Name", "text", "unknown", "{db-fullname}"],
            ],
        }
    },
}


class LinkWatcher:
    """Every AMI link state the daemon announced, in order."""

    def __init__(self) -> None:
        self.states: list[str] = []

    @hookimpl
    def ctid_ami_link_changed(self, state: str) -> None:
        self.states.append(state)


def user(login: str, number: str) -> dict[str, Any]:
    """A `users:` entry with one PJSIP line in `default`."""
    line = {"context": "default", "number": number, "interface": f"PJSIP/{number}"}
    return {"login": login, "password": HASH, "lines": [line]}


class Site:
    """One daemon with the bundled plugins against `fake`; clients closed at the end."""

    def __init__(self, stack: contextlib.ExitStack, fake: FakeAmi) -> None:
        self.stack = stack
        self.fake = fake
        self.config: dict[str, Any] = {}
        self.daemon: Daemon | None = None
        self.links = LinkWatcher()

    def start(
        self,
        *,
        users: tuple[tuple[str, str], ...] = (("alice", "1001"), ("bob", "1002")),
        plugins: Mapping[str, Any] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        **sections: Any,
    ) -> Daemon:
        """Start the daemon and wait for the AMI link and its first resync."""
        options = dict(options or {})
        ami = {"host": "127.0.0.1", "port": self.fake.port, "username": "ctid"}
        self.config = {
            "ipbx": {"ami": {**ami, "secret": "ctidpass"}},
            "users": [user(login, number) for login, number in users],
            "profiles": {"default": {"sheet_serial": "json"}},
            "sheets": SHEETS,
            **sections,
            "plugins": {
                "ami": {**AMI_OPTIONS, **options.pop("ami", {})},
                "cti": {"failure_delay": 0, "features_at_login": False, **options.pop("cti", {})},
                "fagi": {"deadline": "1s", **options.pop("fagi", {})},
                "dbvars": {"deadline": "400ms", **options.pop("dbvars", {})},
                **options,
            },
        }
        everything = {
            "ami": AmiPlugin(),
            "cti": CtiPlugin(),
            "fagi": FagiPlugin(),
            "xivovars": XivoVarsPlugin(),
            "dbvars": DbVarsPlugin(),
            "links": self.links,
            **(plugins or {}),
        }
        daemon = self.daemon = self.stack.enter_context(make_daemon(self.config, everything))
        wait_until(lambda: daemon.ipbx.connected, message="AMI link up")
        self.fake.wait_for_action("ExtensionStateList")
        return daemon

    @property
    def running(self) -> Daemon:
        assert self.daemon is not None, "start() first"
        return self.daemon

    @property
    def cti_address(self) -> tuple[str, int]:
        return self.running.objects["cti"].servers["cti"].address  # type: ignore[no-any-return]

    @property
    def fagi_address(self) -> tuple[str, int]:
        return self.running.objects["fagi"].server.address  # type: ignore[no-any-return]

    def client(self, login: str | None = None, **kwargs: Any) -> CtiTestClient:
        """A CTI client, logged in when `login` is given."""
        client = CtiTestClient(self.cti_address, **kwargs)
        self.stack.callback(client.close)
        if login is not None:
            client.login(login, PASSWORD)
        return client

    def call(self, callee: str = "1001", caller_num: str = CALLER) -> tuple[SimChannel, SimChannel]:
        """An outside caller dials a line: both channels, then DialBegin (a `dial` event)."""
        caller = self.fake.add_channel(
            "PJSIP/trunk", state=4, caller_num=caller_num, context="default", exten=callee
        )
        ringing = self.fake.add_channel(
            f"PJSIP/{callee}",
            state=5,
            linkedid=caller.uniqueid,
            caller_num=callee,
            connected_num=caller_num,
            context="default",
            exten=callee,
        )
        dest = [(f"Dest{key}", value) for key, value in ringing.snapshot()]
        self.fake.emit("DialBegin", [*caller.snapshot(), *dest, ("DialString", callee)])
        return caller, ringing

    def hang_up(self, *channels: SimChannel) -> None:
        for channel in channels:
            self.fake.hangup_channel(channel.uniqueid)

    def agi(self, script: str = "callerid_forphones", **fields: Any) -> FakeAgiClient:
        """A FastAGI request as Asterisk sends it for an outside caller."""
        fields.setdefault("callerid", CALLER)
        fields.setdefault("calleridname", CALLER)
        return FakeAgiClient(self.fagi_address, script=script, timeout=5, **fields)


def dial(client: CtiTestClient, number: str = "1002") -> dict[str, Any]:
    """An `ipbxcommand dial` from the client's own line: its answer."""
    command = {"class": "ipbxcommand", "command": "dial", "destination": f"exten:xivo/{number}"}
    return client.request(command, timeout=5)


def round_trip(client: CtiTestClient) -> float:
    """Seconds for one keepalive and its answer."""
    started = time.monotonic()
    assert client.request({"class": "keepalive"}, timeout=5)["class"] == "keepalive"
    return time.monotonic() - started


def channel_pushed(function: str, name: str) -> Any:
    """A predicate: a `channels` list push (`addconfig`/`delconfig`) naming `name`."""

    def match(message: dict[str, Any]) -> bool:
        return (
            message.get("class") == "getlist"
            and message.get("listname") == "channels"
            and message.get("function") == function
            and name in message.get("list", ())
        )

    return match


def sheet_for(channel: str) -> Any:
    """A predicate: the sheet popped for a call on `channel`."""
    return lambda m: m.get("class") == "sheet" and m.get("channel") == channel


def sheet_lines(message: dict[str, Any]) -> dict[str, str]:
    """A JSON sheet's lines, by title."""
    return {line["name"]: line["value"] for line in message["payload"]["sheet_info"]}


@pytest.fixture
def site(fake: FakeAmi) -> Iterator[Site]:
    with contextlib.ExitStack() as stack:
        yield Site(stack, fake)
