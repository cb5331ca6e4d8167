"""Options of a `type: csv` directory, beside the core's directory keys."""

from __future__ import annotations

import codecs
from typing import Any

from ctid.api import between, positive_duration, string_list, vol

Opt = vol.Optional


def encoding(value: Any) -> str:
    """A text encoding Python knows (utf-8, latin-1, cp1252…)."""
    try:
        return codecs.lookup(str(value)).name
    except LookupError:
        raise vol.Invalid("expected a text encoding such as utf-8, latin-1 or cp1252") from None


def delimiter(value: Any) -> str:
    """One character; `tab` for a tab."""
    text = "\t" if value == "tab" else value
    if not isinstance(text, str) or len(text) != 1 or text in '\r\n"':
        raise vol.Invalid("expected one character (or tab), not a quote or a newline")
    return text


OPTIONS: dict[Any, Any] = {
    vol.Required("path", description="the CSV file (re-read when it changes)"): str,
    Opt("delimiter", default=",", description="field separator: one character, or tab"): (
        delimiter
    ),
    Opt("encoding", default="utf-8", description="text encoding of the file, e.g. latin-1"): (
        encoding
    ),
    Opt("header", default=True, description="the first row names the columns"): bool,
    Opt(
        "columns",
        default=None,
        description="column names; default: the header row, or 1, 2, 3… without one",
    ): vol.Any(None, string_list),
    Opt("poll_interval", default=5.0, description="how often the file is checked for changes"): (
        positive_duration
    ),
    Opt("max_rows", default=2_000_000, description="rows loaded at most; the rest is ignored"): (
        between(1, 100_000_000)
    ),
    Opt("max_bytes", default=1 << 30, description="a larger file is refused, in bytes"): (
        between(1, 1 << 40)
    ),
}
