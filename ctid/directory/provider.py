"""The core's own implementations of the directory hooks, registered by the daemon before any
plugin so that a plugin's implementation of the same query hook is asked first (newest first).

- `ctid_normalize_number`: the phonenumbers-based default (`reverse.default_region`, per-context
  `reverse.regions`, `reverse.min_length`); a site plugin with odd trunks replaces it.
- `ctid_reverse_lookup` and `ctid_search_directory`: the directory service.
- the info console command `reverse <context> <number> [did]`, which goes through the hooks
  exactly as a call would (site normalizers and lookup plugins included) and prints each step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pluggy

from ctid.config.directories import Origin
from ctid.consoles import InfoCommandError, InfoConsole, InfoHandler
from ctid.directory import numbers
from ctid.directory.service import DirectoryService
from ctid.directory.sources import BackendFactory
from ctid.hookspecs import PROJECT
from ctid.plugins import Hooks

log = logging.getLogger(__name__)

hookimpl = pluggy.HookimplMarker(PROJECT)

USAGE = "usage: reverse <context> <number> [did]"


class DirectoryHooks:
    """The directory service, plugged into the hooks."""

    NAME = "directories"
    """The name the core registers it under (it shows in status with the sources' health)."""

    def __init__(self, hooks: Hooks) -> None:
        self._hooks = hooks
        self.service = DirectoryService(self._normalize)

    def configure(
        self, data: Mapping[str, Any], factories: Mapping[str, BackendFactory], origin: Origin
    ) -> None:
        """Apply a (re)loaded config: sources opened or closed, the cache flushed."""
        numbers.load_metadata()
        self.service.configure(data, factories, origin)

    def close(self) -> None:
        """Close every source (daemon stop)."""
        self.service.close()

    def _normalize(self, number: str, context: str, timeout: float) -> Sequence[str] | None:
        answer: Sequence[str] | None = self._hooks.query(
            "ctid_normalize_number", timeout, number=number, context=context
        )
        return answer

    @hookimpl
    def ctid_normalize_number(self, number: str, context: str) -> list[str]:
        settings = self.service.settings
        region = self.service.region_for(context)
        return numbers.candidates(number, region, settings["min_length"])

    @hookimpl
    def ctid_reverse_lookup(self, number: str, context: str, did: str) -> dict[str, str] | None:
        return self.service.reverse_lookup(number, context, did)

    @hookimpl
    def ctid_search_directory(
        self, term: str, contexts: Sequence[str], limit: int
    ) -> dict[str, Any] | None:
        return self.service.search(term, contexts, limit)

    @hookimpl
    def ctid_register_info_commands(self) -> dict[str, InfoHandler]:
        return {"reverse": self._info_reverse}

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        return self.service.status()

    def _info_reverse(self, console: InfoConsole, args: list[str]) -> Iterable[str]:
        """reverse <context> <number> [did]: who is calling, step by step (directories)."""
        if len(args) not in (2, 3):
            raise InfoCommandError(USAGE)
        context, number = args[0], args[1]
        did = args[2] if len(args) == 3 else ""
        deadline = self.service.settings["deadline"]
        candidates = self._normalize(number, context, deadline) or []
        names = self.service.reverse_directories(context, did)
        lines = [
            f"context: {context}",
            f"did: {did or '(none)'}",
            f"candidates: {' '.join(candidates) or '(none: not looked up)'}",
            f"directories: {' '.join(names) or '(none)'}",
        ]
        # A little more than the service's own deadline: its fail-open answer must get through.
        found = self._hooks.query(
            "ctid_reverse_lookup", deadline + 0.5, number=number, context=context, did=did
        )
        if not found:
            return [*lines, "no match"]
        return lines + [f"{key}: {value}" for key, value in sorted(dict(found).items())]
