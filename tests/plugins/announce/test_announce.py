"""The announce port: allowed datagrams trigger one coalesced refresh; others are dropped."""

import socket

import gevent

from ctid.api import Ctid, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid_announce.announce import Announcer
from ctid_announce.plugin import AnnouncePlugin


class Owner:
    """Stands for the AMI client, which owns the link and is asked to refresh."""

    def __init__(self) -> None:
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        ctid.ipbx.own(self)


def send(address: tuple[str, int], payload: bytes, count: int = 1) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(count):
            sock.sendto(payload, address)


def test_a_burst_of_notices_gives_one_refresh_after_the_delay() -> None:
    owner = Owner()
    config = {"plugins": {"announce": {"delay": "100ms"}}}
    with make_daemon(config, {"owner": owner, "announce": AnnouncePlugin()}) as daemon:
        plugin = daemon.objects["announce"]
        send(plugin.server.address[:2], b"asterisk-1.4", count=5)
        wait_until(lambda: plugin.announcer.received == 5)
        assert owner.refreshes == 0  # not before the delay
        wait_until(lambda: owner.refreshes == 1)
        gevent.sleep(0.3)  # a second refresh would have come by now
        assert owner.refreshes == 1
        send(plugin.server.address[:2], b"asterisk-1.4")
        wait_until(lambda: owner.refreshes == 2)


def test_notices_from_sources_not_allowed_are_dropped() -> None:
    owner = Owner()
    config = {"plugins": {"announce": {"delay": "10ms", "allowed_sources": ["10.1.2.0/24"]}}}
    with make_daemon(config, {"owner": owner, "announce": AnnouncePlugin()}) as daemon:
        plugin = daemon.objects["announce"]
        send(plugin.server.address[:2], b"asterisk-1.4")
        wait_until(lambda: plugin.announcer.dropped == 1)
        gevent.sleep(0.1)
        assert owner.refreshes == 0
        assert daemon.status()["plugins"]["announce"]["dropped"] == 1


def test_oversized_datagrams_and_bad_sources_are_refused() -> None:
    calls: list[int] = []
    announcer = Announcer(lambda: calls.append(1), delay=0.0, allowed=["127.0.0.1"])
    assert announcer.datagram(b"x" * 513, "127.0.0.1") is False
    assert announcer.datagram(b"asterisk-1.4", "not-an-address") is False
    assert announcer.datagram(b"asterisk-1.4", "127.0.0.1") is True
    wait_until(lambda: calls == [1])


def test_without_an_ami_plugin_a_notice_is_harmless() -> None:
    config = {"plugins": {"announce": {"delay": "10ms"}}}
    with make_daemon(config, {"announce": AnnouncePlugin()}) as daemon:
        plugin = daemon.objects["announce"]
        send(plugin.server.address[:2], b"asterisk-1.4")
        wait_until(lambda: plugin.announcer.refreshes == 1)
        assert daemon.ipbx.refresh() is False
