"""The status summary: one verdict, the problems behind it, and the numbers an operator watches
(AMI link, CTI clients and users, live calls and channels, plugins, directory sources), the
same through `Daemon.status()` and the info console's `show_infos`."""

import pathlib
import socket
from collections.abc import Mapping
from typing import Any

import pytest

from ctid.api import ActionResult, hash_password, hookimpl
from ctid.status import summarize
from ctid.testing import make_daemon, wait_until
from ctid.testing.cticlient import CtiTestClient
from ctid_csv.plugin import CsvPlugin
from ctid_cti.plugin import CtiPlugin
from ctid_info.plugin import InfoPlugin

pytestmark = pytest.mark.timeout(30)

PASSWORD = "status-pw"
HASH = hash_password(PASSWORD, n=2**4)


class Asterisk:
    def send_action(self, action: str, fields: Mapping[str, Any], timeout: float) -> ActionResult:
        return ActionResult("Success", {})


class Flaky:
    """A plugin that raises in a notification: degraded, not failed."""

    @hookimpl
    def ctid_ami_event_received(self) -> None:
        raise RuntimeError("flaky plugin")


class Unreachable:
    """A directory type whose sources cannot start (their server is gone)."""

    @hookimpl
    def ctid_register_directory_backends(self) -> dict[str, Any]:
        def factory(spec: Any) -> Any:
            raise ConnectionError("crm.example.com: connection refused")

        return {"unreachable": factory}


def user(login: str, number: str) -> dict[str, Any]:
    line = {"context": "default", "number": number, "interface": f"PJSIP/{number}"}
    return {"login": login, "password": HASH, "lines": [line]}


def config(tmp_path: pathlib.Path) -> dict[str, Any]:
    book = tmp_path / "book.csv"
    book.write_text("name,phone\nZoé,0612345678\n")
    source = {"type": "csv", "match_direct": ["name"], "fields": {"fullname": "name"}}
    return {
        "users": [user("alice", "1001"), user("bob", "1002")],
        "profiles": {"default": {"max_sessions": 2}},
        "directories": {
            "book": {**source, "path": str(book)},
            "gone": {"type": "unreachable", "match_direct": ["name"]},
        },
        "contexts": {"default": {"directories": ["book", "gone"]}},
    }


def channel(name: str, uniqueid: str) -> dict[str, str]:
    return {
        "Event": "Newchannel",
        "Channel": name,
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "1001",
        "CallerIDName": "alice",
        "Context": "default",
        "Exten": "1002",
        "Priority": "1",
        "Uniqueid": uniqueid,
        "Linkedid": "call.1",
    }


def test_the_summary_counts_clients_calls_and_names_every_problem(tmp_path: pathlib.Path) -> None:
    plugins = {"cti": CtiPlugin(), "info": InfoPlugin(), "csv": CsvPlugin(), "flaky": Flaky()}
    plugins["crm"] = Unreachable()
    with make_daemon(config(tmp_path), plugins) as daemon:
        summary = daemon.status()["summary"]
        assert summary["health"] == "degraded" and summary["ami"] == "down"
        assert summary["problems"][0] == "AMI link to xivo is down (never connected)"
        daemon.ipbx.attach(Asterisk(), "22.10.1")
        address = daemon.objects["cti"].servers["cti"].address
        clients = [CtiTestClient(address) for _ in range(3)]
        for client, login in zip(clients, ("alice", "alice", "bob"), strict=True):
            client.login(login, PASSWORD)
        daemon.ipbx.ingest(channel("PJSIP/1001-00000001", "u.1"))
        daemon.ipbx.ingest(channel("PJSIP/1002-00000002", "u.2"))
        status = daemon.status()
        summary = status["summary"]
        assert set(summary) == {
            "health",
            "problems",
            "ami",
            "clients",
            "users",
            "calls",
            "channels",
            "plugins",
            "directories",
        }
        assert (summary["ami"], summary["clients"], summary["users"]) == ("up", 3, 2)
        assert (summary["calls"], summary["channels"]) == (1, 2)
        assert summary["plugins"] == {"running": 7, "degraded": ["flaky"], "failed": []}
        assert summary["directories"] == {"book": "up", "gone": "failed"}
        assert summary["health"] == "degraded"
        assert summary["problems"] == [
            "plugin flaky raised 2 time(s), last: "
            "ctid_ami_event_received: RuntimeError: flaky plugin",
            "directory gone is failed: cannot start: ConnectionError: "
            "crm.example.com: connection refused",
        ]
        assert status["ipbx"]["calls"] == 1 and status["plugins"]["cti"]["clients"] == 3

        with socket.create_connection(daemon.objects["info"].server.address, timeout=5) as sock:
            sock.sendall(b"show_infos\n")
            data = b""
            while b"XIVO-INFO:OK" not in data:
                data += sock.recv(65536)
        lines = data.decode().splitlines()
        assert lines[1].startswith(
            "summary: health=degraded ami=up clients=3 users=2 calls=1 channels=2 "
            'directories={"book": "up", "gone": "failed"} plugins_running=7 '
            'plugins_degraded=["flaky"] plugins_failed=[]'
        )
        assert lines[2].startswith("problem: plugin flaky raised 2 time(s)")
        for client in clients:
            client.close()
        wait_until(lambda: daemon.status()["summary"]["clients"] == 0)


def test_a_healthy_site_says_ok() -> None:
    ipbx = {"id": "xivo", "link": "up", "detail": "", "calls": 0, "channels": 0}
    plugins = {
        "cti": {"state": "loaded", "clients": 2, "users": 1},
        "other": {"state": "loaded", "clients": True},  # not a count: ignored
        "directories": {"state": "loaded", "directories": {"corp": {"state": "up"}}},
    }
    assert summarize(ipbx, plugins) == {
        "health": "ok",
        "problems": [],
        "ami": "up",
        "clients": 2,
        "users": 1,
        "calls": 0,
        "channels": 0,
        "plugins": {"running": 3, "degraded": [], "failed": []},
        "directories": {"corp": "up"},
    }
