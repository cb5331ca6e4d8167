"""Directory sources: the contract between the directory service and backend plugins.

A backend plugin registers factories through `ctid_register_directory_backends`, keyed by type
name (`csv`, `sql`, `ldap`…). For each `directories.<name>` of that type the core calls the factory
with a `SourceSpec` and gets a `Backend`: one configured source. The core owns everything around
the backend: which sources a context uses, the deadline of each call (it runs every source in its
own greenlet under `gevent.Timeout(spec.timeout)`), the re-check of reverse matches on normalized
numbers, formatting and de-duplication. A backend only finds raw records.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

Record = dict[str, list[str]]
"""One directory entry: raw source field → its values (multi-valued attributes keep every value,
single-valued columns give a list of one)."""

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """One configured directory (`directories.<name>`), as its backend sees it."""

    name: str
    """The key under `directories:`."""
    type: str
    """The backend type (the name it was registered under)."""
    options: Mapping[str, Any]
    """The backend's own options, validated (defaults filled) by the factory's `config_schema`."""
    match_direct: tuple[str, ...]
    """Source fields searched by a direct (name) search."""
    match_reverse: tuple[str, ...]
    """Source fields compared by a reverse (caller number) lookup."""
    fields: Mapping[str, str]
    """`<key>` → a source field name, or a template such as `"{givenName} {sn}"`; yields
    `db-<key>`."""
    display_reverse: str
    """What a reverse lookup shows as `dbr-display`, e.g. `"{db-firstname} {db-lastname}"`."""
    timeout: float = 1.0
    """The deadline of one call to this source, in seconds."""


class Backend(Protocol):
    """One directory source. Calls may block on I/O: gevent-patched sockets are fine; a blocking
    C driver must run in gevent's threadpool inside the backend. The core calls each source
    under `gevent.Timeout(spec.timeout)`, concurrently with the others."""

    def search(self, term: str, limit: int) -> list[Record]:
        """At most `limit` records whose `match_direct` fields contain `term` (case-insensitive
        substring). `term` is hostile: the backend escapes it for its query language."""

    def reverse(self, candidates: Sequence[str], limit: int) -> list[Record]:
        """At most `limit` records whose `match_reverse` fields equal one of `candidates`: the
        forms of one caller number (E.164, national digits, raw). Matching broadly is fine: the
        core re-checks every record on normalized values."""

    def close(self) -> None:
        """Release connections, files and greenlets (reload or stop)."""

    def health(self) -> dict[str, Any]:
        """A JSON-ready view of the source's state for status (secrets masked)."""


BackendFactory = Callable[[SourceSpec], Backend]
"""What `ctid_register_directory_backends` returns per type name. The factory object carries a
`config_schema` attribute (a voluptuous dict with `description=` on every key) for `options`;
its keys must not reuse the core's directory keys (`type`, `label`, `match_direct`,
`match_reverse`, `fields`, `display_reverse`, `timeout`, `region`). Optionally, a
`config_problems(options) -> list[str]` attribute reports what only shows across keys ("uri or
servers, not both"); each text becomes a config problem at the directory's path, before start."""


def template_names(template: str) -> list[str]:
    """The placeholders of a template, in order: `"{givenName} {sn}"` → `["givenName", "sn"]`."""
    return _PLACEHOLDER.findall(template)


def field_source(value: str) -> list[str]:
    """The source fields a `fields` value reads: the field itself, or a template's names."""
    names = template_names(value)
    return names if names else [value]


def source_fields(spec: SourceSpec) -> tuple[str, ...]:
    """Every source field the core may read from a record of this source, first seen first:
    what an LDAP backend asks for, what an SQL backend selects."""
    seen: dict[str, None] = {}
    for name in (*spec.match_direct, *spec.match_reverse):
        seen.setdefault(name, None)
    for value in spec.fields.values():
        for name in field_source(value):
            seen.setdefault(name, None)
    return tuple(seen)
