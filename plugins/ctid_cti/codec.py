"""The CTI wire format: a text banner, then one JSON object per line, UTF-8, both ways.

Pure: bytes in, dicts out and back. Every server message gets `timenow`; `commandid` comes back
as `replyid`. cjson's `\\/` escape needs no special case: it is valid JSON and decodes to `/`.
What JSON can say but no reply could carry back is refused on the way in: a lone surrogate
escape (`"\\ud800"`, not text, so not UTF-8) and a number beyond a float's range (`1e400`, which
Python reads as infinity and no JSON encoder writes).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

MAX_CLASS = 64
MAX_COMMAND_ID = 64

Message = dict[str, Any]


class DecodeError(ValueError):
    """A line that is not a JSON object: the session is closed after `error_string: <code>`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def banner(version: str) -> bytes:
    """The first line, not JSON (clients skip lines that do not parse)."""
    return f"XiVO CTI Server Version 1.2 (ctid {version})\n".encode()


def decode(line: bytes) -> Message:
    """One client line → a dict with a string `class` ("" when absent or not a string).

    :raises DecodeError: `invalid_json` (not UTF-8, not JSON, too deep, NaN, a lone
        surrogate, a number out of a float's range) or `not_an_object`.
    """
    try:
        message = json.loads(
            line.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float
        )
        if b"\\u" in line:
            # Only a \uXXXX escape can make a lone surrogate (strict UTF-8 refuses the bytes);
            # a paired one decodes to its character and encodes back fine.
            json.dumps(message, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise DecodeError("invalid_json") from exc
    if not isinstance(message, dict):
        raise DecodeError("not_an_object")
    kind = message.get("class")
    if not isinstance(kind, str) or len(kind) > MAX_CLASS:
        message["class"] = ""
    return message


def reply_id(request: Mapping[str, Any]) -> int | str | None:
    """The request's `commandid` if it is worth echoing (an int, or a short string)."""
    command_id = request.get("commandid")
    if isinstance(command_id, bool):
        return None
    if isinstance(command_id, int) or (
        isinstance(command_id, str) and len(command_id) <= MAX_COMMAND_ID
    ):
        return command_id
    return None


def encode(message: Mapping[str, Any], now: float) -> bytes:
    """One server message as a line, stamped with `timenow`."""
    data = {**message, "timenow": round(now, 6)}
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8") + b"\n"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of a float's range")
    return value
