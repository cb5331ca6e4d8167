"""Which record answers a reverse lookup: the normalized numbers a stored one must equal, the
re-check of what a backend returned, and the rule that the first source in configured order wins
once every source before it has answered."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from ctid.directory import display
from ctid.directory.cache import Answer
from ctid.directory.config import Directory
from ctid.directory.numbers import canonical
from ctid.directory.sources import Record


@dataclasses.dataclass
class Outcome:
    """What one source did for one request."""

    state: str = "pending"
    """pending, ok, timeout or error."""
    records: list[Record] = dataclasses.field(default_factory=list)
    answer: Answer = None


def decide(
    names: tuple[str, ...], outcomes: Mapping[str, Outcome], final: bool = False
) -> tuple[Answer, bool, bool]:
    """(answer, decided, clean): the first source in order that matched, once every source
    before it has answered; `clean` when none of those failed (the answer may be cached)."""
    clean = True
    for name in names:
        outcome = outcomes[name]
        if outcome.state == "pending" and not final:
            return None, False, False
        if outcome.answer is not None:
            return outcome.answer, True, clean
        clean = clean and outcome.state == "ok"
    return None, True, clean


def wanted(candidates: Sequence[str], region: str) -> set[str]:
    """The normalized numbers a stored number must equal. International candidates say it
    unambiguously; the national ones would be read in the call's region, which is wrong for a
    foreign caller (a Swiss 044… is not the French 04 4…), so they count only when no
    international form exists."""
    international = {canonical(c, "") for c in candidates if c.lstrip().startswith("+")}
    return (international or {canonical(c, region) for c in candidates}) - {""}


def recheck(directory: Directory, records: list[Record], wanted: set[str]) -> Answer:
    """The first record one of whose reverse fields is the caller's number once normalized."""
    spec = directory.spec
    for record in records:
        matched: dict[str, str] = {}
        for field in spec.match_reverse:
            for value in record.get(field) or []:
                if canonical(value, directory.region) in wanted:
                    matched.setdefault(field, value)
        if matched:
            return display.caller_fields(spec, directory.label, record, matched)
    return None
