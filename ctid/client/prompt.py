"""Lines typed by the user (or piped in by a script), read without blocking the other greenlets.

Standard input is read from its file descriptor: a terminal, pipe or socket is waited on by the
gevent hub, so keepalives and sheets go on while the user thinks; a regular file or a device such
as /dev/null never blocks, so it is read directly. The same reader gives `--password-stdin` its
first line, so the commands after it are not lost in another reader's buffer.
"""

from __future__ import annotations

import os
import stat

import gevent.socket

MAX_LINE = 4096
"""Longest input line kept; the rest of a longer line is dropped with it."""


class LineReader:
    """Cooperative `readline` over one file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        mode = os.fstat(fd).st_mode
        # Files and devices (other than terminals) are always readable: no need to wait.
        self._waits = not (stat.S_ISREG(mode) or (stat.S_ISCHR(mode) and not os.isatty(fd)))
        self._buffer = b""
        self._eof = False

    def readline(self) -> str | None:
        """The next line without its end (decoded as UTF-8); None at end of input."""
        while b"\n" not in self._buffer and not self._eof:
            if self._waits:
                gevent.socket.wait_read(self.fd)
            chunk = os.read(self.fd, 4096)
            if not chunk:
                self._eof = True
            elif len(self._buffer) > MAX_LINE:
                # An overlong line: keep only what follows its end, the next line.
                _, newline, rest = chunk.partition(b"\n")
                self._buffer = b"\n" + rest if newline else self._buffer
            else:
                self._buffer += chunk
        if not self._buffer:
            return None
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.removesuffix(b"\r").decode("utf-8", "replace")
