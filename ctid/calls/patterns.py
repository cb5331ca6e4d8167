"""Asterisk extension patterns, to name numbers the way a dialplan does (`_0145XXXXXX`).

An entry without the leading `_` is one number. With it, as in extensions.conf: `X` is any
digit, `Z` 1 to 9, `N` 2 to 9 (any case), `[...]` one character of a set (`[1-4]`, `[15-7]`),
`.` one or more characters, `!` zero or more; other characters stand for themselves. Dashes
only make a number readable and are ignored, outside sets (`_01-45-XX`). A pattern matches a
whole number, never a part of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CLASSES = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}
_LONGEST = 256


def pattern_problem(text: str) -> str | None:
    """Why `text` is not a number or pattern; None when it is one."""
    if not text or len(text) > _LONGEST:
        return f"expected a number or a pattern of 1 to {_LONGEST} characters"
    if any(char.isspace() or not char.isprintable() for char in text):
        return "expected a number or a pattern without spaces or control characters"
    if not text.startswith("_"):
        return None
    if len(text) == 1:
        return "expected a pattern after '_'"
    try:
        _translate(text[1:])
    except ValueError as exc:
        return str(exc)
    return None


def compile_patterns(entries: Iterable[str]) -> re.Pattern[str]:
    """One regular expression matching a number named by any of `entries` (checked first
    with `pattern_problem`)."""
    parts = [
        _translate(entry[1:]) if entry.startswith("_") else re.escape(entry.replace("-", ""))
        for entry in entries
    ]
    return re.compile("|".join(f"(?:{part})" for part in parts) or "(?!)", re.DOTALL)


def matches(pattern: re.Pattern[str], number: str) -> bool:
    """Whether `number` is named by the compiled entries."""
    return pattern.fullmatch(number) is not None


def _translate(body: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "[":
            end = body.find("]", index + 1)
            if end < 0:
                raise ValueError(f"unclosed '[' in pattern {body!r}")
            out.append(_charset(body[index + 1 : end]))
            index = end + 1
            continue
        upper = char.upper()
        if upper in _CLASSES:
            out.append(_CLASSES[upper])
        elif char != "-":
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _charset(inside: str) -> str:
    if not inside:
        raise ValueError("empty '[]' in pattern")
    members: list[str] = []
    index = 0
    while index < len(inside):
        if index + 2 < len(inside) and inside[index + 1] == "-":
            low, high = inside[index], inside[index + 2]
            if low > high:
                raise ValueError(f"backwards range '{low}-{high}' in pattern")
            members.append(f"{re.escape(low)}-{re.escape(high)}")
            index += 3
        else:
            members.append(re.escape(inside[index]))
            index += 1
    return f"[{''.join(members)}]"
