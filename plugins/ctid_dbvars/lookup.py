"""The `db-*` / `dbr-*` variables: who is calling, from a reverse directory lookup.

The lookup goes through `ctid_reverse_lookup` (the directory service) under this plugin's
deadline, which stays below the sheet's variables deadline: a slow or failing directory costs
the sheet its `db-*` lines (their defaults show), never its delivery. Only the names a
directory is meant to give are kept: `db-*`, `dbr-*`, `xivo-directory`, `xivo-reverse-nresults`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ctid.api import CallEvent

FAMILIES = ("db-", "dbr-")
XIVO_NAMES = frozenset({"xivo-directory", "xivo-reverse-nresults"})

Lookup = Callable[[str, str, str], Mapping[str, Any] | None]
"""(number, context, did) → the directory's answer, or None."""


def wanted(name: object) -> bool:
    """Whether a name from a directory answer may become a sheet variable."""
    return isinstance(name, str) and (name.startswith(FAMILIES) or name in XIVO_NAMES)


def db_variables(event: CallEvent, lookup: Lookup, directions: Collection[str]) -> dict[str, str]:
    """The directory's answer for the event's caller, filtered; {} when there is none."""
    number = event.caller_num.strip()
    if not number or event.direction not in directions:
        return {}
    found = lookup(number, event.context, event.did)
    if not found:
        return {}
    return {
        name: str(value)
        for name, value in found.items()
        if wanted(name) and isinstance(value, str | int | float) and not isinstance(value, bool)
    }
