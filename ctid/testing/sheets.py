"""Sheet test kit: a plugin recording the sheets a daemon renders, call events made by hand,
and `users:` entries with one line.

    catcher = SheetCatcher()
    with make_daemon({"users": [user("alice", "1001")], "sheets": {...}}, {"catch": catcher}) as d:
        d.hooks.notify("ctid_call_event_emitted", event=call_event("dial", peer_exten="1001"))
        [sheet] = catcher.wait_for(1)
"""

from __future__ import annotations

import itertools
from typing import Any

import pluggy

from ctid.callevents import CallEvent
from ctid.hookspecs import PROJECT
from ctid.sheets.model import Sheet
from ctid.testing.daemon import wait_until

hookimpl = pluggy.HookimplMarker(PROJECT)

_SEQUENCE = itertools.count(1)


class SheetCatcher:
    """A plugin that keeps every sheet given to `ctid_sheet_rendered`, in order."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    @hookimpl
    def ctid_sheet_rendered(self, sheet: Sheet) -> None:
        self.sheets.append(sheet)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Sheet]:
        """Wait until `count` sheets were rendered; the first `count` of them."""
        wait_until(lambda: len(self.sheets) >= count, timeout, f"{count} sheet(s)")
        return self.sheets[:count]

    def named(self, name: str) -> list[Sheet]:
        """The sheets of one definition."""
        return [sheet for sheet in self.sheets if sheet.name == name]


def call_event(where: str = "dial", **fields: Any) -> CallEvent:
    """A call event with plausible defaults (an outside caller in context `default`)."""
    defaults: dict[str, Any] = {
        "ipbx_id": "xivo",
        "sequence": next(_SEQUENCE),
        "time": 1795727755.0,
        "channel": "PJSIP/trunk-00000001",
        "uniqueid": "1795727755.1",
        "linkedid": "1795727755.1",
        "context": "default",
        "caller_num": "0612345678",
        "caller_name": "Outside Caller",
        "direction": "incoming",
        "origin": "did",
        "contexts": frozenset({"default"}),
    }
    return CallEvent(where=where, **{**defaults, **fields})


def user(login: str, number: str = "", context: str = "default", **options: Any) -> dict[str, Any]:
    """A `users:` entry; with a number, one line `PJSIP/<number>` in `context`."""
    entry: dict[str, Any] = {"login": login, **options}
    if number:
        line = {"context": context, "number": number, "interface": f"PJSIP/{number}"}
        entry["lines"] = [line]
    return entry
