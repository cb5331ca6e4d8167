"""FastAGI scripts that raise or hang, under a running site: each call is handed back to the
dialplan at the latest at the deadline (Asterisk sees the connection close), the other requests
are answered as usual meanwhile, even when hung scripts fill every slot, and CTI clients notice
nothing."""

import time
from typing import Any

import gevent
import gevent.event
import pytest

from ctid.api import hookimpl
from ctid.testing import wait_until
from ctid.testing.fagiclient import FakeAgiClient

from .conftest import ROUND_TRIP, Site, round_trip

pytestmark = pytest.mark.timeout(30)

DEADLINE = 0.5


class Scripts:
    """Scripts that go wrong; `release` lets the hung ones go."""

    def __init__(self) -> None:
        self.release = gevent.event.Event()
        self.after_deadline: list[str] = []

    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        return {"raises": self.raises, "hangs": self.hangs, "stubborn": self.stubborn}

    def raises(self, session: Any, request: Any) -> None:
        session.verbose("about to fail", 1)
        raise RuntimeError("script bug")

    def hangs(self, session: Any, request: Any) -> None:
        session.verbose("waiting for a web service", 1)
        self.release.wait()  # a call that never returns (a dead HTTP peer, a lost lock)
        self.after_deadline.append("hangs")

    def stubborn(self, session: Any, request: Any) -> None:
        # The retry loop every code base has somewhere: a bare except swallows the deadline too.
        while not self.release.is_set():
            try:
                self.release.wait()
            except:  # noqa: E722
                continue
        self.after_deadline.append("stubborn")


def timed(client: FakeAgiClient) -> tuple[float, list[str]]:
    started = time.monotonic()
    commands = client.run()
    return time.monotonic() - started, commands


def start(site: Site, scripts: Scripts, **fagi: Any) -> Any:
    return site.start(
        plugins={"scripts": scripts},
        options={"fagi": {"deadline": f"{DEADLINE}s", **fagi}},
    )


def test_a_raising_script_releases_its_call_at_once_and_the_next_is_served(site: Site) -> None:
    daemon = start(site, Scripts())
    took, commands = timed(site.agi("raises"))
    assert commands == ['VERBOSE "about to fail" 1']
    assert took < DEADLINE
    took, commands = timed(site.agi("callerid_extend"))
    assert commands == ['SET VARIABLE XIVO_SRCTON "0"'] and took < DEADLINE
    fagi = daemon.status()["plugins"]["fagi"]
    # The script's failure is counted as such; the plugin itself did not fail.
    assert (fagi["script_failures"], fagi["failures"], fagi["state"]) == (1, 0, "loaded")


def test_hung_scripts_are_released_at_the_deadline_while_others_are_served(site: Site) -> None:
    scripts = Scripts()
    daemon = start(site, scripts)
    alice = site.client("alice")
    hung = [site.agi("hangs") for _ in range(20)]
    started = time.monotonic()
    waiting = [client.start() for client in hung]
    wait_until(lambda: all(client.commands for client in hung), message="hung scripts running")
    # Meanwhile: other calls get their answers at once, clients their round trips.
    took, commands = timed(site.agi("callerid_extend"))
    assert commands == ['SET VARIABLE XIVO_SRCTON "0"'] and took < DEADLINE / 2
    assert round_trip(alice) < ROUND_TRIP
    gevent.joinall(waiting, timeout=5, raise_error=True)
    released = time.monotonic() - started
    assert DEADLINE <= released < DEADLINE + 0.5  # every call back in the dialplan on time
    assert all(client.closed.is_set() for client in hung)
    assert daemon.status()["plugins"]["fagi"]["timeouts"] == 20
    assert scripts.after_deadline == []  # cut off, not left running
    assert timed(site.agi("callerid_extend"))[1] == ['SET VARIABLE XIVO_SRCTON "0"']


def test_when_hung_scripts_fill_every_slot_the_next_call_waits_only_for_the_deadline(
    site: Site,
) -> None:
    start(site, Scripts(), max_connections=4)
    hung = [site.agi("hangs").start() for _ in range(4)]
    started = time.monotonic()
    took, commands = timed(site.agi("callerid_extend"))
    # Queued by the kernel until a slot frees: served, late by one deadline at most.
    assert commands == ['SET VARIABLE XIVO_SRCTON "0"']
    assert took < DEADLINE + 0.5
    gevent.joinall(hung, timeout=5, raise_error=True)
    assert time.monotonic() - started < DEADLINE + 0.5


def test_a_script_that_swallows_the_deadline_still_gives_the_call_back(site: Site) -> None:
    scripts = Scripts()
    daemon = start(site, scripts)
    alice = site.client("alice")
    try:
        took, _commands = timed(site.agi("stubborn"))
        assert DEADLINE <= took < DEADLINE + 0.5
        assert round_trip(alice) < ROUND_TRIP
        assert daemon.status()["plugins"]["fagi"]["timeouts"] == 1
        assert timed(site.agi("callerid_extend"))[1] == ['SET VARIABLE XIVO_SRCTON "0"']
    finally:
        scripts.release.set()
