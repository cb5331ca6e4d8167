"""LDAP queries as text and answers as records: filter building and entry decoding, pure.

Every value placed in a filter goes through ldap3's RFC 4515 escaping (`*`, `(`, `)`, `\\` and
NUL become `\\2a`, `\\28`, `\\29`, `\\5c`, `\\00`), so a caller's term is always a literal:
`*)(uid=*` searches for those eight characters and nothing else. Attribute names and the
operator's custom filter come from the config and are checked when it is validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ldap3.core.exceptions import LDAPInvalidFilterError
from ldap3.operation.search import parse_filter
from ldap3.utils.conv import escape_filter_chars

from ctid.api import Record

TERM = "%Q"
"""Where the escaped term goes in an operator's custom filter (XiVO's and wazo-dird's marker)."""

# RFC 4512 attribute descriptions: a name (or numeric OID) with optional ;options.
_ATTRIBUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$")
DN = "dn"
"""Record key holding the entry's DN: a unique id any `fields` value may use."""


def escape(value: str) -> str:
    """One assertion value, escaped per RFC 4515 (UTF-8 text is kept as is)."""
    return str(escape_filter_chars(value))


def check_attribute(name: str) -> str:
    """An attribute description as it may appear in a filter, or ValueError."""
    if not _ATTRIBUTE.match(name):
        raise ValueError(f"expected an LDAP attribute name such as telephoneNumber, got {name!r}")
    return name


def check_filter(text: str) -> str:
    """An operator's custom filter, parenthesized and well formed (`%Q` allowed), or
    ValueError."""
    candidate = text.strip()
    try:
        parse_filter(
            candidate.replace(TERM, "x"),
            None,
            auto_escape=False,
            auto_encode=False,
            validator=None,
            check_names=False,
        )
    except LDAPInvalidFilterError:
        raise ValueError(
            f"expected an LDAP filter in parentheses such as (objectClass=person), got {text!r}"
        ) from None
    return candidate


def any_of(filters: Sequence[str]) -> str:
    """OR of filters; one filter stays as it is."""
    return filters[0] if len(filters) == 1 else f"(|{''.join(filters)})"


def all_of(filters: Sequence[str]) -> str:
    """AND of the non-empty filters; one filter stays as it is."""
    kept = [item for item in filters if item]
    return kept[0] if len(kept) == 1 else f"(&{''.join(kept)})"


def with_term(custom: str, term: str) -> str:
    """The custom filter with every `%Q` replaced by the escaped term (one pass: a term that
    itself contains `%Q` is not substituted again)."""
    return custom.replace(TERM, escape(term))


def direct_filter(term: str, attributes: Sequence[str], custom: str = "") -> str:
    """Entries whose `attributes` contain `term`: `(|(cn=*term*)(sn=*term*))`, ANDed with the
    custom filter; with no attributes, the custom filter alone."""
    if not term:
        raise ValueError("a direct search needs a non-empty term")
    escaped = escape(term)
    generated = [f"({name}=*{escaped}*)" for name in attributes]
    parts = [with_term(custom, term)] if custom else []
    if generated:
        parts.append(any_of(generated))
    if not parts:
        raise ValueError("a direct search needs match_direct attributes or a custom filter")
    return all_of(parts)


def reverse_filter(candidates: Sequence[str], attributes: Sequence[str], custom: str = "") -> str:
    """Entries whose `attributes` equal one of the candidates, all ORed in one filter:
    `(|(telephoneNumber=c1)(mobile=c1)(telephoneNumber=c2)…)`.

    A custom filter without `%Q` is ANDed around the whole OR; one with `%Q` is instantiated
    per candidate, giving an OR of `(&custom(c)(|…c…))`.
    """
    forms = unique(item for item in candidates if item)
    if not forms:
        raise ValueError("a reverse lookup needs at least one non-empty candidate")
    if not attributes and TERM not in custom:
        raise ValueError("a reverse lookup needs match_reverse attributes or a %Q custom filter")

    def equalities(form: str) -> list[str]:
        return [f"({name}={escape(form)})" for name in attributes]

    if TERM in custom:
        per_form = [all_of([with_term(custom, form), *equalities(form)]) for form in forms]
        return any_of(per_form)
    generated = any_of([item for form in forms for item in equalities(form)])
    return all_of([custom, generated])


def unique(items: Iterable[str]) -> list[str]:
    """Items without repeats, first seen first."""
    return list(dict.fromkeys(items))


def requested(needed: Sequence[str], extra: Sequence[str]) -> list[str]:
    """Attributes to ask the server for: what the core reads plus the configured extras, each
    once (case-insensitively, as LDAP names are); the DN comes with every entry anyway."""
    seen: dict[str, str] = {}
    for name in (*needed, *extra):
        if name.lower() != DN:
            seen.setdefault(name.lower(), name)
    return list(seen.values())


def to_record(dn: str, attributes: Mapping[str, Sequence[bytes]], names: Sequence[str]) -> Record:
    """One entry as a record: every value of every attribute, decoded as UTF-8, keyed by the
    spelling the config uses (servers may answer `telephonenumber` for `telephoneNumber`)."""
    spelling = {name.lower(): name for name in names}
    record: Record = {DN: [dn]}
    for attribute, values in attributes.items():
        decoded = [_text(value) for value in values]
        if decoded:
            record.setdefault(spelling.get(attribute.lower(), attribute), []).extend(decoded)
    return record


def _text(value: bytes | str) -> str:
    # Binary attributes (jpegPhoto, AD's objectGUID) are not text: shown with U+FFFD rather
    # than failing the whole lookup.
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")
