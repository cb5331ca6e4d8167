"""The `dbvars` plugin: `db-*`, `dbr-display` and `xivo-directory` sheet variables from a
reverse lookup of the caller (`ctid_register_sheet_variables`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import CallEvent, Ctid, hookimpl, positive_duration, string_list, vol
from ctid_dbvars.lookup import db_variables

DIRECTIONS = ("incoming", "internal", "outgoing")


def directions(value: Any) -> list[str]:
    """Call directions, among incoming, internal and outgoing."""
    items = string_list(value)
    for item in items:
        if item not in DIRECTIONS:
            raise vol.Invalid(f"expected directions among {', '.join(DIRECTIONS)}, not {item!r}")
    return items


class DbVarsPlugin:
    """Provides the `db` family (and `dbr-display`, `xivo-directory` with it)."""

    config_schema: ClassVar[dict[Any, Any]] = {
        vol.Optional(
            "deadline",
            default=0.8,
            description="the reverse lookup answers within this, or the sheet goes without it",
        ): positive_duration,
        vol.Optional(
            "directions",
            default=list(DIRECTIONS),
            description="calls whose caller is looked up: incoming, internal, outgoing",
        ): directions,
    }

    def __init__(self) -> None:
        self.ctid: Ctid | None = None

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid

    @hookimpl
    def ctid_register_sheet_variables(self) -> Mapping[str, Any]:
        return {"db": self.variables}

    def variables(self, event: CallEvent) -> dict[str, str]:
        """The directory's answer for the event's caller (nothing before the plugin started)."""
        ctid = self.ctid
        if ctid is None:
            return {}
        options = ctid.config

        def lookup(number: str, context: str, did: str) -> Mapping[str, Any] | None:
            answer: Mapping[str, Any] | None = ctid.query(
                "ctid_reverse_lookup",
                timeout=options["deadline"],
                number=number,
                context=context,
                did=did,
            )
            return answer

        return db_variables(event, lookup, options["directions"])
