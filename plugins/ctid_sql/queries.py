"""The statements of one `type: sql` directory, built once with SQLAlchemy Core: every value the
caller sends travels as a bound parameter, never inside the SQL text.

Table mode: searches are `ILIKE :pattern ESCAPE '\\'` over `match_direct` (PostgreSQL's ILIKE,
`lower() LIKE lower()` elsewhere), the pattern being the term with `\\`, `%` and `_` escaped, so a
term only ever matches literally. Reverse lookups compare `number_column` (E.164, indexable) with
the candidates, or else each `match_reverse` column stripped of spaces, dots, dashes, slashes and
brackets with every index key of the candidates (a full scan: add a number column on big tables).

Query mode: the operator's own SELECTs, with :pattern / :term / :numbers / :limit bound.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ctid.api import SourceSpec, index_keys, source_fields

ESCAPE = "\\"
_SEPARATORS = (" ", ".", "-", "/", "(", ")")


def like_pattern(term: str) -> str:
    """`%term%` with LIKE's wildcards and the escape character escaped."""
    escaped = term.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def reverse_keys(candidates: Sequence[str]) -> list[str]:
    """The candidates and every index key of theirs (plus `00…` for each `+…`, as numbers are
    often stored), in a stable order."""
    keys: dict[str, None] = dict.fromkeys(candidates)
    for candidate in candidates:
        for key in sorted(index_keys(candidate)):
            keys[key] = None
            if key.startswith("+"):
                keys[f"00{key[1:]}"] = None
    return list(keys)


def _stripped(column: Any) -> Any:
    expression = column
    for separator in _SEPARATORS:
        expression = sa.func.replace(expression, separator, "")
    return expression


@dataclasses.dataclass(frozen=True)
class Statements:
    """The search and reverse statements of one source (None: not supported)."""

    search: Any
    reverse: Any

    def search_params(self, term: str, limit: int) -> dict[str, Any]:
        return {"term": term, "pattern": like_pattern(term), "limit": limit}

    def reverse_params(self, candidates: Sequence[str], limit: int) -> dict[str, Any]:
        return {"numbers": reverse_keys(candidates), "limit": limit}


def statements(spec: SourceSpec, options: Mapping[str, Any]) -> Statements:
    """Build the statements for table mode or query mode."""
    if options["table"] is None:
        search = options["search_query"]
        reverse = options["reverse_query"]
        return Statements(
            search=sa.text(search) if search else None,
            reverse=(
                sa.text(reverse).bindparams(sa.bindparam("numbers", expanding=True))
                if reverse
                else None
            ),
        )
    names = list(source_fields(spec))
    if options["number_column"] and options["number_column"] not in names:
        names.append(options["number_column"])
    table = sa.table(
        options["table"], *[sa.column(name) for name in names], schema=options["schema"]
    )
    selected = [table.c[name] for name in source_fields(spec)]
    limit: Any = sa.bindparam("limit")
    search = None
    if spec.match_direct:
        pattern: Any = sa.bindparam("pattern")
        matches = [table.c[name].ilike(pattern, escape=ESCAPE) for name in spec.match_direct]
        search = sa.select(*selected).where(sa.or_(*matches)).limit(limit)
    numbers: Any = sa.bindparam("numbers", expanding=True)
    if options["number_column"]:
        where = table.c[options["number_column"]].in_(numbers)
    elif spec.match_reverse:
        where = sa.or_(*[_stripped(table.c[name]).in_(numbers) for name in spec.match_reverse])
    else:
        return Statements(search=search, reverse=None)
    return Statements(search=search, reverse=sa.select(*selected).where(where).limit(limit))


def records(rows: Sequence[Any]) -> list[dict[str, list[str]]]:
    """Result rows as records: column → [text], NULL and empty values left out."""
    found = []
    for row in rows:
        mapping = row._mapping
        found.append(
            {str(key): [str(value)] for key, value in mapping.items() if value not in (None, "")}
        )
    return found
