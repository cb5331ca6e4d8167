"""Directory faults under a running site: slapd stopped, slapd hung (a blackholed server that
accepts and never answers), a source that is a black hole from the start, and PostgreSQL gone.
Sheets still pop within the variables deadline, without their db- values; FastAGI still answers
before the ring ends; clients keep their round trips; and lookups come back by themselves when
the server does, with no daemon restart."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from ctid.testing import wait_until
from ctid.testing.cticlient import CtiTestClient
from ctid.testing.postgres import Postgres
from ctid.testing.slapd import Blackhole, Slapd, require_slapd
from ctid_ldap.plugin import LdapPlugin
from ctid_sql.plugin import SqlPlugin

from .conftest import DATA, ROUND_TRIP, Site, round_trip, sheet_for, sheet_lines

pytestmark = pytest.mark.timeout(30)

SHEET_DEADLINE = 1.0
"""Seconds from the dial to the sheet on screen while a directory is down (variables: 0.6 s)."""
SOURCE = {
    "timeout": "300ms",
    "fields": {"fullname": "cn", "phone": "telephoneNumber"},
    "display_reverse": "{db-fullname}",
}
LDAP = {
    "type": "ldap",
    "base_dn": "ou=people,dc=example,dc=org",
    "match_direct": ["cn"],
    "match_reverse": ["telephoneNumber", "mobile"],
    "connect_timeout": "200ms",
    "search_timeout": "200ms",
    "retry_min": "20ms",
    "retry_max": "100ms",
    **SOURCE,
}


def directory_sections(sources: dict[str, Any], order: list[str]) -> dict[str, Any]:
    return {
        "directories": sources,
        "contexts": {"default": {"directories": order, "reverse": {"*": order}}},
        # No cache: every call asks the directory, so the fault is seen on every call.
        "reverse": {"default_region": "FR", "deadline": "350ms", "cache": {"max_entries": 0}},
    }


def popped(site: Site, client: CtiTestClient) -> tuple[float, dict[str, str]]:
    """Place a call to alice; seconds until her sheet arrives, and its lines."""
    started = time.monotonic()
    caller, ringing = site.call("1001")
    sheet = client.expect(sheet_for(caller.channel), timeout=5)
    took = time.monotonic() - started
    site.hang_up(ringing, caller)
    return took, sheet_lines(sheet)


def named_by_agi(site: Site) -> tuple[float, list[str]]:
    """A `callerid_forphones` request: its duration and the commands it got."""
    started = time.monotonic()
    commands = site.agi().run()
    return time.monotonic() - started, commands


def search(client: CtiTestClient) -> dict[str, Any]:
    return client.request({"class": "directory", "pattern": "zoé"}, timeout=5)


def reverse(site: Site) -> Any:
    return site.running.hooks.query(
        "ctid_reverse_lookup", 2.0, number="0612345678", context="default", did=""
    )


def served_while_down(site: Site, alice: CtiTestClient, bob: CtiTestClient) -> None:
    """Everything a directory feeds goes on without it, each within its deadline."""
    took, lines = popped(site, alice)
    assert took < SHEET_DEADLINE
    assert lines == {"Number": "0612345678", "Name": "unknown"}  # the line's default
    took, commands = named_by_agi(site)
    assert took < 0.8
    assert commands == []  # the caller keeps the name it came with
    started = time.monotonic()
    assert search(bob)["status"] == "partial"
    assert time.monotonic() - started < 0.8
    assert round_trip(bob) < ROUND_TRIP


def served_again(site: Site, alice: CtiTestClient) -> None:
    """Back to normal with the same daemon: names on sheets and on phones."""
    wait_until(lambda: reverse(site), timeout=5, message="lookups after the fault")
    _took, lines = popped(site, alice)
    assert lines["Name"] == "Zoé Lefèvre"
    assert named_by_agi(site)[1] == ['SET VARIABLE CALLERID(name) "Zoé Lefèvre"']
    health = site.running.status()["plugins"]["directories"]["directories"]
    assert {source["state"] for source in health.values()} == {"up"}


@pytest.fixture
def slapd() -> Iterator[Slapd]:
    require_slapd()
    with Slapd(ldif=[DATA / "ldap" / "people.ldif"]) as server:
        yield server


def ldap_site(site: Site, sources: dict[str, Any], order: list[str]) -> None:
    site.start(
        plugins={"ldap": LdapPlugin()},
        options={"fagi": {"lookup_deadline": "400ms"}},
        **directory_sections(sources, order),
    )


def test_slapd_stopped_then_restarted(site: Site, slapd: Slapd) -> None:
    ldap_site(site, {"corp": {**LDAP, "uri": slapd.url}}, ["corp"])
    alice, bob = site.client("alice"), site.client("bob")
    assert popped(site, alice)[1]["Name"] == "Zoé Lefèvre"
    slapd.stop()
    served_while_down(site, alice, bob)
    health = site.running.status()["plugins"]["directories"]["directories"]["corp"]
    assert health["state"] == "failing"
    slapd.restart()
    served_again(site, alice)


def test_slapd_hung_every_call_pops_on_time_then_it_recovers(site: Site, slapd: Slapd) -> None:
    ldap_site(site, {"corp": {**LDAP, "uri": slapd.url}}, ["corp"])
    alice, bob = site.client("alice"), site.client("bob")
    assert popped(site, alice)[1]["Name"] == "Zoé Lefèvre"  # a pooled connection now exists
    slapd.pause()  # connections stay open, new ones wait in the backlog: nothing answers
    try:
        served_while_down(site, alice, bob)
        # Ten calls at once: each waits for the hung server in parallel, none behind another.
        started = time.monotonic()
        calls = [site.call("1001") for _ in range(10)]
        for caller, _ringing in calls:
            assert sheet_lines(alice.expect(sheet_for(caller.channel)))["Name"] == "unknown"
        assert time.monotonic() - started < SHEET_DEADLINE
        for caller, ringing in calls:
            site.hang_up(ringing, caller)
    finally:
        slapd.resume()
    served_again(site, alice)


def test_a_black_hole_first_in_order_costs_its_timeout_not_the_sheet(
    site: Site, slapd: Slapd
) -> None:
    with Blackhole() as hole:
        sources = {"hole": {**LDAP, "uri": hole.url}, "corp": {**LDAP, "uri": slapd.url}}
        ldap_site(site, sources, ["hole", "corp"])
        alice, bob = site.client("alice"), site.client("bob")
        # The first directory in order never answers: the second one's answer is used once
        # the first has had its time, still within the sheet's deadline.
        took, lines = popped(site, alice)
        assert lines["Name"] == "Zoé Lefèvre"
        assert took < SHEET_DEADLINE
        assert round_trip(bob) < ROUND_TRIP
        result = search(bob)
        assert (result["status"], len(result["resultlist"])) == ("partial", 1)
        health = site.running.status()["plugins"]["directories"]["directories"]
        assert (health["hole"]["state"], health["corp"]["state"]) == ("failing", "up")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    Postgres.skip_if_missing()
    server = Postgres()
    try:
        yield server.start()
    finally:
        server.close()


def contacts(url: str) -> str:
    table = sa.Table(
        "contacts",
        sa.MetaData(),
        sa.Column("cn", sa.String(100)),
        sa.Column("phone", sa.String(40)),
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        table.create(connection, checkfirst=True)
        connection.execute(table.insert(), [{"cn": "Zoé Lefèvre", "phone": "06 12 34 56 78"}])
    engine.dispose()
    return table.name


def test_postgresql_stopped_then_started(site: Site, postgres: Postgres) -> None:
    crm = {
        "type": "sql",
        "url": postgres.url,
        "table": contacts(postgres.url),
        "match_direct": ["cn"],
        "match_reverse": ["phone"],
        "connect_timeout": "200ms",
        **SOURCE,
        "fields": {"fullname": "cn", "phone": "phone"},
    }
    site.start(
        plugins={"sql": SqlPlugin()},
        options={"fagi": {"lookup_deadline": "400ms"}},
        **directory_sections({"crm": crm}, ["crm"]),
    )
    alice, bob = site.client("alice"), site.client("bob")
    assert popped(site, alice)[1]["Name"] == "Zoé Lefèvre"
    postgres.stop()
    try:
        served_while_down(site, alice, bob)
        backend = site.running.status()["plugins"]["directories"]["directories"]["crm"]
        assert backend["state"] == "failing"
        assert backend["backend"]["last_error"].startswith("OperationalError")
    finally:
        postgres.start()
    served_again(site, alice)
