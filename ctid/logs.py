"""Logging: stderr by default or a file that logrotate may move, a level per logger, and a
filter that masks configured secrets should any code path ever try to log one."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterable, Mapping
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_FLAG = "_ctid_handler"


class SecretFilter(logging.Filter):
    """Replace any configured secret value in a record's final message by `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


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
    secret_filter = SecretFilter(secrets)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(secret_filter)
        setattr(handler, _HANDLER_FLAG, True)
        root.addHandler(handler)
    apply_levels(section)


def apply_levels(section: Mapping[str, Any]) -> None:
    """Set the root level and each named logger's level (live, on reload too)."""
    logging.getLogger().setLevel(section.get("level", "info").upper())
    for name, level in section.get("loggers", {}).items():
        logging.getLogger(name).setLevel(level.upper())


def secret_values(data: Any, secret_key: Any) -> list[str]:
    """Every string value under a key that `secret_key(key)` calls secret."""
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
