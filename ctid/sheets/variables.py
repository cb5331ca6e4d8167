"""Sheet variables: `{family-name}` placeholders, how they are filled, and the providers that
give their values.

Substitution is one pass of a regular expression over the operator's template: a value is
inserted, never scanned again, so caller data such as `{xivo-channel}` stays literal, and
nothing is ever evaluated. The rule of XiVO's later servers applies: when a template has
placeholders and none of them is known, the item's default is used; when some are known, the
unknown ones stay as they are written.

Providers (`ctid_register_sheet_variables`) run concurrently, once per call event, under one
deadline: a provider that raises, answers garbage or is late is charged to its plugin, and its
family is simply missing from that event's values.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import gevent

from ctid.callevents import CallEvent

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{([^}]+)\}")
"""A placeholder: anything but `}` between braces (the XiVO regex)."""

MAX_VALUE = 1024 * 1024
"""Longest value kept from a provider, in characters (a base64 picture fits)."""

Values = Mapping[str, str]
Provider = Callable[[CallEvent], Mapping[str, Any]]
Quote = Callable[[str], str]


def placeholders(template: str) -> list[str]:
    """The variable names a template refers to, in order."""
    return PLACEHOLDER.findall(template)


def resolves(template: str, values: Values) -> bool:
    """False when the template has placeholders and none of them is known."""
    names = placeholders(template)
    return not names or any(name in values for name in names)


def fill(template: str, values: Values, quote: Quote | None = None) -> str:
    """Replace every known placeholder, once; unknown ones stay literal.

    :param quote: applied to each inserted value (URL encoding for a URL component).
    """

    def value_of(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None:
            return match.group(0)
        return quote(value) if quote is not None else value

    return PLACEHOLDER.sub(value_of, template)


def substitute(template: str, values: Values, default: str = "", quote: Quote | None = None) -> str:
    """A line's value: the template filled, or `default` when none of its placeholders is known."""
    if not resolves(template, values):
        return default
    return fill(template, values, quote)


def family_of(name: str) -> str:
    """`xivo-calleridnum` → `xivo`: the part before the first `-`."""
    return name.partition("-")[0]


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderEntry:
    """One registered family: the plugin that registered it, and its provider."""

    plugin: str
    family: str
    provider: Provider


Failed = Callable[[ProviderEntry, Exception], None]
Spawn = Callable[..., gevent.Greenlet]


def clean(answer: Any) -> dict[str, str]:
    """Keep the usable part of a provider's answer: string names, text values (numbers as text),
    each value bounded."""
    if not isinstance(answer, Mapping):
        raise TypeError(f"a provider must return a mapping, not {type(answer).__name__}")
    values = {}
    for name, value in answer.items():
        if not isinstance(name, str) or not name or "}" in name:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        # lone surrogates (undecodable caller bytes) become "?": every serial must encode
        text = str(value)[:MAX_VALUE].encode("utf-8", "replace").decode("utf-8")
        values[name] = text
    return values


def _call(entry: ProviderEntry, event: CallEvent) -> dict[str, str] | Exception:
    # Exceptions are returned, not raised, so gevent does not print them as greenlet crashes.
    try:
        return clean(entry.provider(event))
    except Exception as exc:  # a provider is plugin code
        return exc


def gather(
    entries: Sequence[ProviderEntry],
    event: CallEvent,
    deadline: float,
    failed: Failed,
    spawn: Spawn = gevent.spawn,
) -> dict[str, str]:
    """Every family's values for one event, the providers running together within `deadline`.

    A provider's own family wins over a name another provider returns for it (the directory
    provider answers `xivo-directory`, which belongs to no other provider).
    """
    running = [(entry, spawn(_call, entry, event)) for entry in entries]
    gevent.joinall([greenlet for _, greenlet in running], timeout=deadline)
    answers: list[tuple[ProviderEntry, dict[str, str]]] = []
    for entry, greenlet in running:
        if not greenlet.ready():
            greenlet.kill(block=False)
            failed(entry, TimeoutError(f"no answer within {deadline:.3f} s"))
        elif isinstance(greenlet.value, Exception):
            failed(entry, greenlet.value)
        elif greenlet.value is not None:
            answers.append((entry, greenlet.value))
    return merge(answers)


def merge(answers: Iterable[tuple[ProviderEntry, Mapping[str, str]]]) -> dict[str, str]:
    """One mapping of all answers, a family's own provider winning for that family's names."""
    values: dict[str, str] = {}
    foreign: dict[str, str] = {}
    for entry, answer in answers:
        for name, value in answer.items():
            if family_of(name) == entry.family:
                values[name] = value
            else:
                foreign.setdefault(name, value)
    for name, value in foreign.items():
        values.setdefault(name, value)
    return values
