"""The CTI wire format: a text banner, then one JSON object per line, UTF-8, both ways.

Pure: bytes in, dicts out and back. Every server message gets `timenow`; `commandid` comes back
as `replyid`. cjson's `\\/` escape needs no special case: it is valid JSON and decodes to `/`.
"""

from __future__ import annotations

import json
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

    :raises DecodeError: `invalid_json` (not UTF-8, not JSON, too deep, NaN) or `not_an_object`.
    """
    try:
        message = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
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
