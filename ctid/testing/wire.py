"""In-memory stand-ins for driving a line handler (CTI, webi, info) without sockets, and a log
handler that keeps every ERROR record: what the fuzz targets feed thousands of lines through."""

from __future__ import annotations

import logging
import types
from typing import Any


class MemoryConnection:
    """The side of a `LineConnection` that line handlers use, in memory: what they send is
    kept in `sent`, one item per write; `close` records the first reason."""

    def __init__(self, listener: str, *, peer: str = "127.0.0.1", queue_size: int = 1000) -> None:
        self.server = types.SimpleNamespace(name=listener, queue_size=queue_size)
        self.peer = (peer, 40000)
        self.is_tls = False
        self.closed = False
        self.reason = ""
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> bool:
        """Keep `data`; False (and nothing kept) once closed, as a real connection."""
        if self.closed:
            return False
        self.sent.append(data)
        return True

    def close(self, reason: str, *, flush: bool = True) -> None:
        """Mark closed, keeping the first reason."""
        if not self.closed:
            self.closed, self.reason = True, reason

    def start_tls(self, context: Any) -> None:
        """No STARTTLS in memory."""
        raise AssertionError("this listener offers no STARTTLS")

    def lines(self, start: int = 0) -> list[bytes]:
        """The lines written from write `start` on (a write may hold several: a batch), split
        on LF only, so that a stray CR in a line stays visible."""
        parts = b"".join(self.sent[start:]).split(b"\n")
        if parts[-1] == b"":
            parts.pop()
        return parts


class ErrorRecords(logging.Handler):
    """Keeps every record at ERROR or above (a handler crash, a failed command)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
