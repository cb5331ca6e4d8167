"""AMI faults with logged-in CTI clients: the link dropped in the middle of a call, Asterisk
restarted with new uniqueids, and an Asterisk that goes silent. The clients keep their sessions
(same socket, no `disconnect`), every call change reaches them once the link is back, and the
link comes back by itself."""

import time

import pytest

from ctid.testing import wait_until
from ctid.testing.cticlient import CtiTestClient

from .conftest import ROUND_TRIP, Site, channel_pushed, dial, round_trip, sheet_for

pytestmark = pytest.mark.timeout(30)


LISTID = {"class": "getlist", "function": "listid", "listname": "channels", "tipbxid": "xivo"}


def listed(client: CtiTestClient) -> list[str]:
    return list(client.request(LISTID)["list"])


def refused_at_once(client: CtiTestClient) -> None:
    """A command that needs Asterisk gets its answer at once, saying why it failed."""
    started = time.monotonic()
    answer = dial(client)
    assert (answer["status"], answer["message"]) == ("ko", "ipbx_unavailable")
    assert time.monotonic() - started < ROUND_TRIP


def kept_session(client: CtiTestClient) -> None:
    """The client was never told to go and still gets answers on its first connection."""
    assert round_trip(client) < ROUND_TRIP
    assert not client.eof
    assert not [m for m in client.received if m.get("class") in ("disconnect", "disconn")]


def test_a_call_that_ended_while_ami_was_down_is_hung_up_after_the_resync(site: Site) -> None:
    daemon = site.start()
    alice, bob = site.client("alice"), site.client("bob")
    caller, ringing = site.call("1001")
    alice.expect(sheet_for(caller.channel))
    alice.expect(channel_pushed("addconfig", ringing.channel))
    assert daemon.status()["plugins"]["sheets"]["tracked"] == 1  # the call's sheet state
    # The link drops mid-call and stays down; meanwhile Asterisk hangs both channels up.
    site.fake.stop()
    site.fake.channels.clear()
    wait_until(lambda: "down" in site.links.states, message="link seen down")
    kept_session(alice)
    kept_session(bob)
    refused_at_once(alice)
    site.fake.start()  # the same Asterisk, reachable again
    site.fake.wait_for_login(count=2, timeout=5)
    # The resync closes what ended meanwhile: the client hears the hangup it missed.
    alice.expect(channel_pushed("delconfig", ringing.channel))
    assert daemon.ipbx.model.calls() == ()
    wait_until(lambda: daemon.status()["plugins"]["sheets"]["tracked"] == 0, message="released")
    kept_session(alice)
    kept_session(bob)
    # The link is fully usable again: a new call pops a sheet, commands reach Asterisk.
    second, _ = site.call("1002")
    bob.expect(sheet_for(second.channel))
    assert dial(alice)["status"] == "ok"
    assert daemon.status()["plugins"]["ami"]["connects"] == 2


def test_a_call_that_survives_the_drop_is_neither_lost_nor_doubled(site: Site) -> None:
    daemon = site.start()
    alice = site.client("alice")
    caller, ringing = site.call("1001")
    alice.expect(channel_pushed("addconfig", ringing.channel))
    site.fake.drop()
    site.fake.wait_for_login(count=2, timeout=5)
    site.fake.wait_for_action("ExtensionStateList", count=2)
    # Resynced: the call is still there, once, with the same ids.
    assert {channel.uniqueid for channel in daemon.ipbx.model.channels()} == {
        caller.uniqueid,
        ringing.uniqueid,
    }
    assert sorted(listed(alice)) == sorted([caller.channel, ringing.channel])
    # The hangup that comes after the resync reaches the client.
    site.hang_up(ringing, caller)
    alice.expect(channel_pushed("delconfig", ringing.channel))
    wait_until(lambda: daemon.ipbx.model.calls() == (), message="call closed")
    kept_session(alice)
    adds = [m for m in alice.received if channel_pushed("addconfig", ringing.channel)(m)]
    assert len(adds) == 1


def test_asterisk_restarted_with_new_uniqueids_replaces_the_old_calls(site: Site) -> None:
    daemon = site.start()
    alice, bob = site.client("alice"), site.client("bob")
    caller, ringing = site.call("1001")
    alice.expect(channel_pushed("addconfig", ringing.channel))
    site.fake.stop()
    wait_until(lambda: "down" in site.links.states, message="link seen down")
    kept_session(bob)
    # A new boot: the old call is gone, a call to bob came up before ctid reconnected.
    site.fake.restart(channels=["PJSIP/1002"])
    [fresh] = site.fake.channels.values()
    assert fresh.uniqueid.split(".")[0] != caller.uniqueid.split(".")[0]
    site.fake.wait_for_login(count=2, timeout=5)
    alice.expect(channel_pushed("delconfig", ringing.channel))
    bob.expect(channel_pushed("addconfig", fresh.channel))
    assert [channel.uniqueid for channel in daemon.ipbx.model.channels()] == [fresh.uniqueid]
    assert listed(bob) == [fresh.channel]
    kept_session(alice)
    kept_session(bob)
    # Events of the new boot are followed: its hangup reaches bob.
    site.hang_up(fresh)
    bob.expect(channel_pushed("delconfig", fresh.channel))


def test_a_silent_asterisk_is_left_after_an_unanswered_ping_and_rejoined(site: Site) -> None:
    daemon = site.start(options={"ami": {"ping_interval": "200ms", "ping_timeout": "200ms"}})
    alice = site.client("alice")
    site.fake.silent = True  # connections stay open, nothing is ever answered
    wait_until(lambda: "down" in site.links.states, timeout=3, message="silence detected")
    kept_session(alice)
    refused_at_once(alice)
    site.fake.silent = False
    wait_until(lambda: daemon.ipbx.connected, timeout=5, message="reconnected")
    site.fake.wait_for_action("ExtensionStateList", count=2)
    caller, ringing = site.call("1001")
    alice.expect(sheet_for(caller.channel))
    alice.expect(channel_pushed("addconfig", ringing.channel))
    kept_session(alice)


def test_a_call_that_started_while_ami_was_down_shows_up_after_the_resync(site: Site) -> None:
    # Regression: a channel found only by the resync's CoreShowChannels never reached the
    # clients' channel list, though their phone's status named it.
    site.start()
    alice = site.client("alice")
    site.fake.stop()
    wait_until(lambda: "down" in site.links.states, message="link seen down")
    # While ctid is away a call to alice starts; no event about it will ever come again.
    site.fake.restart(channels=["PJSIP/1001"])
    [fresh] = site.fake.channels.values()
    site.fake.wait_for_action("ExtensionStateList", count=2)
    alice.expect(channel_pushed("addconfig", fresh.channel))
    assert listed(alice) == [fresh.channel]
    phone = alice.request(
        {**LISTID, "listname": "phones", "function": "updatestatus", "tid": "1001@default"}
    )
    assert phone["status"]["channels"] == [fresh.channel]
    kept_session(alice)
