"""How each directory source fares: calls, timeouts, errors, the last error, and the state an
operator reads in status.

A source that starts failing is logged once when it goes down and once when it answers again,
not on every call: a dead LDAP server under a busy call centre must not flood the log.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class SourceHealth:
    """Counters and state of one source."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.state = "starting"
        self.calls = 0
        self.timeouts = 0
        self.errors = 0
        self.last_error = ""
        self.last_ms = 0.0

    def opened(self) -> None:
        """The backend was created."""
        self.state = "up"

    def broken(self, why: str) -> None:
        """The backend could not be created; it serves nothing until the next reload."""
        self.state = "failed"
        self.last_error = why

    def failed(self, why: str) -> None:
        """A call raised; `record` follows."""
        self.last_error = why

    def record(self, outcome: str, seconds: float) -> None:
        """Count one call (`ok`, `timeout` or `error`) and log state changes."""
        self.calls += 1
        self.last_ms = round(seconds * 1000, 3)
        if outcome == "ok":
            if self.state == "failing":
                log.warning("directory %s answers again", self.name)
            self.state = "up"
            return
        if outcome == "timeout":
            self.timeouts += 1
            self.last_error = "timed out"
        else:
            self.errors += 1
        if self.state != "failing":
            log.warning("directory %s is failing: %s", self.name, self.last_error)
        self.state = "failing"

    def view(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "state": self.state,
            "calls": self.calls,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "last_error": self.last_error,
            "last_ms": self.last_ms,
        }
