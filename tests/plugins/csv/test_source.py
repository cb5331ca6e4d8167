"""The `csv` backend in a daemon: loaded in the background, reloaded when the file changes
(without a restart, without blocking lookups), bounded, and failing soft."""

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import gevent
import pytest

from ctid.api import SourceSpec, vol
from ctid.daemon import Daemon
from ctid.testing import make_daemon, wait_until
from ctid_csv.plugin import CsvPlugin
from ctid_csv.source import CsvDirectory

HEADER = "firstname,lastname,phone\n"
ZOE = "Zoé,Martin,+33 6 12 34 56 78\n"
JEAN = "Jean,Dupont,01 40 00 12 34\n"


def write(path: pathlib.Path, text: str, encoding: str = "utf-8") -> None:
    """Replace the file atomically, as the docs tell operators to."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding=encoding)
    os.replace(temporary, path)


def config(path: pathlib.Path, **options: Any) -> dict[str, Any]:
    return {
        "directories": {
            "book": {
                "type": "csv",
                "path": str(path),
                "poll_interval": "10ms",
                "match_direct": ["firstname", "lastname"],
                "match_reverse": ["phone"],
                "fields": {"fullname": "{firstname} {lastname}", "phone": "phone"},
                **options,
            }
        },
        "contexts": {"default": {"directories": ["book"], "reverse": {"*": ["book"]}}},
        "reverse": {"default_region": "FR", "cache": {"max_entries": 0}},
    }


@pytest.fixture
def path(tmp_path: pathlib.Path) -> pathlib.Path:
    book = tmp_path / "book.csv"
    write(book, HEADER + ZOE)
    return book


@pytest.fixture
def daemon(path: pathlib.Path) -> Iterator[Daemon]:
    with make_daemon(config(path), {"csv": CsvPlugin()}) as running:
        wait_until(lambda: backend(running).state == "ready")
        yield running


def backend(daemon: Daemon) -> CsvDirectory:
    found: CsvDirectory = daemon.directories.service._backends["book"]  # type: ignore[assignment]
    return found


def name_of(daemon: Daemon, number: str) -> str | None:
    found = daemon.directories.service.reverse_lookup(number, "default", "")
    return found["dbr-display"] if found else None


def rows(daemon: Daemon, term: str) -> list[str]:
    return list(daemon.directories.service.search(term, ["default"], 10)["resultlist"])


def test_an_edited_file_is_reloaded_without_a_restart(daemon: Daemon, path: pathlib.Path) -> None:
    assert name_of(daemon, "0612345678") == "Zoé Martin"
    assert rows(daemon, "dupont") == []
    write(path, HEADER + JEAN)
    wait_until(lambda: rows(daemon, "dupont") == ["Jean Dupont;01 40 00 12 34;book"])
    assert name_of(daemon, "0612345678") is None
    assert name_of(daemon, "+33140001234") == "Jean Dupont"
    # Written in place rather than replaced: the size or mtime still tells.
    path.write_text(HEADER + ZOE + JEAN, encoding="utf-8")
    wait_until(lambda: name_of(daemon, "0612345678") == "Zoé Martin")


def test_a_bad_version_keeps_the_last_good_table(daemon: Daemon, path: pathlib.Path) -> None:
    write(path, "name,name\nx,y\n")
    wait_until(lambda: backend(daemon).state == "stale")
    assert "unique, non-empty column names" in backend(daemon).error
    assert name_of(daemon, "0612345678") == "Zoé Martin"
    path.unlink()
    wait_until(lambda: "cannot read" in backend(daemon).error)
    assert name_of(daemon, "0612345678") == "Zoé Martin"
    write(path, HEADER + JEAN)
    wait_until(lambda: backend(daemon).state == "ready")
    health = daemon.status()["plugins"]["directories"]["directories"]["book"]["backend"]
    assert (health["rows"], health["error"]) == (1, "")


def test_bad_rows_are_logged_with_line_numbers(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    book = tmp_path / "bad.csv"
    write(book, HEADER + ZOE + "only,two\n" + "Café,Latin,0600000001\n", encoding="latin-1")
    with make_daemon(config(book), {"csv": CsvPlugin()}) as daemon:
        wait_until(lambda: backend(daemon).state == "ready")
        assert backend(daemon).health()["bad_rows"] == 3
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        message.endswith("line 2: bytes that are not valid in the file's encoding (set encoding:)")
        for message in messages
    )
    assert any(message.endswith("line 3: expected 3 fields, got 2") for message in messages)


def test_a_file_over_max_bytes_is_refused(path: pathlib.Path) -> None:
    with make_daemon(config(path, max_bytes=10), {"csv": CsvPlugin()}) as daemon:
        wait_until(lambda: backend(daemon).state == "error")
        assert "over max_bytes (10)" in backend(daemon).error
        assert name_of(daemon, "0612345678") is None


def test_a_missing_file_is_loaded_once_it_appears(tmp_path: pathlib.Path) -> None:
    later = tmp_path / "later.csv"
    with make_daemon(config(later), {"csv": CsvPlugin()}) as daemon:
        wait_until(lambda: backend(daemon).state == "error")
        write(later, HEADER + ZOE)
        wait_until(lambda: name_of(daemon, "+33612345678") == "Zoé Martin")


def test_loading_a_big_file_never_blocks_lookups(tmp_path: pathlib.Path) -> None:
    big = tmp_path / "big.csv"
    write(big, HEADER + "".join(f"F{i},L{i},+336{i:08d}\n" for i in range(30_000)))
    spec = SourceSpec(
        name="big",
        type="csv",
        options=vol.Schema(CsvDirectory.config_schema)({"path": str(big), "poll_interval": 3600}),
        match_direct=("firstname",),
        match_reverse=("phone",),
        fields={},
        display_reverse="",
    )
    source = CsvDirectory(spec)
    ticks = []

    def tick() -> None:
        while True:
            ticks.append(1)
            gevent.sleep(0)

    ticker = gevent.spawn(tick)
    try:
        wait_until(lambda: source.state == "ready", timeout=20)
    finally:
        ticker.kill()
        source.close()
    assert len(ticks) > 10  # other greenlets ran while it loaded
    assert source.reverse(["+33600029999"], 5) == [
        {"firstname": ["F29999"], "lastname": ["L29999"], "phone": ["+33600029999"]}
    ]
