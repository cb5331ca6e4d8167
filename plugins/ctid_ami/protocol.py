"""The AMI wire protocol, pure: bytes from Asterisk → `AmiMessage`s, actions → bytes. No sockets.

Framing facts (see the Asterisk manager sources): the connection opens with one banner line
`Asterisk Call Manager/<version>`; every message is `Key: Value` lines ended by an empty line.
Lines end in CRLF, but bare LF occurs in the wild (LF-only captures, the `Agents` event's
`CallStarted` line, `\\r\\n\\n` terminators), so the parser accepts any mix of the two.

Speed is the point of this module's shape (bench/ami_ingest.py): the parser works on whole
chunks. It finds the last message end with one C-level search on bytes, decodes every complete
message of the chunk in one call (safe: a message end is ASCII, so it never splits a UTF-8
sequence), and spends on each line one `str.partition` and one dict store, which CPython 3.11
runs faster than `map`/regex variants (measured). Bare LFs are detected by counting, not by
rewriting every chunk. Anything irregular (repeated keys, lines without `": "`, blank lines)
falls back to a slower, tolerant path that gives the same results.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence

log = logging.getLogger(__name__)

BANNER_PREFIX = b"Asterisk Call Manager/"
END_COMMAND = "--END COMMAND--"
"""Last line of an Asterisk ≤ 13 `Response: Follows` command output."""

DEFAULT_MAX_LINE = 64 * 1024
DEFAULT_MAX_MESSAGE = 1024 * 1024
MAX_ACTION_LINE = 1024
"""Longest action line Asterisk reads, CRLF included: manager.c reads lines into a 1025-byte
buffer and discards the whole action when one does not fit, so the action would never run."""

_FOLLOWS = b"Response: Follows"


class AmiProtocolError(ValueError):
    """The peer broke the protocol beyond repair (e.g. a line over the size bound).

    The parser's state is discarded; the caller should drop the connection and reconnect.
    """


class AmiMessage(dict[str, str]):
    """One AMI message (event or response): keys exactly as sent, first value of a repeated key.

    Every value of a repeated key (`ChanVariable`, `Variable`, `Output`, the duplicated fields
    of a dialplan `UserEvent`) is kept, in order, and returned by `getall`. Equality is plain
    dict equality (first values only).
    """

    _repeats: dict[str, list[str]] | None = None
    """Only set on messages that repeat a key: most messages never pay for it."""

    def getall(self, key: str) -> list[str]:
        """Return every value of `key` in wire order (`[]` when absent)."""
        if self._repeats is not None and key in self._repeats:
            return list(self._repeats[key])
        if key in self:
            return [self[key]]
        return []

    @property
    def is_event(self) -> bool:
        """True for an event (including list items such as `CoreShowChannel`)."""
        return "Event" in self

    @property
    def is_response(self) -> bool:
        """True for a response to an action (`OriginateResponse` events carry `Response:` too)."""
        return "Response" in self and "Event" not in self

    @property
    def event(self) -> str:
        """The event name, `""` for a response."""
        return self.get("Event", "")

    @property
    def action_id(self) -> str | None:
        """The ActionID echoed by Asterisk, or None."""
        return self.get("ActionID")

    def __repr__(self) -> str:
        return f"AmiMessage({dict.__repr__(self)})"


class AmiParser:
    """Incremental parser for the byte stream Asterisk sends on an AMI connection.

    `feed` accepts chunks cut anywhere (even inside a CRLF or a UTF-8 sequence) and returns the
    messages completed so far. Lines without a colon are skipped (logged at debug): Asterisk
    never sends them except inside `Response: Follows` bodies, which are handled. Non-UTF-8 bytes
    become U+FFFD. A line longer than `max_line` or a message longer than `max_message` bytes
    raises `AmiProtocolError`; the messages parsed from that same chunk are discarded with it.
    """

    def __init__(
        self, *, max_line: int = DEFAULT_MAX_LINE, max_message: int = DEFAULT_MAX_MESSAGE
    ) -> None:
        self.max_line = max_line
        self.max_message = max_message
        self.banner: str | None = None
        """The banner line, e.g. `Asterisk Call Manager/11.0.0`; None until seen (or if absent)."""
        self.version: str | None = None
        """The AMI version from the banner, e.g. `11.0.0`."""
        self._buf = b""
        self._at_start = True

    @property
    def buffered(self) -> int:
        """Bytes held for the next `feed` (an unfinished message): never more than the bounds."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Add `data` to the stream; return the messages it completes, in order."""
        if self._at_start:
            data = self._take_banner(self._buf + data)
            self._buf = b""
            if self._at_start:
                self._buf = data
                return []
        region = self._split_off_complete(bytes(data))
        if not region:
            return []
        text = region.decode("utf-8", "replace")
        messages, lf_used = self._parse_text(text, "\r\n")
        if lf_used == text.count("\n"):
            return messages
        # Some line ended in a bare LF (LF-only peer, Asterisk quirks, a ≤ 13 command output).
        if "Response: Follows" in text:
            messages, rest = self._parse_with_follows(region.replace(b"\r\n", b"\n"))
            if rest:
                self._keep(rest + self._buf, 0)
            return messages
        return self._parse_text(text.replace("\r\n", "\n"), "\n")[0]

    def _split_off_complete(self, data: bytes) -> bytes:
        """Return the buffered bytes up to the last message end; keep the rest for later.

        The boundary is searched in the new data first so that the usual case copies the
        chunk once; the pending tail and the chunk are joined only when needed.
        """
        cut = _last_boundary(data)
        if cut:
            region = self._buf + data[:cut] if self._buf else data[:cut]
            self._keep(data, cut)
            return region
        buf = self._buf + data
        cut = _last_boundary(buf)  # a boundary may straddle the old tail and the new data
        self._keep(buf, cut)
        return buf[:cut]

    def _keep(self, buf: bytes, start: int) -> None:
        """Keep `buf[start:]` for the next feed, enforcing the size bounds on it."""
        tail = len(buf) - start
        if tail > self.max_message:
            self._fail(f"message longer than {self.max_message} bytes")
        if tail > self.max_line and len(buf) - buf.rfind(b"\n") - 1 > self.max_line:
            self._fail(f"line longer than {self.max_line} bytes")
        self._buf = buf[start:]

    def _fail(self, reason: str) -> None:
        self._buf = b""
        raise AmiProtocolError(f"AMI stream rejected: {reason}")

    def _take_banner(self, buf: bytes) -> bytes:
        """Strip the banner line if the stream starts with one (a stream may also start bare)."""
        end = buf.find(b"\n")
        if end < 0:
            if len(buf) > self.max_line:
                self._fail(f"banner longer than {self.max_line} bytes")
            return buf
        self._at_start = False
        line = buf[:end].rstrip(b"\r")
        if not line.startswith(BANNER_PREFIX):
            return buf
        self.banner = line.decode("utf-8", "replace")
        self.version = self.banner[len(BANNER_PREFIX) :].strip()
        return buf[end + 1 :]

    def _parse_text(self, text: str, eol: str) -> tuple[list[AmiMessage], int]:
        """Parse complete messages whose lines end in `eol` (the fast path).

        Also returns how many LF characters the line and message separators account for: if the
        text holds more, some line ended in a bare LF and the caller must parse it again.
        """
        messages: list[AmiMessage] = []
        append = messages.append
        max_line = self.max_line
        blocks = text.split(eol + eol)
        lf_used = (len(blocks) - 1) * 2
        for block in blocks:
            lines = block.split(eol)
            lf_used += len(lines) - 1
            if len(block) > max_line:
                self._check_block(block, lines)
            message = AmiMessage()
            for line in lines:
                key, sep, value = line.partition(": ")
                if not sep:
                    break
                message[key] = value
            else:
                if len(message) == len(lines):
                    append(message)
                    continue
            # Repeated keys, blank lines or lines without ": ": the tolerant path.
            if lines[0] == "Response: Follows":
                message = _parse_follows("\n".join(lines))
            else:
                message = _parse_lines(lines)
            if message:
                append(message)
        return messages, lf_used

    def _check_block(self, block: str, lines: list[str]) -> None:
        """Enforce the bounds on a complete message (the pending tail is checked by `_keep`)."""
        if len(block) > self.max_message:
            self._fail(f"message longer than {self.max_message} bytes")
        if max(map(len, lines)) > self.max_line:
            self._fail(f"line longer than {self.max_line} bytes")

    def _parse_with_follows(self, region: bytes) -> tuple[list[AmiMessage], bytes]:
        """Slow path for a region holding an Asterisk ≤ 13 `Response: Follows` command output.

        Its body is raw CLI text that may contain blank lines, so it runs to `--END COMMAND--`
        rather than to the first empty line. Returns the messages and the unfinished remainder.
        """
        blocks = region.split(b"\n\n")
        messages: list[AmiMessage] = []
        index = 0
        while index < len(blocks):
            block = blocks[index]
            if block.lstrip(b"\n").startswith(_FOLLOWS):
                end = index
                while end < len(blocks) and END_COMMAND.encode() not in blocks[end]:
                    end += 1
                if end == len(blocks):
                    return messages, b"\n\n".join(blocks[index:])
                text = b"\n\n".join(blocks[index : end + 1]).decode("utf-8", "replace")
                self._check_block(text, text.split("\n"))
                messages.append(_parse_follows(text))
                index = end + 1
                continue
            messages.extend(self._parse_text(block.decode("utf-8", "replace"), "\n")[0])
            index += 1
        return messages, b""


def _last_boundary(buf: bytes) -> int:
    """Index just past the last message end in `buf` (0 if none).

    A message ends at a line end followed by an empty line, in CRLF or LF spelling. The LF-only
    search starts at the last CRLF one so that CRLF streams are scanned once, not twice.
    """
    crlf = buf.rfind(b"\n\r\n")
    lf = buf.rfind(b"\n\n", max(crlf, 0))
    if lf >= 0 and lf + 2 > crlf + 3:
        return lf + 2
    return crlf + 3 if crlf >= 0 else 0


def _parse_lines(lines: Iterable[str]) -> AmiMessage:
    """Tolerant per-line parse: repeated keys, `Key:value`, blank and colon-less lines."""
    message = AmiMessage()
    repeats: dict[str, list[str]] = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
            if not sep:
                if line.strip():
                    log.debug("skipping AMI line without a colon: %r", line[:80])
                continue
        if key in message:
            repeats.setdefault(key, [message[key]]).append(value)
        else:
            message[key] = value
    if repeats:
        message._repeats = repeats
    return message


def _parse_follows(block: str) -> AmiMessage:
    """Parse `Response: Follows` + Privilege + [ActionID] + CLI text + `--END COMMAND--`.

    The CLI text becomes one `Output` value per line, the shape Asterisk 14+ uses, so callers
    read command output the same way from every version.
    """
    lines = block.strip("\n").split("\n")
    head = 1
    while head < len(lines) and lines[head].startswith(("Privilege: ", "ActionID: ")):
        head += 1
    message = _parse_lines(lines[:head])
    body = lines[head:]
    if body and body[-1].endswith(END_COMMAND):
        last = body.pop()[: -len(END_COMMAND)]
        if last:
            body.append(last)
    if body:
        message["Output"] = body[0]
        if len(body) > 1:
            message._repeats = {"Output": body}
    return message


def encode_action(
    action: str,
    fields: Mapping[str, str | Sequence[str]] | None = None,
    action_id: str | None = None,
) -> bytes:
    """Encode one action: `Action`, then `ActionID`, then `fields` in order, then an empty line.

    A sequence value repeats its key (`Variable: A=1`, `Variable: B=2`). Every key and value is
    checked: CR or LF would let caller data inject headers or whole actions, so they raise
    ValueError, as do keys that are empty or contain a colon, a field named `Action` or
    `ActionID` in any case (Asterisk matches names regardless of case) and a line longer than
    `MAX_ACTION_LINE` bytes (Asterisk would drop the action).
    """
    parts = [_line("Action", action)]
    if action_id is not None:
        parts.append(_line("ActionID", action_id))
    for key, value in (fields or {}).items():
        if key.lower() in ("action", "actionid"):
            raise ValueError(f"pass {key} as an argument, not as a field")
        if isinstance(value, str):
            parts.append(_line(key, value))
        else:
            parts.extend(_line(key, item) for item in value)
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")


def _line(key: str, value: str) -> str:
    if not key or ":" in key or "\r" in key or "\n" in key:
        raise ValueError(f"invalid AMI header name {key!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"AMI header {key} must not contain CR or LF: {value!r}")
    line = f"{key}: {value}\r\n"
    if len(line.encode("utf-8")) > MAX_ACTION_LINE:
        raise ValueError(f"AMI header {key} is longer than {MAX_ACTION_LINE} bytes")
    return line


def md5_key(challenge: str, secret: str) -> str:
    """The `Key` of an MD5 challenge login: lowercase hex MD5 of challenge + secret."""
    # MD5 is what the AMI protocol mandates; the flag keeps it usable on FIPS-mode builds.
    digest = hashlib.md5((challenge + secret).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest()
