"""The `sql` backend on SQLite and on a real PostgreSQL: literal matching of hostile terms,
reverse lookups on numbers stored any way, query mode, and a database that is slow, silent or
gone, which never stalls the daemon and costs at most the directory's timeout."""

import itertools
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import gevent
import gevent.server
import pytest

from ctid.api import SourceSpec, vol
from ctid.directory.numbers import candidates
from ctid.testing import make_daemon, wait_until
from ctid.testing.postgres import Postgres
from ctid_sql.lane import LaneBusy
from ctid_sql.plugin import SqlPlugin
from ctid_sql.source import SqlDirectory

from .conftest import create_contacts

FIELDS = {"fullname": "{first} {last}", "phone": "phone"}


def make_source(url: str, timeout: float = 1.0, **options: Any) -> SqlDirectory:
    spec = SourceSpec(
        name="crm",
        type="sql",
        options=vol.Schema(SqlDirectory.config_schema)({"url": url, **options}),
        match_direct=("first", "last"),
        match_reverse=("phone",),
        fields=FIELDS,
        display_reverse="{db-fullname}",
        timeout=timeout,
    )
    return SqlDirectory(spec)


@pytest.fixture
def table_source(database: tuple[str, str]) -> Iterator[SqlDirectory]:
    url, table = database
    source = make_source(url, table=table)
    yield source
    source.close()


def lasts(records: list[dict[str, list[str]]]) -> list[str]:
    return sorted(record["last"][0] for record in records)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("'", ["O'Brien"]),
        ("o'b", ["O'Brien"]),
        ("%", ["100% Bio"]),
        ("_", ["under_score"]),
        ("\\", ["back\\slash"]),
        ("'; DROP TABLE x; --", []),
        ("MARTIN", ["Martin"]),
        ("ar", ["Martin"]),
    ],
)
def test_search_terms_match_only_literally(
    table_source: SqlDirectory, term: str, expected: list[str]
) -> None:
    assert lasts(table_source.search(term, 10)) == expected


def test_search_honours_the_limit(table_source: SqlDirectory) -> None:
    assert len(table_source.search("e", 2)) == 2


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("0612345678", "Martin"),  # stored +33 6 12 34 56 78
        ("+33140001234", "Dupont"),  # stored 01.40.00.12.34
        ("01 45 67 89 00", "O'Brien"),  # stored (01) 45 67 89 00
        ("0700000001", "back\\slash"),  # stored 0033 7 00 00 00 01
    ],
)
def test_reverse_finds_numbers_stored_with_separators(
    table_source: SqlDirectory, number: str, expected: str
) -> None:
    assert lasts(table_source.reverse(candidates(number, "FR", 6), 5)) == [expected]


def test_reverse_through_a_normalized_number_column(database: tuple[str, str]) -> None:
    url, table = database
    source = make_source(url, table=table, number_column="e164")
    try:
        assert lasts(source.reverse(candidates("06 12 34 56 78", "FR", 6), 5)) == ["Martin"]
        assert source.reverse(["0800"], 5) == []
    finally:
        source.close()


def test_query_mode_binds_pattern_numbers_and_limit(database: tuple[str, str]) -> None:
    url, table = database
    source = make_source(
        url,
        search_query=f"SELECT first, last, phone FROM {table} "
        "WHERE last LIKE :pattern ESCAPE '\\' ORDER BY last LIMIT :limit",
        reverse_query=f"SELECT first, last, phone FROM {table} WHERE e164 IN :numbers LIMIT :limit",
    )
    try:
        assert lasts(source.search("%", 10)) == ["100% Bio"]
        assert lasts(source.search("_", 10)) == ["under_score"]
        assert lasts(source.reverse(candidates("0612345678", "FR", 6), 5)) == ["Martin"]
    finally:
        source.close()


def daemon_config(url: str, table: str, **extra: Any) -> dict[str, Any]:
    password = {} if url.startswith("sqlite") else {"password": "not-logged-anywhere"}
    return {
        "directories": {
            "crm": {
                "type": "sql",
                "url": url,
                **password,
                "table": table,
                "match_direct": ["first", "last"],
                "match_reverse": ["phone"],
                "fields": FIELDS,
                **extra,
            }
        },
        "contexts": {"default": {"directories": ["crm"], "reverse": {"*": ["crm"]}}},
        "reverse": {"default_region": "FR", "cache": {"max_entries": 0}},
    }


def lookup(daemon: Any, number: str) -> str | None:
    found = daemon.directories.service.reverse_lookup(number, "default", "")
    return found["dbr-display"] if found else None


def test_the_daemon_answers_from_sqlite_and_never_shows_the_password(
    database: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    url, table = database
    caplog.set_level(logging.DEBUG)
    with make_daemon(daemon_config(url, table), {"sql": SqlPlugin()}) as daemon:
        assert lookup(daemon, "+33612345678") == "Zoé Martin"
        result = daemon.directories.service.search("o'brien", ["default"], 10)
        status = daemon.status()["plugins"]["directories"]["directories"]["crm"]
    assert result["resultlist"] == ["Seán O'Brien;(01) 45 67 89 00;crm"]
    assert "not-logged-anywhere" not in str(status)
    assert "not-logged-anywhere" not in caplog.text


def test_blocking_queries_run_off_the_hub(tmp_path: Any) -> None:
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
    slow += "SELECT :term AS first, max(x) AS last FROM c LIMIT :limit"
    source = make_source(f"sqlite:///{tmp_path / 'x.sqlite'}", timeout=30, search_query=slow)
    ticks = []

    def tick() -> None:
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.005)

    ticker = gevent.spawn(tick)
    try:
        started = time.monotonic()
        assert source.search("x", 1) == [{"first": ["x"], "last": ["1000000"]}]
        elapsed = time.monotonic() - started
    finally:
        ticker.kill()
        source.close()
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert elapsed > 0.1
    assert max(gaps) < 0.1  # the hub kept running while SQLite computed


@pytest.fixture
def black_hole() -> Iterator[tuple[str, int]]:
    """A TCP server that accepts connections and never says a word (a hung database)."""
    held: list[socket.socket] = []
    server = gevent.server.StreamServer(("127.0.0.1", 0), lambda sock, _addr: held.append(sock))
    server.start()
    yield server.address
    server.stop()


def test_a_silent_database_costs_only_the_timeout(black_hole: tuple[str, int]) -> None:
    host, port = black_hole
    url = f"postgresql+psycopg://ctid@{host}:{port}/crm"
    config = daemon_config(url, "contacts", timeout="200ms")
    with make_daemon(config, {"sql": SqlPlugin()}) as daemon:
        for number in ("0612345678", "0612345679"):
            started = time.monotonic()
            assert lookup(daemon, number) is None
            assert time.monotonic() - started < 0.5
        started = time.monotonic()
        result = daemon.directories.service.search("martin", ["default"], 10)
        assert time.monotonic() - started < 0.5
        assert (result["status"], result["failed"]) == ("partial", ["crm"])
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3


def test_calls_beyond_the_queue_fail_fast(black_hole: tuple[str, int]) -> None:
    host, port = black_hole
    source = make_source(f"postgresql+psycopg://ctid@{host}:{port}/crm", table="t", queue=1)
    first = gevent.spawn(source.reverse, ["+33612345678"], 1)
    try:
        wait_until(lambda: source.health()["waiting"]["reverse"] == 1)
        started = time.monotonic()
        with pytest.raises(LaneBusy):
            source.reverse(["+33612345679"], 1)
        assert time.monotonic() - started < 0.05
        assert source.health()["waiting"] == {"reverse": 1, "search": 0}  # searches: own lane
    finally:
        first.kill()
        source.close()


def test_postgres_gone_fails_open_and_the_source_recovers(postgres: Postgres) -> None:
    table = create_contacts(postgres.url)
    config = daemon_config(postgres.url, table, timeout="300ms")
    with make_daemon(config, {"sql": SqlPlugin()}) as daemon:
        assert lookup(daemon, "0612345678") == "Zoé Martin"
        postgres.stop()
        try:
            started = time.monotonic()
            assert lookup(daemon, "0612345678") is None
            assert time.monotonic() - started < 0.6
            health = daemon.status()["plugins"]["directories"]["directories"]["crm"]
            assert health["state"] == "failing"
            assert health["backend"]["last_error"].startswith("OperationalError")
        finally:
            postgres.start()
        wait_until(lambda: lookup(daemon, "0140001234") == "Jean Dupont", timeout=10)
        assert daemon.status()["plugins"]["directories"]["directories"]["crm"]["state"] == "up"
