"""`MemoryDirectories`: a plugin registering the `memory` directory backend, whose records the
test holds, for tests of the directory service and of plugins that use it.

Each `directories:` entry of `type: memory` serves `plugin.records[<its name>]`, matching as a
real backend would (case-insensitive substring over `match_direct`; numbers sharing an index key
over `match_reverse`). Every call is counted in `plugin.calls`; `plugin.delay[name]` makes a source
slow (or hang), `plugin.errors[name]` makes it raise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gevent

from ctid.api import Backend, Record, SourceSpec, hookimpl, index_keys


class MemoryDirectories:
    """The `memory` backend type and the records of its sources."""

    def __init__(self, records: Mapping[str, Sequence[Record]] | None = None) -> None:
        self.records: dict[str, list[Record]] = {k: list(v) for k, v in (records or {}).items()}
        self.calls: list[tuple[str, str, Any]] = []
        """(source, "search" or "reverse", the term or the candidates), in call order."""
        self.delay: dict[str, float] = {}
        self.errors: dict[str, Exception] = {}
        self.opened: list[str] = []
        self.closed: list[str] = []

    @hookimpl
    def ctid_register_directory_backends(self) -> dict[str, Any]:
        return {"memory": _Factory(self)}

    def calls_to(self, source: str) -> list[tuple[str, Any]]:
        """The calls one source received."""
        return [(method, arg) for name, method, arg in self.calls if name == source]


class _Factory:
    config_schema: ClassVar[dict[Any, Any]] = {}

    def __init__(self, plugin: MemoryDirectories) -> None:
        self.plugin = plugin

    def __call__(self, spec: SourceSpec) -> Backend:
        self.plugin.opened.append(spec.name)
        return MemoryBackend(spec, self.plugin)


class MemoryBackend:
    """One `memory` source."""

    def __init__(self, spec: SourceSpec, plugin: MemoryDirectories) -> None:
        self.spec = spec
        self.plugin = plugin

    def _enter(self, method: str, arg: Any) -> list[Record]:
        name = self.spec.name
        self.plugin.calls.append((name, method, arg))
        if self.plugin.delay.get(name):
            gevent.sleep(self.plugin.delay[name])
        if name in self.plugin.errors:
            raise self.plugin.errors[name]
        return self.plugin.records.get(name, [])

    def search(self, term: str, limit: int) -> list[Record]:
        needle = term.casefold()
        found = [
            record
            for record in self._enter("search", term)
            if any(
                needle in value.casefold()
                for field in self.spec.match_direct
                for value in record.get(field, [])
            )
        ]
        return found[:limit]

    def reverse(self, candidates: Sequence[str], limit: int) -> list[Record]:
        keys = set().union(*(index_keys(candidate) for candidate in candidates))
        found = [
            record
            for record in self._enter("reverse", list(candidates))
            if any(
                keys & index_keys(value)
                for field in self.spec.match_reverse
                for value in record.get(field, [])
            )
        ]
        return found[:limit]

    def close(self) -> None:
        self.plugin.closed.append(self.spec.name)

    def health(self) -> dict[str, Any]:
        return {"records": len(self.plugin.records.get(self.spec.name, []))}
