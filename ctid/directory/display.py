"""Turning raw records into what users see: `db-<key>` fields, the reverse-lookup caller name,
and search result rows formatted to a context's display.

Placeholders are plain `{name}` substitutions, never Python format specs, so operator templates
cannot reach attributes and directory data cannot inject anything: a value is inserted as text,
with the row separator `;` and control characters turned into spaces so that a row keeps its
columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ctid.directory.sources import Record, SourceSpec, template_names

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_UNSAFE = re.compile(r"[;\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def first_value(record: Record, field: str, preferred: Mapping[str, str] | None = None) -> str:
    """A field's value: the one a reverse lookup matched when there is one, else the first."""
    if preferred and field in preferred:
        return preferred[field]
    values = record.get(field) or []
    return values[0] if values else ""


def substitute(template: str, values: Mapping[str, str]) -> tuple[str, int, int]:
    """Replace each `{name}` by its value ("" when missing).

    :returns: (text, placeholders seen, placeholders that gave a non-empty value).
    """
    seen = filled = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal seen, filled
        seen += 1
        value = values.get(match.group(1), "")
        filled += bool(value)
        return value

    return _PLACEHOLDER.sub(replace, template), seen, filled


def tidy(text: str) -> str:
    """Collapse runs of spaces a missing placeholder leaves, trim the ends."""
    return _SPACES.sub(" ", text).strip()


def db_fields(
    spec: SourceSpec, record: Record, preferred: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`db-<key>` for every key of the source's `fields`, from one record."""
    result = {}
    for key, source in spec.fields.items():
        if template_names(source):
            raw = {name: first_value(record, name, preferred) for name in template_names(source)}
            text = substitute(source, raw)[0]
        else:
            text = first_value(record, source, preferred)
        result[f"db-{key}"] = tidy(text)
    return result


def caller_fields(
    spec: SourceSpec, label: str, record: Record, preferred: Mapping[str, str]
) -> dict[str, str]:
    """A reverse lookup's answer: `db-*`, `dbr-display` and `xivo-directory`."""
    fields = db_fields(spec, record, preferred)
    fields["xivo-directory"] = label
    fields["dbr-display"] = tidy(substitute(spec.display_reverse, fields)[0])
    return fields


def headers(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    """The column titles of a display."""
    return [str(column["title"]) for column in columns]


def row(columns: Sequence[Mapping[str, Any]], values: Mapping[str, str]) -> str:
    """One result line `a;b;c`. A column whose placeholders all came out empty shows its
    default (XiVO's rule)."""
    cells = []
    for column in columns:
        text, seen, filled = substitute(column["format"], values)
        cell = column["default"] if seen and not filled else text
        cells.append(tidy(_UNSAFE.sub(" ", cell)))
    return ";".join(cells)
