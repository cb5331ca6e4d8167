"""The directory service through a real daemon and `memory` sources: normalization tables per
country, fan-out, deadlines, order, de-duplication, display, cache, parting."""

import time
from collections.abc import Iterator
from typing import Any

import gevent
import pytest

from ctid.daemon import Daemon
from ctid.testing import make_daemon, wait_until
from ctid.testing.directories import MemoryDirectories

ZOE = {"first": ["Zoé"], "last": ["Martin"], "phone": ["+33 6 12 34 56 78"], "co": ["Acme"]}
JEAN = {"first": ["Jean"], "last": ["Dupont"], "phone": ["01 40 00 12 34"], "co": ["Foo; Bar"]}
FIELDS = {"fullname": "{first} {last}", "phone": "phone", "company": "co"}


def directory(**extra: Any) -> dict[str, Any]:
    return {
        "type": "memory",
        "match_direct": ["first", "last", "co"],
        "match_reverse": ["phone", "mobile"],
        "fields": FIELDS,
        **extra,
    }


def config(names: tuple[str, ...] = ("a",), region: str = "FR", **extra: Any) -> dict[str, Any]:
    return {
        "directories": {name: directory(**extra.get(name, {})) for name in names},
        "contexts": {"default": {"directories": list(names), "reverse": {"*": list(names)}}},
        "reverse": {"default_region": region, **extra.get("reverse", {})},
    }


@pytest.fixture
def memory() -> MemoryDirectories:
    return MemoryDirectories({"a": [ZOE, JEAN]})


@pytest.fixture
def daemon(memory: MemoryDirectories) -> Iterator[Daemon]:
    with make_daemon(config(), {"mem": memory}) as running:
        yield running


def reverse(daemon: Daemon, number: str, context: str = "default", did: str = "") -> Any:
    return daemon.directories.service.reverse_lookup(number, context, did)


def search(daemon: Daemon, term: str, contexts: tuple[str, ...] = ("default",)) -> Any:
    return daemon.directories.service.search(term, list(contexts), 50)


@pytest.mark.parametrize(
    "number", ["+33612345678", "0033612345678", "0612345678", "06 12 34 56 78"]
)
def test_every_french_form_finds_the_contact_stored_internationally(
    daemon: Daemon, number: str
) -> None:
    found = reverse(daemon, number)
    assert found == {
        "db-fullname": "Zoé Martin",
        "db-phone": "+33 6 12 34 56 78",
        "db-company": "Acme",
        "xivo-directory": "a",
        "dbr-display": "Zoé Martin",
    }


@pytest.mark.parametrize("number", ["1001", "anonymous", "", "sip:bob@example.com", "Unknown"])
def test_numbers_not_worth_a_lookup_find_nothing_and_call_no_backend(
    daemon: Daemon, memory: MemoryDirectories, number: str
) -> None:
    assert reverse(daemon, number) is None
    assert memory.calls == []


COUNTRIES = [
    ("CH", "+41 44 668 18 00", ["+41446681800", "0041446681800", "044 668 18 00", "0446681800"]),
    ("GB", "+44 20 7946 0018", ["+442079460018", "00442079460018", "020 7946 0018"]),
    ("US", "+1 650 253 0000", ["+16502530000", "(650) 253-0000", "1 650 253 0000", "6502530000"]),
    ("FR", "06 12 34 56 78", ["+33612345678", "0033612345678", "0612345678"]),
]


@pytest.mark.parametrize(("region", "stored", "numbers"), COUNTRIES)
def test_each_region_finds_its_contact_whatever_the_form(
    region: str, stored: str, numbers: list[str]
) -> None:
    memory = MemoryDirectories({"a": [{"first": ["X"], "phone": [stored]}]})
    with make_daemon(config(region=region), {"mem": memory}) as daemon:
        for number in numbers:
            assert reverse(daemon, number)["db-phone"] == stored, number


def test_the_same_digits_in_another_country_are_not_a_match() -> None:
    # Stored in France; the caller is Swiss. A backend matching digits broadly proposes it, the
    # core's re-check on normalized numbers refuses it.
    memory = MemoryDirectories({"a": [{"first": ["Lyon"], "phone": ["04 46 68 18 00"]}]})
    with make_daemon(config(), {"mem": memory}) as daemon:
        assert reverse(daemon, "+41446681800") is None
        assert memory.calls_to("a")  # it was asked
        assert reverse(daemon, "+33446681800")["db-fullname"] == "Lyon"


def test_a_context_region_reads_its_callers_national_numbers() -> None:
    memory = MemoryDirectories({"a": [{"first": ["Zurich"], "phone": ["+41 44 668 18 00"]}]})
    cfg = config(reverse={"regions": {"swiss-trunk": "CH"}})
    cfg["contexts"]["swiss-trunk"] = {"reverse": {"*": ["a"]}}
    with make_daemon(cfg, {"mem": memory}) as daemon:
        assert reverse(daemon, "044 668 18 00", "swiss-trunk")["db-fullname"] == "Zurich"
        assert reverse(daemon, "044 668 18 00", "default") is None  # read as French


def test_sources_are_asked_at_once() -> None:
    memory = MemoryDirectories({"a": [], "b": [], "c": [ZOE]})
    memory.delay.update(a=0.3, b=0.3)  # one after the other would take 0.6 s
    with make_daemon(config(("a", "b", "c")), {"mem": memory}) as daemon:
        started = time.monotonic()
        assert reverse(daemon, "0612345678")["xivo-directory"] == "c"
        assert time.monotonic() - started < 0.5
        started = time.monotonic()
        assert search(daemon, "zo")["resultlist"] == ["Zoé Martin;+33 6 12 34 56 78;c"]
        assert time.monotonic() - started < 0.5


def test_first_source_in_order_wins_even_when_slower() -> None:
    memory = MemoryDirectories({"a": [ZOE], "b": [{**ZOE, "first": ["Other"]}]})
    memory.delay["a"] = 0.1
    with make_daemon(config(("a", "b")), {"mem": memory}) as daemon:
        assert reverse(daemon, "0612345678")["xivo-directory"] == "a"


def test_an_answer_comes_as_soon_as_the_sources_before_it_have_answered() -> None:
    memory = MemoryDirectories({"a": [ZOE], "b": []})
    memory.delay["b"] = 30
    with make_daemon(config(("a", "b")), {"mem": memory}) as daemon:
        started = time.monotonic()
        assert reverse(daemon, "0612345678")["xivo-directory"] == "a"
        assert time.monotonic() - started < 0.1


def test_a_hanging_source_costs_its_timeout_and_is_skipped() -> None:
    memory = MemoryDirectories({"slow": [ZOE], "b": [{**ZOE, "first": ["Backup"]}]})
    memory.delay["slow"] = 30
    cfg = config(("slow", "b"), slow={"timeout": "150ms"})
    with make_daemon(cfg, {"mem": memory}) as daemon:
        started = time.monotonic()
        found = reverse(daemon, "0612345678")
        elapsed = time.monotonic() - started
        assert found["db-fullname"] == "Backup Martin"
        assert 0.14 < elapsed < 0.4
        started = time.monotonic()
        result = search(daemon, "martin")
        assert time.monotonic() - started < 0.4
        status = daemon.status()["plugins"]["directories"]["directories"]
    assert result["status"] == "partial"
    assert result["failed"] == ["slow"]
    assert result["resultlist"] == ["Backup Martin;+33 6 12 34 56 78;b"]
    assert status["slow"]["state"] == "failing"
    assert status["slow"]["timeouts"] == 2
    assert status["b"]["state"] == "up"


def test_the_reverse_deadline_bounds_everything_and_fails_open() -> None:
    memory = MemoryDirectories({"a": [ZOE]})
    memory.delay["a"] = 30
    cfg = config(a={"timeout": "10s"}, reverse={"deadline": "200ms"})
    with make_daemon(cfg, {"mem": memory}) as daemon:
        started = time.monotonic()
        assert reverse(daemon, "0612345678") is None
        assert time.monotonic() - started < 0.4
        # not cached: the next call asks again
        assert reverse(daemon, "0612345678") is None
        assert len(memory.calls_to("a")) == 2


def test_a_raising_source_is_skipped_and_shown_in_status() -> None:
    memory = MemoryDirectories({"a": [ZOE], "b": [ZOE]})
    memory.errors["a"] = RuntimeError("ldap down")
    with make_daemon(config(("a", "b")), {"mem": memory}) as daemon:
        assert reverse(daemon, "0612345678")["xivo-directory"] == "b"
        result = search(daemon, "zoé")
        status = daemon.status()["plugins"]["directories"]["directories"]["a"]
    assert (result["status"], result["failed"]) == ("partial", ["a"])
    assert status["errors"] == 2
    assert status["last_error"] == "RuntimeError: ldap down"


def test_search_deduplicates_sorts_per_directory_and_keeps_directory_order() -> None:
    anna = {"first": ["anna"], "last": ["Martin"], "phone": ["0600000001"]}
    memory = MemoryDirectories({"a": [ZOE, anna, ZOE], "b": [JEAN, ZOE]})
    with make_daemon(config(("b", "a")), {"mem": memory}) as daemon:
        result = search(daemon, "a")
    assert result == {
        "headers": ["Name", "Number", "Directory"],
        "resultlist": [
            "Jean Dupont;01 40 00 12 34;b",
            "Zoé Martin;+33 6 12 34 56 78;b",
            "anna Martin;0600000001;a",
            "Zoé Martin;+33 6 12 34 56 78;a",
        ],
        "status": "ok",
    }


def test_rows_follow_the_context_display_and_keep_their_columns() -> None:
    memory = MemoryDirectories({"a": [ZOE, JEAN, {"first": ["Solo"]}]})
    cfg = config()
    cfg["directories"]["a"]["label"] = "Phone book"
    cfg["contexts"]["default"]["display"] = [
        {"title": "Who", "type": "name", "format": "{db-fullname}"},
        {"title": "Company", "format": "{db-company}", "default": "-"},
        {"title": "From", "format": "{xivo-directory}"},
    ]
    with make_daemon(cfg, {"mem": memory}) as daemon:
        result = search(daemon, "o")
    assert result["headers"] == ["Who", "Company", "From"]
    assert result["resultlist"] == [
        "Jean Dupont;Foo Bar;Phone book",  # the ; of the data cannot add a column
        "Solo;-;Phone book",
        "Zoé Martin;Acme;Phone book",
    ]


def test_search_stays_within_the_users_contexts(memory: MemoryDirectories) -> None:
    memory.records["other"] = [ZOE]
    cfg = config()
    cfg["directories"]["other"] = directory()
    cfg["contexts"]["tenant2"] = {"directories": ["other"]}
    with make_daemon(cfg, {"mem": memory}) as daemon:
        assert search(daemon, "zo", ("tenant2",))["resultlist"] == [
            "Zoé Martin;+33 6 12 34 56 78;other"
        ]
        assert search(daemon, "zo")["resultlist"] == ["Zoé Martin;+33 6 12 34 56 78;a"]
        assert search(daemon, "zo", ()) is None  # no context: nothing to answer for
        assert search(daemon, "zo", ("nowhere",)) is None
        assert search(daemon, "  \x00 ")["resultlist"] == []
    assert [name for name, _method, _arg in memory.calls] == ["other", "a"]


def test_reverse_directories_follow_the_did_then_star() -> None:
    memory = MemoryDirectories({"a": [ZOE], "b": [{**ZOE, "first": ["Sales"]}]})
    cfg = config(("a", "b"))
    cfg["contexts"]["default"]["reverse"] = {"0140001234": ["b"], "*": ["a"]}
    with make_daemon(cfg, {"mem": memory}) as daemon:
        assert reverse(daemon, "0612345678", did="0140001234")["db-fullname"] == "Sales Martin"
        assert reverse(daemon, "0612345678", did="0140009999")["db-fullname"] == "Zoé Martin"
        assert reverse(daemon, "0612345678", context="elsewhere") is None


def test_answers_are_cached_by_normalized_number_until_reload(memory: MemoryDirectories) -> None:
    cfg = config()
    with make_daemon(cfg, {"mem": memory}) as daemon:
        assert reverse(daemon, "0612345678")
        assert reverse(daemon, "+33 6 12 34 56 78")  # same number, other form: cached
        assert reverse(daemon, "0700000000") is None
        assert reverse(daemon, "07 00 00 00 00") is None  # negative entry
        assert len(memory.calls) == 2
        cfg["reverse"]["cache"] = {"negative_ttl": "1h"}
        assert daemon.reload()
        assert reverse(daemon, "0612345678")
        assert len(memory.calls) == 3


def test_cache_entries_expire_after_their_ttl(memory: MemoryDirectories) -> None:
    cfg = config(reverse={"cache": {"positive_ttl": "50ms", "negative_ttl": "20ms"}})
    with make_daemon(cfg, {"mem": memory}) as daemon:
        assert reverse(daemon, "0612345678")
        assert reverse(daemon, "0700000000") is None
        wait_until(lambda: reverse(daemon, "0700000000") is None and len(memory.calls) == 3)
        wait_until(lambda: reverse(daemon, "0612345678") and len(memory.calls) == 4)


def test_reload_reopens_changed_sources_only(memory: MemoryDirectories) -> None:
    memory.records["b"] = [ZOE]
    cfg = config(("a", "b"))
    with make_daemon(cfg, {"mem": memory}) as daemon:
        cfg["directories"]["b"]["timeout"] = "2s"
        assert daemon.reload()
        assert memory.opened == ["a", "b", "b"]
        assert memory.closed == ["b"]
    assert sorted(memory.closed) == ["a", "b", "b"]


def test_an_unfinished_request_dies_with_the_daemon(memory: MemoryDirectories) -> None:
    memory.delay["a"] = 30
    with make_daemon(
        config(a={"timeout": "20s"}, reverse={"deadline": "20s"}), {"mem": memory}
    ) as d:
        pending = gevent.spawn(reverse, d, "0612345678")
        wait_until(lambda: memory.calls)
    wait_until(pending.ready)
