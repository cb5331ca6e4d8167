"""Reusable voluptuous validators and markers for core and plugin schemas.

Each validator says what it expected in words an operator understands, because that message is
what `ctid check-config` prints.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
from collections.abc import Callable
from typing import Any

import voluptuous as vol

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_LINE_ENDS = re.compile(r"[\r\n\x00]")

SECRET_NAMES = frozenset({"secret", "password", "bind_password", "legacy_secret", "token"})
"""Keys masked as `***` wherever config values are shown, whatever schema declared them."""

_DECLARED: set[str] = set()
"""Key names some schema declared with Secret/SecretRequired: masked wherever they appear."""


class Secret(vol.Optional):
    """An optional key whose value is never shown (dump-config, errors, logs)."""

    secret = True

    def __init__(self, schema: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(schema, *args, **kwargs)
        _DECLARED.add(str(schema))


class SecretRequired(vol.Required):
    """A required key whose value is never shown."""

    secret = True

    def __init__(self, schema: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(schema, *args, **kwargs)
        _DECLARED.add(str(schema))


def is_secret(key: object) -> bool:
    """Tell whether a schema key or a plain key name holds a secret."""
    if getattr(key, "secret", False):
        return True
    name = getattr(key, "schema", key)
    return isinstance(name, str) and (name in SECRET_NAMES or name in _DECLARED)


def connect_port(value: Any) -> int:
    """A port to connect to (1-65535)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise vol.Invalid("expected a port number between 1 and 65535")
    return value


def networks(value: Any) -> list[str]:
    """A list of IP addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`)."""
    items = string_list(value)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise vol.Invalid(f"expected IP addresses or networks, not {item!r}") from None
    return items


def port(value: Any) -> int:
    """A TCP/UDP port number; 0 binds any free port (tests, ad-hoc runs)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise vol.Invalid("expected a port number between 0 and 65535")
    return value


def address(value: Any) -> str:
    """An IPv4/IPv6 address or a host name to bind or connect to."""
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid("expected an IP address or a host name")
    text: str = value.strip()
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", text):
            raise vol.Invalid("expected an IP address or a host name") from None
    return text


def duration(value: Any) -> float:
    """Seconds, as a number or a string such as `250ms`, `5s`, `2m`, `1h`."""
    if isinstance(value, bool):
        raise vol.Invalid("expected a duration such as 5s, 250ms or 2m")
    if isinstance(value, int | float):
        # An int past a float's range raises OverflowError, which voluptuous does not catch.
        seconds = float(value) if abs(value) < 1e300 else math.inf
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise vol.Invalid("expected a duration such as 5s, 250ms or 2m")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(seconds):
        # Every comparison with NaN is false, so it would pass the checks below and after
        # (`timeout <= 0`); nor is infinity (`9…9h`, YAML's `.inf`) a duration a timer runs.
        raise vol.Invalid("expected a finite duration such as 5s, 250ms or 2m")
    if seconds < 0:
        raise vol.Invalid("expected a duration of zero or more")
    return seconds


def positive_duration(value: Any) -> float:
    """A duration greater than zero."""
    seconds = duration(value)
    if seconds <= 0:
        raise vol.Invalid("expected a duration greater than zero")
    return seconds


def log_level(value: Any) -> str:
    """A logging level name: debug, info, warning, error, critical."""
    name = str(value).strip().upper()
    if name not in logging.getLevelNamesMapping() or name in ("NOTSET", "WARN", "FATAL"):
        raise vol.Invalid("expected one of debug, info, warning, error, critical")
    return name.lower()


def one_line(value: Any) -> str:
    """Text sent as it is on one protocol line (an AMI username or secret): no CR, LF or NUL,
    at most 256 characters."""
    if not isinstance(value, str) or len(value) > 256 or _LINE_ENDS.search(value):
        raise vol.Invalid("expected one line of at most 256 characters, without CR, LF or NUL")
    return value


def string_list(value: Any) -> list[str]:
    """A list of strings (a single string is accepted as a list of one)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise vol.Invalid("expected a list of strings")
    return list(value)


def between(low: int, high: int) -> Callable[[Any], int]:
    """A whole number in [low, high]."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise vol.Invalid(f"expected a whole number between {low} and {high}")
        return value

    return check
