"""Configuration problems and how they read: one line each, file, key path, expected, found.

Home Assistant style: `config.d/50-ldap.yml: directories -> corp -> uri: expected …, got 'ldpa://'`.
Secrets never appear: a value under a secret key reads `***`, at any depth of a value shown, and
the value of an unknown key (perhaps a misspelled secret) is not shown at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import voluptuous as vol

from ctid.config.validators import is_secret

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<user>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*):[^@/\s]*@")
EXIT_CONFIG = 78
"""sysexits' EX_CONFIG: what systemd and operators expect for a bad configuration."""

_MISSING = object()


@dataclasses.dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration."""

    file: str
    path: tuple[str, ...]
    expected: str
    found: str

    def __str__(self) -> str:
        where = " -> ".join(self.path)
        prefix = f"{self.file}: {where}: " if where else f"{self.file}: "
        found = f", got {self.found}" if self.found else ""
        # One line per problem, whatever a reason holds (PyYAML's run over several lines).
        return " ".join(f"{prefix}{self.expected}{found}".splitlines())


class ConfigError(Exception):
    """The configuration is invalid; `problems` lists everything wrong with it."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)
        self.plugin_records: dict[str, Any] = {}
        """What was learnt of the plugins before validation failed (for `list-plugins`)."""


def from_invalid(
    error: vol.Invalid,
    data: Mapping[str, Any],
    schema: vol.Schema,
    origin: Callable[[tuple[str, ...]], str],
    prefix: tuple[str, ...] = (),
) -> list[ConfigProblem]:
    """Turn a voluptuous error (one or many) into problems naming file and key path."""
    errors = error.errors if isinstance(error, vol.MultipleInvalid) else [error]
    problems = []
    for item in errors:
        path = tuple(str(part) for part in item.path)
        full = (*prefix, *path)
        expected = _expected(item, schema, path)
        # An unknown key may be a misspelled secret (`secrte:`): its value is never shown.
        found = "" if expected.startswith("unknown key") else shown(path, _lookup(data, path))
        problems.append(ConfigProblem(origin(full), full, expected, found))
    return sorted(problems, key=lambda p: (p.file, p.path))


def shown(path: Sequence[str], value: Any) -> str:
    """How a found value is printed: repr, masked under a secret key, nothing when absent."""
    if value is _MISSING:
        return "nothing"
    if any(is_secret(part) for part in path):
        return MASK
    text = repr(masked(value))
    return text if len(text) <= 80 else text[:77] + "..."


def masked(value: Any) -> Any:
    """A copy of `value` with whatever sits under a secret key, at any depth, as `***` (a
    section of the wrong shape is printed whole, and may hold secrets), and the password of
    any URL (`postgresql://ctid:pw@db`, refused precisely because it holds one) as `***`."""
    if isinstance(value, Mapping):
        return {k: MASK if is_secret(k) and v else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, str):
        return _URL_PASSWORD.sub(rf"\g<user>:{MASK}@", value)
    return value


def _expected(item: vol.Invalid, schema: vol.Schema, path: tuple[str, ...]) -> str:
    message = item.error_message
    if message == "extra keys not allowed":
        allowed = _keys_at(schema, path[:-1])
        known = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return f"unknown key{known}"
    if message == "required key not provided":
        return "a value is required"
    if message.startswith("expected"):
        return str(message)
    return f"invalid value ({message})"


def _keys_at(schema: vol.Schema, path: Sequence[str]) -> list[str]:
    node: Any = schema.schema if isinstance(schema, vol.Schema) else schema
    for part in path:
        node = _child(node, part)
        if node is None:
            return []
    if isinstance(node, vol.Schema):
        node = node.schema
    if not isinstance(node, dict):
        return []
    return sorted(
        str(getattr(k, "schema", k)) for k in node if isinstance(getattr(k, "schema", k), str)
    )


def _child(node: Any, part: str) -> Any:
    if isinstance(node, vol.Schema):
        node = node.schema
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        name = getattr(key, "schema", key)
        if name == part or name is str:
            return value
    return None


def _lookup(data: Any, path: Sequence[str]) -> Any:
    node = data
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Mapping) and part.lstrip("-").isdigit() and int(part) in node:
            node = node[int(part)]  # YAML read an unquoted number as a key
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node
