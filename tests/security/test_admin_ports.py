"""The admin ports (FastAGI, webi, info, announce) listen on loopback unless the operator says
otherwise, the webi port answers only its allowed sources, and the info console can demand a
token, compared in constant time and never logged."""

import contextlib
import hmac
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import voluptuous as vol

from ctid.config import read_directory, read_mapping, validate
from ctid.config.schema import CORE
from ctid.daemon import Daemon, load
from ctid_announce.plugin import AnnouncePlugin
from ctid_fagi.plugin import FagiPlugin
from ctid_info.plugin import InfoPlugin
from ctid_webi.plugin import WebiPlugin
from ctid_webi.schema import SCHEMA as WEBI_SCHEMA

pytestmark = pytest.mark.timeout(30)

ADMIN = ("fagi", "webi", "info", "announce")
TOKEN = "console-token-4f2a9c"


@contextlib.contextmanager
def defaults_daemon(info: dict[str, Any] | None = None) -> Iterator[Daemon]:
    """A daemon whose config names ports only: every address is the schema's default."""
    plugins = {"fagi": FagiPlugin(), "webi": WebiPlugin(), "info": InfoPlugin()}
    plugins["announce"] = AnnouncePlugin()
    config = {
        "listen": {name: {"port": 0} for name in ADMIN},
        "plugins": {name: {"enabled": True} for name in plugins},
    }
    config["plugins"]["info"].update(info or {})
    daemon = Daemon(load(lambda: read_mapping(config), plugins), lambda: read_mapping(config))
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def test_admin_ports_default_to_loopback_and_the_shipped_config_keeps_them_there(
    kit: Any,
) -> None:
    defaults = CORE({})["listen"]
    shipped = validate(read_directory(kit.root / "config.d")).data["listen"]
    for name in ADMIN:
        assert defaults[name]["address"] == "127.0.0.1", name
        assert shipped[name]["address"] == "127.0.0.1", name
    assert vol.Schema(WEBI_SCHEMA)({})["allowed_sources"] == ["127.0.0.0/8", "::1"]


def test_admin_listeners_bind_loopback_when_no_address_is_given() -> None:
    with defaults_daemon() as daemon:
        bound = {
            "fagi": daemon.objects["fagi"].server.address,
            "webi": daemon.objects["webi"].server.address,
            "info": daemon.objects["info"].server.address,
            "announce": daemon.objects["announce"].server.address,
        }
    for name, (host, _port) in bound.items():
        assert host == "127.0.0.1", name


def ask(address: tuple[str, int], *lines: str, source: str | None = None) -> list[str]:
    """Send lines, read until the server closes or goes quiet; the lines received."""
    with socket.create_connection(
        address, timeout=5, source_address=(source, 0) if source else None
    ) as sock:
        sock.sendall("".join(f"{line}\n" for line in lines).encode())
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.decode().splitlines()


def test_webi_answers_only_its_allowed_sources(site: Any) -> None:
    with defaults_daemon() as daemon:
        answer = ask(daemon.objects["webi"].server.address, "xivo[userlist,update]")
        assert answer == ["XIVO-WEBI:OK"]
    site.start(plugins={"webi": WebiPlugin()}, options={"webi": {"allowed_sources": ["127.0.0.1"]}})
    address = site.daemon.objects["webi"].server.address
    refused = ask(address, "xivo[daemon,reload]", "core show version", source="127.0.0.2")
    assert refused == ["XIVO-CLI-WEBI:KO <NOT ALLOWED FROM 127.0.0.2>"]
    assert not [fields for action, fields in site.recorder.actions if action == "Command"]
    assert site.daemon.status()["plugins"]["webi"]["not_allowed"] == 1


def test_the_info_token_is_required_and_compared_in_constant_time(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", compare_digest)
    with defaults_daemon({"token": TOKEN}) as daemon:
        address = daemon.objects["info"].server.address
        assert ask(address, "show_users") == ["wrong or missing token", "XIVO-INFO:KO"]
        assert ask(address, "token not-the-token", "show_users") == [
            "wrong or missing token",
            "XIVO-INFO:KO",
        ]
        answer = ask(address, f"token {TOKEN}", "show_users")
        assert answer[0] == "XIVO-INFO:OK" and answer[-1] == "XIVO-INFO:OK"
    assert (TOKEN.encode(), TOKEN.encode()) in compared
    assert (b"not-the-token", TOKEN.encode()) in compared
    assert TOKEN not in caplog.text
    assert "refused: wrong or missing token" in caplog.text
