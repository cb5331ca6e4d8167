"""The directory service: the configured sources, a name search across a user's contexts, and the
reverse lookup of a caller number, each source called in its own greenlet under its deadline.

Reverse: the directories of the call's context for its DID (else `*`) are asked at once; the first
one *in configured order* that holds the caller wins, so an answer is given as soon as every source
before the winner has answered, and a source still silent at the deadline is skipped (fail-open).
Every record a backend returns is re-checked on normalized numbers before it counts. Answers are
cached by normalized number (unknown callers too) unless a source failed on the way.

Search: every directory of the user's contexts is asked at once; rows are formatted to the first
configured context's display, de-duplicated, sorted per directory, directories in configured
order; a source that failed or timed out leaves the answer `partial`, naming it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gevent
import gevent.pool

from ctid.config.directories import REVERSE, Origin
from ctid.directory import display
from ctid.directory.cache import Answer, ReverseCache
from ctid.directory.config import Directory, build
from ctid.directory.health import SourceHealth
from ctid.directory.matching import Outcome, decide, recheck, wanted
from ctid.directory.numbers import canonical, with_national_forms
from ctid.directory.sources import Backend, BackendFactory, Record

log = logging.getLogger(__name__)

Normalize = Callable[[str, str, float], Sequence[str] | None]
"""`normalize(number, context, timeout)`: the candidates `ctid_normalize_number` gives."""

REVERSE_LIMIT = 10
"""Records asked of one source per reverse lookup; the re-check keeps the first that matches."""
MAX_RESULTS = 1000
MAX_TERM = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DirectoryService:
    """Sources by name, the reverse cache, and the greenlets of the requests in flight."""

    def __init__(self, normalize: Normalize) -> None:
        self._normalize = normalize
        self._directories: dict[str, Directory] = {}
        self._backends: dict[str, Backend] = {}
        self._health: dict[str, SourceHealth] = {}
        self._contexts: Mapping[str, Any] = {}
        self.settings: Mapping[str, Any] = REVERSE({})
        self.cache = ReverseCache(0, 0, 0)
        self._group = gevent.pool.Group()

    # --- configuration ----------------------------------------------------------------------

    def configure(
        self, data: Mapping[str, Any], factories: Mapping[str, BackendFactory], origin: Origin
    ) -> None:
        """Apply a validated config: open new or changed sources, close the others, flush."""
        directories, problems = build(data, factories, origin)
        for problem in problems:
            log.error("directory not started: %s", problem)
        for name in list(self._backends):
            if name not in directories or directories[name] != self._directories.get(name):
                self._close(name)
        self._directories = directories
        for name, directory in directories.items():
            if name not in self._backends:
                self._open(name, directory, factories[directory.spec.type])
        self._contexts = data["contexts"]
        self.settings = data["reverse"]
        cache = self.settings["cache"]
        self.cache = ReverseCache(
            cache["positive_ttl"], cache["negative_ttl"], cache["max_entries"]
        )

    def _open(self, name: str, directory: Directory, factory: BackendFactory) -> None:
        health = self._health.setdefault(name, SourceHealth(name))
        try:
            self._backends[name] = factory(directory.spec)
        except Exception as exc:  # a backend factory is plugin code
            health.broken(f"cannot start: {type(exc).__name__}: {exc}")
            log.error("directory %s (%s) cannot start: %s", name, directory.spec.type, exc)
            return
        health.opened()

    def _close(self, name: str) -> None:
        backend = self._backends.pop(name, None)
        self._health.pop(name, None)
        if backend is None:
            return
        try:
            backend.close()
        except Exception:  # a backend is plugin code; closing must go on
            log.exception("directory %s did not close cleanly", name)

    def close(self) -> None:
        """Stop every request in flight and close every source."""
        self._group.kill(block=False)
        for name in list(self._backends):
            self._close(name)
        self._directories = {}

    def region_for(self, context: str) -> str:
        """The country a call in `context` is dialled from."""
        return str(self.settings["regions"].get(context) or self.settings["default_region"])

    # --- reverse lookup ---------------------------------------------------------------------

    def reverse_lookup(self, number: str, context: str, did: str) -> dict[str, str] | None:
        """The caller's fields (`db-*`, `dbr-display`, `xivo-directory`), or None."""
        names = self.reverse_directories(context, did)
        if not names:
            log.debug(
                "reverse lookup of %r: no directory for context %r, DID %r", number, context, did
            )
            return None
        end = time.monotonic() + self.settings["deadline"]
        asked = self._normalize(number, context, self.settings["deadline"]) or []
        candidates = with_national_forms([str(candidate) for candidate in asked])
        region = self.region_for(context)
        numbers = wanted(candidates, region)
        log.debug("reverse lookup of %r in %s: candidates %s", number, context, candidates)
        if not numbers:
            return None
        key = (names, canonical(candidates[0], region) or candidates[0])
        hit, answer = self.cache.get(key)
        if not hit:
            answer, complete = self._first_match(names, candidates, numbers, end)
            if complete:
                self.cache.put(key, answer)
        log.debug(
            "reverse lookup of %r (%s): %s%s",
            number,
            key[1],
            answer.get("xivo-directory") if answer else "no match",
            " (cached)" if hit else "",
        )
        return dict(answer) if answer is not None else None

    def reverse_directories(self, context: str, did: str) -> tuple[str, ...]:
        """The directories asked for callers of `context` on `did`, in order."""
        mapping = (self._contexts.get(context) or {}).get("reverse") or {}
        names = mapping.get(did) or mapping.get("*") or ()
        return tuple(name for name in names if name in self._directories)

    def _first_match(
        self, names: tuple[str, ...], candidates: list[str], wanted: set[str], end: float
    ) -> tuple[Answer, bool]:
        outcomes = {name: Outcome() for name in names}
        greenlets = [
            self._group.spawn(self._reverse_one, name, candidates, wanted, outcomes[name])
            for name in names
        ]
        try:
            for _done in gevent.iwait(greenlets, timeout=max(0.0, end - time.monotonic())):
                answer, decided, clean = decide(names, outcomes)
                if decided:
                    return answer, clean
            answer, _decided, _clean = decide(names, outcomes, final=True)
            return answer, False
        finally:
            for greenlet in greenlets:
                greenlet.kill(block=False)

    def _reverse_one(
        self, name: str, candidates: list[str], wanted: set[str], out: Outcome
    ) -> None:
        self._call(name, out, lambda backend: backend.reverse(candidates, REVERSE_LIMIT))
        directory = self._directories.get(name)  # a reload may have removed it meanwhile
        if out.state == "ok" and directory is not None:
            out.answer = recheck(directory, out.records, wanted)

    # --- search -----------------------------------------------------------------------------

    def search(self, term: str, contexts: Sequence[str], limit: int) -> dict[str, Any] | None:
        """Rows of the user's contexts' directories matching `term`, formatted for display;
        None when none of those contexts is configured (another implementation may answer)."""
        if not any(context in self._contexts for context in contexts):
            return None
        term = _CONTROL.sub("", term).strip()[:MAX_TERM]
        names, columns = self._search_plan(contexts)
        result: dict[str, Any] = {
            "headers": display.headers(columns),
            "resultlist": [],
            "status": "ok",
        }
        if not term or not names or limit <= 0:
            return result
        limit = min(limit, MAX_RESULTS)
        outcomes = {name: Outcome() for name in names}
        greenlets = [
            self._group.spawn(self._call, name, outcomes[name], lambda b: b.search(term, limit))
            for name in names
        ]
        longest = max(self._directories[name].spec.timeout for name in names)
        gevent.joinall(greenlets, timeout=longest + 0.1)
        for greenlet in greenlets:
            greenlet.kill(block=False)
        rows, failed = self._rows(names, outcomes, columns)
        result["resultlist"] = rows[:limit]
        if failed:
            result["status"] = "partial"
            result["failed"] = failed
        log.debug("search %r in %s: %d rows, failed: %s", term, list(contexts), len(rows), failed)
        return result

    def _search_plan(
        self, contexts: Sequence[str]
    ) -> tuple[list[str], Sequence[Mapping[str, Any]]]:
        """The directories of the user's contexts (first seen first) and the display of the
        first configured one."""
        configured = [self._contexts[c] for c in contexts if c in self._contexts]
        columns: Sequence[Mapping[str, Any]] = configured[0]["display"]
        names: dict[str, None] = {}
        for section in configured:
            for name in section["directories"]:
                if name in self._directories:
                    names.setdefault(name, None)
        return list(names), columns

    def _rows(
        self,
        names: list[str],
        outcomes: Mapping[str, Outcome],
        columns: Sequence[Mapping[str, Any]],
    ) -> tuple[list[str], list[str]]:
        rows: dict[str, None] = {}
        failed = []
        for name in names:
            outcome, directory = outcomes[name], self._directories.get(name)
            if outcome.state != "ok" or directory is None:
                failed.append(name)
                continue
            mine = set()
            for record in outcome.records:
                values = display.db_fields(directory.spec, record)
                values["xivo-directory"] = directory.label
                mine.add(display.row(columns, values))
            for row in sorted(mine, key=str.casefold):
                rows.setdefault(row, None)
        return list(rows), failed

    # --- calling one source -----------------------------------------------------------------

    def _call(self, name: str, out: Outcome, call: Callable[[Backend], list[Record]]) -> None:
        """Run one backend call under the source's deadline; record how it went."""
        backend, health = self._backends.get(name), self._health.get(name)
        if backend is None or health is None or name not in self._directories:
            out.state = "error"
            return
        timer = gevent.Timeout(self._directories[name].spec.timeout)
        timer.start()
        started = time.monotonic()
        try:
            out.records = list(call(backend))
            out.state = "ok"
        except gevent.Timeout as exc:
            if exc is not timer:
                raise  # the caller's deadline, not this source's
            out.state = "timeout"
        except Exception as exc:  # a backend is plugin code; fail open
            out.state = "error"
            health.failed(f"{type(exc).__name__}: {exc}")
        finally:
            timer.close()
        health.record(out.state, time.monotonic() - started)

    def status(self) -> dict[str, Any]:
        """Each source's health (its backend's view inside), and the cache's counters."""
        sources = {}
        for name, directory in self._directories.items():
            health = self._health.get(name)
            entry: dict[str, Any] = {"type": directory.spec.type}
            entry.update(health.view() if health else {"state": "failed"})
            backend = self._backends.get(name)
            if backend is not None:
                try:
                    entry["backend"] = backend.health()
                except Exception as exc:  # plugin code
                    entry["backend"] = {"error": f"{type(exc).__name__}: {exc}"}
            sources[name] = entry
        return {"directories": sources, "reverse_cache": self.cache.stats()}
