"""The announce port (UDP, unauthenticated): only datagrams from its allowed sources (loopback by
default) count, oversized ones are dropped, and a flood costs Asterisk one refresh."""

import socket
from typing import Any

import pytest
import voluptuous as vol

from ctid.api import Ctid, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid_announce.plugin import AnnouncePlugin

pytestmark = pytest.mark.timeout(30)


class Owner:
    """Stands for the AMI client: counts the refreshes asked of it."""

    def __init__(self) -> None:
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        ctid.ipbx.own(self)


def send(
    address: tuple[str, int], payload: bytes, *, source: str = "127.0.0.1", count: int = 1
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        for _ in range(count):
            sock.sendto(payload, address)


def test_only_loopback_is_allowed_by_default() -> None:
    schema = vol.Schema(AnnouncePlugin.config_schema)
    assert schema({})["allowed_sources"] == ["127.0.0.1", "::1"]


def test_other_sources_and_oversized_datagrams_are_dropped(caplog: Any) -> None:
    owner = Owner()
    config = {"plugins": {"announce": {"delay": "20ms"}}}
    with make_daemon(config, {"owner": owner, "announce": AnnouncePlugin()}) as daemon:
        plugin = daemon.objects["announce"]
        address = plugin.server.address[:2]
        send(address, b"asterisk-1.4", source="127.0.0.2", count=3)
        send(address, b"x" * 4096)  # from an allowed source, but no notice is that long
        wait_until(lambda: plugin.announcer.dropped == 4, message="four drops")
        send(address, b"asterisk-1.4")
        wait_until(lambda: owner.refreshes == 1, message="the allowed notice's refresh")
        assert plugin.announcer.received == 1
        assert daemon.status()["plugins"]["announce"]["dropped"] == 4
    assert "dropped a datagram from 127.0.0.2" in caplog.text


def test_a_flood_of_allowed_notices_costs_one_refresh() -> None:
    owner = Owner()
    config = {"plugins": {"announce": {"delay": "200ms"}}}
    with make_daemon(config, {"owner": owner, "announce": AnnouncePlugin()}) as daemon:
        plugin = daemon.objects["announce"]
        send(plugin.server.address[:2], b"asterisk-1.4", count=200)
        wait_until(lambda: plugin.announcer.received == 200, message="the flood read")
        wait_until(lambda: owner.refreshes == 1, message="one refresh")
        assert plugin.announcer._pending.dead  # none other is scheduled
        assert owner.refreshes == 1
