"""Where the client's output goes: readable lines for people, or one JSON object per line for
scripts (`--json`).

JSON lines are every message received from the server as it came (a displayed sheet gains a
`decoded` key with its title, lines, tray notice and actions), plus the client's own records,
which have a `client` key instead of `class`: `connected`, `login`, `result` (of a typed command),
`action` (of an urlauto action), `reconnecting`, `disconnected`, `error`, `note`. JSON is written
ASCII-only (every other character escaped), so no byte of it can act on a terminal.

A reader that goes away (`ctid-client --json | head -3`) ends the output quietly: the next writes
are dropped and `closed` is set, for the program to stop.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

import gevent.event

from ctid.client.render import SheetView, message_lines, sheet_lines


class Output:
    """Writes records to one text stream, flushed line by line (pipes see each at once)."""

    def __init__(self, stream: TextIO, *, json_lines: bool = False) -> None:
        self.stream = stream
        self.json_lines = json_lines
        self.closed = gevent.event.Event()
        """Set when the reader of the stream went away (a broken pipe)."""

    def message(self, message: Mapping[str, Any]) -> None:
        """A message received; text mode shows pushes worth showing (answers come as results)."""
        if self.json_lines:
            self._json(message)
        elif "replyid" not in message:
            self._text(message_lines(message))

    def sheet(self, message: Mapping[str, Any], sheet: SheetView) -> None:
        """A sheet to display, decoded."""
        if self.json_lines:
            self._json({**message, "decoded": sheet.to_dict()})
        else:
            self._text(sheet_lines(sheet))

    def record(self, kind: str, said: str, /, **fields: Any) -> None:
        """One of the client's own records; `said` is what people read (already cleaned)."""
        self.emit({"client": kind, **fields}, said)

    def emit(self, data: Mapping[str, Any], said: str) -> None:
        """`data` as a JSON line, or `said` (lines of text, already cleaned) for people."""
        if self.json_lines:
            self._json(data)
        elif said:
            self._text(said.split("\n"))

    def _json(self, data: Mapping[str, Any]) -> None:
        self._write(json.dumps(data, ensure_ascii=True, default=str) + "\n")

    def _text(self, lines: list[str]) -> None:
        if lines:
            stamp = time.strftime("%H:%M:%S")
            indent = " " * len(stamp)
            shown = [f"{stamp} {lines[0]}", *(f"{indent} {line}" for line in lines[1:])]
            self._write("\n".join(shown) + "\n")

    def _write(self, text: str) -> None:
        if self.closed.is_set():
            return
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:
                # A terminal or pipe that cannot show some characters (LANG=C): their escapes.
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                self.stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
            self.stream.flush()
        except BrokenPipeError:
            self.closed.set()


def silence_stdout() -> None:
    """Point stdout at /dev/null: its reader is gone, and the flush at exit must not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
