"""Options of a `type: sql` directory, beside the core's directory keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc

from ctid.api import Secret, between, positive_duration, vol

Opt = vol.Optional
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


def database_url(value: Any) -> str:
    """An SQLAlchemy URL without a password (that goes under `password:`, which is masked)."""
    try:
        url = sa.engine.make_url(str(value))
    except (sqlalchemy.exc.ArgumentError, ValueError):
        raise vol.Invalid(
            "expected a database URL such as postgresql+psycopg://ctid@db/crm"
        ) from None
    if url.password:
        raise vol.Invalid("expected a URL without its password: put it under password:")
    return str(value)


def identifier(value: Any) -> str:
    """A table, schema or column name (letters, digits, `_`); quoted by SQLAlchemy."""
    if not isinstance(value, str) or _IDENTIFIER.fullmatch(value) is None:
        raise vol.Invalid("expected a name of letters, digits and _")
    return value


def query(*names: str) -> Any:
    """An SQL text that uses every one of the given named parameters."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise vol.Invalid("expected an SQL query")
        missing = [name for name in names if not re.search(rf":{name}\b", value)]
        if missing:
            raise vol.Invalid(f"expected a query using :{', :'.join(missing)}")
        return value

    return check


def search_terms(value: str) -> str:
    """A search query must use what the user typed, as :pattern or :term."""
    if not re.search(r":(pattern|term)\b", value):
        raise vol.Invalid("expected a query using :pattern or :term")
    return value


OPTIONS: dict[Any, Any] = {
    vol.Required("url", description="SQLAlchemy database URL, without the password"): (
        database_url
    ),
    Secret("password", default="", description="database password (never logged)"): str,
    Opt("table", default=None, description="table (or view) whose columns are the fields"): (
        vol.Any(None, identifier)
    ),
    Opt("schema", default=None, description="schema of the table"): vol.Any(None, identifier),
    Opt(
        "number_column",
        default=None,
        description="indexed column of E.164 numbers (+33…) used for reverse lookups "
        "instead of comparing match_reverse columns",
    ): vol.Any(None, identifier),
    Opt(
        "search_query",
        default=None,
        description="instead of table: SELECT for searches, with :pattern "
        "(%term%, LIKE-escaped, use ESCAPE '\\') or :term, and :limit",
    ): vol.Any(None, vol.All(query("limit"), search_terms)),
    Opt(
        "reverse_query",
        default=None,
        description="instead of table: SELECT for reverse lookups, with :numbers "
        "(the candidate list, for IN) and :limit",
    ): vol.Any(None, query("numbers", "limit")),
    Opt("connect_timeout", default=2.0, description="deadline to open a connection"): (
        positive_duration
    ),
    Opt("queue", default=8, description="calls waiting for the database before failing fast"): (
        between(1, 1000)
    ),
}


def option_problems(options: Mapping[str, Any]) -> list[str]:
    """What the per-key checks cannot see: keys that only make sense together."""
    queries = options.get("search_query") is not None or options.get("reverse_query") is not None
    if options.get("table") is None and not queries:
        return ["expected table, or search_query and/or reverse_query"]
    if options.get("table") is not None and queries:
        return ["expected table or queries, not both"]
    if options.get("password") and str(options.get("url", "")).startswith("sqlite"):
        return ["expected no password with sqlite (it has none)"]
    return []
