"""Logging: stderr by default or a file that logrotate may move, a level per logger, and a
formatter that masks configured secrets should any message or traceback ever carry one."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_FLAG = "_ctid_handler"
_MIN_SECRET = 4
"""Shorter secrets are not masked: replacing every "abc" in the logs would hide more than it
protects (and such a secret protects nothing anyway)."""


class MaskingFormatter(logging.Formatter):
    """Format as usual, then replace every configured secret value by `***`, tracebacks
    included."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.secrets: list[str] = []

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Replace the values to mask (longest first, so a secret containing another wins)."""
        unique = {secret for secret in secrets if len(secret) >= _MIN_SECRET}
        self.secrets = sorted(unique, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


_formatter = MaskingFormatter(FORMAT)
_configured_loggers: set[str] = set()


def configure(section: Mapping[str, Any], *, foreground: bool, secrets: Iterable[str] = ()) -> None:
    """Install ctid's handlers on the root logger (replacing earlier ones of ctid's)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if section.get("file"):
        handlers.append(logging.handlers.WatchedFileHandler(section["file"], encoding="utf-8"))
    if foreground or not handlers:
        handlers.append(logging.StreamHandler(sys.stderr))
    _formatter.set_secrets(secrets)
    for handler in handlers:
        handler.setFormatter(_formatter)
        setattr(handler, _HANDLER_FLAG, True)
        root.addHandler(handler)
    apply_levels(section)


def update_secrets(secrets: Iterable[str]) -> None:
    """The config was reloaded: mask its secret values from now on (old ones too)."""
    _formatter.set_secrets([*_formatter.secrets, *secrets])


def apply_levels(section: Mapping[str, Any]) -> None:
    """Set the root level and each named logger's level (live, on reload too); a logger no
    longer named goes back to inheriting its parent's level."""
    logging.getLogger().setLevel(section.get("level", "info").upper())
    named = dict(section.get("loggers", {}))
    for name in _configured_loggers - set(named):
        logging.getLogger(name).setLevel(logging.NOTSET)
    for name, level in named.items():
        logging.getLogger(name).setLevel(level.upper())
    _configured_loggers.clear()
    _configured_loggers.update(named)


def secret_values(data: Any, secret_key: Callable[[Any], bool]) -> list[str]:
    """Every string value under a key that `secret_key(key)` calls secret, lists included."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            if secret_key(key) and isinstance(value, str):
                found.append(value)
            else:
                found += secret_values(value, secret_key)
    elif isinstance(data, list):
        for item in data:
            found += secret_values(item, secret_key)
    return found
