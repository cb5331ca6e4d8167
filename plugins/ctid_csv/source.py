"""One `type: csv` directory: the file loaded in memory, watched, reloaded when it changes.

A greenlet checks the file's modification time, size and inode every `poll_interval`. A change
loads a new `Table` off to the side (yielding to other greenlets every few thousand rows) and swaps
it in with one assignment, so lookups never wait for a load and never see half a file. A file that
vanishes or cannot be read keeps the last good table. Write a new version atomically (write a
temporary file, then `mv` it over the old one) so that a half-written file is never loaded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import gevent

from ctid.api import Record, SourceSpec
from ctid_csv.schema import OPTIONS
from ctid_csv.table import Format, Table, TableError, load

log = logging.getLogger(__name__)

Stamp = tuple[int, int, int]


class CsvDirectory:
    """The `csv` backend: in-memory reverse index and search index of one file."""

    config_schema: ClassVar[dict[Any, Any]] = OPTIONS

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.path = str(spec.options["path"])
        self.form = Format.from_options(spec.options)
        self.interval = float(spec.options["poll_interval"])
        self.max_bytes = int(spec.options["max_bytes"])
        self.table = Table()
        self.state = "loading"
        self.error = ""
        self.loaded_at = 0.0
        self.load_seconds = 0.0
        self._stamp: Stamp | None = None
        self._watcher = gevent.spawn(self._watch)

    def search(self, term: str, limit: int) -> list[Record]:
        return self.table.search(term, limit)

    def reverse(self, candidates: Sequence[str], limit: int) -> list[Record]:
        return self.table.reverse(candidates, limit)

    def close(self) -> None:
        self._watcher.kill(block=False)

    def health(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "path": self.path,
            "rows": len(self.table.rows),
            "bad_rows": self.table.bad_rows,
            "error": self.error,
            "loaded_at": self.loaded_at,
            "load_seconds": round(self.load_seconds, 3),
        }

    def _watch(self) -> None:
        while True:
            self.check()
            gevent.sleep(self.interval)

    def check(self) -> bool:
        """Load the file when it changed since the last look; True when a new table is in."""
        try:
            info = os.stat(self.path)
        except OSError as exc:
            self._fail(f"cannot read {self.path}: {exc.strerror}")
            return False
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp == self._stamp:
            return False
        self._stamp = stamp  # a file that fails to load is retried only once it changes again
        if info.st_size > self.max_bytes:
            self._fail(f"{self.path} has {info.st_size} bytes, over max_bytes ({self.max_bytes})")
            return False
        started = time.monotonic()
        try:
            with open(self.path, "rb") as file:
                table = load(
                    file, self.form, self.spec.match_direct, self.spec.match_reverse, _pause
                )
        except (OSError, TableError) as exc:
            self._fail(f"{self.path}: {exc}")
            return False
        self.table, self.state, self.error = table, "ready", ""
        self.loaded_at, self.load_seconds = time.time(), time.monotonic() - started
        self._report(table)
        return True

    def _fail(self, why: str) -> None:
        if why != self.error:
            log.error(
                "directory %s: %s; keeping %d rows", self.spec.name, why, len(self.table.rows)
            )
        self.error = why
        self.state = "error" if not self.table.rows else "stale"

    def _report(self, table: Table) -> None:
        log.info(
            "directory %s: %d rows loaded from %s in %.2f s, %d bad rows skipped",
            self.spec.name,
            len(table.rows),
            self.path,
            self.load_seconds,
            table.bad_rows,
        )
        for problem in table.problems:
            log.warning("directory %s: %s: %s", self.spec.name, self.path, problem)
        for name in (*self.spec.match_direct, *self.spec.match_reverse):
            if table.columns and name not in table.columns:
                log.warning("directory %s: %s has no column %r", self.spec.name, self.path, name)


def _pause() -> None:
    gevent.sleep(0)
