"""`dumpami`: raw AMI events streamed to the info consoles that asked for them.

The AMI reader calls `publish` for every event (the hot path). With no console dumping it returns
at once; otherwise the event is formatted once, as one JSON line, and pushed to each matching
console through its bounded queue. A console that cannot keep up is disconnected by its
connection and forgotten here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Protocol

MAX_FILTER = 64
"""Event names one console may filter on."""
_EVENT_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


class Writer(Protocol):
    """A console as the dump sees it."""

    def write(self, line: str) -> bool:
        """Push one line; False when the console is gone or too slow."""


Filter = frozenset[str] | None
"""Lower-cased event names, or None for every event."""


class DumpFilterError(ValueError):
    """The event list of `dumpami enable` is not a comma-separated list of event names."""


def parse_filter(words: list[str]) -> Filter:
    """`["Newchannel,Hangup"]` (or several words) → `{"newchannel", "hangup"}`; `[]` → None."""
    names = [name for word in words for name in word.split(",") if name]
    if not names:
        return None
    if len(names) > MAX_FILTER:
        raise DumpFilterError(f"at most {MAX_FILTER} event names")
    for name in names:
        if not _EVENT_NAME.fullmatch(name):
            raise DumpFilterError(f"not an AMI event name: {name!r}")
    return frozenset(name.lower() for name in names)


def describe(selection: Filter) -> str:
    """`all events` or the sorted names."""
    return "all events" if selection is None else ",".join(sorted(selection))


class AmiDump:
    """The consoles dumping AMI events, each with its filter."""

    def __init__(self) -> None:
        self._consoles: dict[Writer, Filter] = {}
        self.events_dumped = 0
        """Events formatted for at least one console."""

    def __len__(self) -> int:
        return len(self._consoles)

    def subscribe(self, console: Writer, selection: Filter) -> None:
        """Start (or change) a console's dump."""
        self._consoles[console] = selection

    def unsubscribe(self, console: Writer) -> bool:
        """Stop a console's dump; False if it was not dumping."""
        return self._consoles.pop(console, False) is not False

    def dumping(self, console: Writer) -> bool:
        """Whether the console is dumping."""
        return console in self._consoles

    def selection(self, console: Writer) -> Filter:
        """The console's filter (None: every event, or not dumping)."""
        return self._consoles.get(console)

    def publish(self, ipbx_id: str, event: Mapping[str, str]) -> int:
        """Push one event to the matching consoles; how many received it."""
        if not self._consoles:
            return 0
        name = event.get("Event", "").lower()
        targets = [c for c, sel in self._consoles.items() if sel is None or name in sel]
        if not targets:
            return 0
        self.events_dumped += 1
        line = f"ami {ipbx_id} {json.dumps(dict(event), ensure_ascii=False)}"
        delivered = 0
        for console in targets:
            if console.write(line):
                delivered += 1
            else:
                self.unsubscribe(console)
        return delivered
