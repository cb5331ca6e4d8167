"""The FastAGI wire protocol as pure bytes ↔ objects: the agi_* header, command lines, responses.

No sockets here: `ctid_fagi.session` feeds these parsers one line at a time and writes what
`encode_command` returns. Everything Asterisk sends is bounded (line count and bytes) so that a
confused or hostile peer costs a bounded amount of memory, and every argument the server sends is
quoted so that caller-controlled data (a caller-ID name, a directory entry) can never end the line
and smuggle a second command to Asterisk.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_LINE_BYTES = 8192
"""Longest line accepted from Asterisk, newline included (a GET VARIABLE answer can be long)."""
MAX_HEADER_LINES = 256
"""Asterisk sends about 23 fields plus one `agi_arg_N` per argument (at most 128)."""
MAX_HEADER_BYTES = 65536
MAX_USAGE_LINES = 256
"""Longest multi-line `520-` usage text accepted before giving up on the peer."""
MAX_COMMAND_BYTES = 2047
"""Asterisk reads a command into a 2048-byte buffer (AGI_BUF_LEN) with fgets: a longer line would
be cut there and its tail run as a second command, so longer commands are refused."""

CODE_HANGUP = 0
"""`AgiResponse.code` of the unsolicited `HANGUP` line, which carries no status code of its own."""
CODE_TRYING = 100
CODE_OK = 200
CODE_INVALID = 510
CODE_DEAD_CHANNEL = 511
CODE_USAGE = 520

_EMPTY: Mapping[str, str] = MappingProxyType({})
_HEADER_NAME = re.compile(r"agi_([a-z0-9_]+)")
# Bounded digit counts: int() refuses more than 4300 digits with a plain ValueError.
_ARG_NAME = re.compile(r"arg_([0-9]{1,9})")
_STATUS_LINE = re.compile(r"([0-9]{3})(?: (.*))?")
_ENDPOS = re.compile(r"endpos=(-?[0-9]{1,20})")
_COMMAND = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
_WORD = re.compile(r'[^\s"\\\x00-\x1f\x7f]+')
# fgets stops at LF, Asterisk keeps a CR as text and C strings stop at NUL: none may reach it.
_LINE_BREAKS = re.compile(r"[\r\n\x00]")


class AgiProtocolError(ValueError):
    """Asterisk (or whatever connected) sent something that is not FastAGI, or too much of it."""


@dataclasses.dataclass(frozen=True, slots=True)
class AgiRequest:
    """What Asterisk asked for: the script, its arguments and the channel's `agi_*` header.

    For the dialplan call `AGI(agi://127.0.0.1:5002/callerid_extend/a?vars=foo,x,y)`: `script`
    is `callerid_extend` (the first path segment), `args` is `("a", "x", "y")` (further path
    segments, percent-decoded, then `agi_arg_1` … `agi_arg_N` in order: AGI() splits its own
    arguments on commas, so `x` and `y` are not part of the URL), `params` is `{"vars": "foo"}`
    (the URL query; the last value wins for a repeated key) and `headers` holds every `agi_*`
    field without its prefix (`{"channel": "PJSIP/trunk-00000010", …}`).
    """

    script: str
    args: tuple[str, ...] = ()
    # A mappingproxy is unhashable, so Python 3.11 dataclasses refuse it as a plain default.
    params: Mapping[str, str] = dataclasses.field(default_factory=lambda: _EMPTY)
    headers: Mapping[str, str] = dataclasses.field(default_factory=lambda: _EMPTY)

    def _field(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def channel(self) -> str:
        """The channel running AGI(), e.g. `PJSIP/trunk-00000010`."""
        return self._field("channel")

    @property
    def uniqueid(self) -> str:
        """That channel's Uniqueid, the key to its AMI events."""
        return self._field("uniqueid")

    @property
    def callerid(self) -> str:
        """Caller number; Asterisk writes `unknown` when there is none."""
        return self._field("callerid")

    @property
    def calleridname(self) -> str:
        """Caller name; Asterisk writes `unknown` when there is none."""
        return self._field("calleridname")

    @property
    def callington(self) -> str:
        """Caller number's type of number (`0` unknown, `16` international…), as a string."""
        return self._field("callington")

    @property
    def context(self) -> str:
        """Dialplan context the channel is in."""
        return self._field("context")

    @property
    def extension(self) -> str:
        """Dialplan extension the channel is in."""
        return self._field("extension")

    @property
    def version(self) -> str:
        """Asterisk version (absent before 1.6, then empty here)."""
        return self._field("version")


@dataclasses.dataclass(frozen=True, slots=True)
class AgiResponse:
    """One response from Asterisk, e.g. `200 result=1 (0612345678)`.

    `result` stays text: `GET DATA` answers digits that may start with 0 (`result=0123`) or
    nothing at all (`result= (timeout)`); `result_int` converts it when that makes sense.
    """

    code: int
    """`200`, `100`, `510`, `511`, `520`…, or `CODE_HANGUP` for the unsolicited `HANGUP` line."""
    result: str = ""
    """The text after `result=`, empty when absent."""
    data: str | None = None
    """Text between the first `(` and the last `)`; else the free text after the result (or the
    message of a 5xx line); for a 520 the usage text, lines joined by newlines; None if nothing."""
    lines: tuple[str, ...] = ()
    """The raw lines, without newlines."""
    endpos: int | None = None
    """The `endpos=` of playback commands."""

    @property
    def is_hangup(self) -> bool:
        """Whether this is the unsolicited `HANGUP` notification rather than an answer."""
        return self.code == CODE_HANGUP

    @property
    def result_int(self) -> int | None:
        """`result` as an integer, None when it is not one."""
        try:
            return int(self.result)
        except ValueError:
            return None


def decode_line(line: bytes) -> str:
    """Text of one received line without its line ending.

    Undecodable bytes (a Latin-1 caller name) become U+FFFD rather than failing the call.
    """
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line.decode("utf-8", errors="replace")


def parse_header_line(text: str) -> tuple[str, str]:
    """Split `agi_callerid: 0612345678` into `("callerid", "0612345678")`."""
    name, sep, value = text.partition(":")
    match = _HEADER_NAME.fullmatch(name)
    if not sep or match is None:
        raise AgiProtocolError(f"not an agi_* header line: {text[:80]!r}")
    # Asterisk writes exactly "agi_%s: %s"; anything after that one space is the value, even
    # trailing blanks.
    return match[1], value[1:] if value.startswith(" ") else value


class HeaderParser:
    """Collects the `agi_*` header line by line, up to the blank line, within bounds."""

    def __init__(
        self, *, max_lines: int = MAX_HEADER_LINES, max_bytes: int = MAX_HEADER_BYTES
    ) -> None:
        self._max_lines = max_lines
        self._max_bytes = max_bytes
        self._lines = 0
        self._bytes = 0
        self._fields: dict[str, str] = {}
        self.done = False

    def feed(self, line: bytes) -> bool:
        """Take one line; True once the blank line has ended the header.

        :raises AgiProtocolError: bad line, too many lines or bytes, or a line after the end.
        """
        if self.done:
            raise AgiProtocolError("header already complete")
        self._lines += 1
        self._bytes += len(line)
        if self._lines > self._max_lines or self._bytes > self._max_bytes:
            raise AgiProtocolError(
                f"agi_* header longer than {self._max_lines} lines or {self._max_bytes} bytes"
            )
        text = decode_line(line)
        if not text:
            self.done = True
            return True
        name, value = parse_header_line(text)
        self._fields[name] = value
        return False

    def request(self) -> AgiRequest:
        """The request the complete header describes."""
        if not self.done:
            raise AgiProtocolError("agi_* header not complete")
        return build_request(self._fields)


def parse_header(data: bytes) -> AgiRequest:
    """Parse a whole header block (`agi_…: …` lines and the blank line that ends it)."""
    parser = HeaderParser()
    for line in data.splitlines(keepends=True):
        if parser.feed(line):
            return parser.request()
    raise AgiProtocolError("agi_* header not terminated by a blank line")


def build_request(fields: Mapping[str, str]) -> AgiRequest:
    """Build the request from header fields (names without the `agi_` prefix)."""
    target = fields.get("network_script")
    if target is None:
        # agi_network_script is absent when the URL has no path; agi_request is the whole URL.
        try:
            parts = urlsplit(fields.get("request", ""))
        except ValueError as exc:  # a bad IPv6 literal, a netloc NFKC would change
            raise AgiProtocolError(f"agi_request is not a URL: {exc}") from None
        target = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    path, _, query = target.partition("?")
    segments = [unquote(segment) for segment in path.split("/") if segment]
    numbered = []
    for name, value in fields.items():
        match = _ARG_NAME.fullmatch(name)
        if match is not None:
            numbered.append((int(match[1]), value))
    return AgiRequest(
        script=segments[0] if segments else "",
        args=(*segments[1:], *(value for _, value in sorted(numbered))),
        params=MappingProxyType(dict(parse_qsl(query, keep_blank_values=True))),
        headers=MappingProxyType(dict(fields)),
    )


def parse_response_line(line: str) -> AgiResponse:
    """Parse a single-line response: `200 result=1 (x)`, `510 Invalid or unknown command`, `HANGUP`.

    The `520-` block is multi-line: use `ResponseParser` for a stream.
    """
    if line == "HANGUP":
        return AgiResponse(CODE_HANGUP, lines=(line,))
    match = _STATUS_LINE.fullmatch(line)
    if match is None:
        raise AgiProtocolError(f"not a FastAGI response: {line[:80]!r}")
    code, rest = int(match[1]), match[2] or ""
    if not rest.startswith("result="):
        return AgiResponse(code, data=rest or None, lines=(line,))
    result, _, tail = rest[len("result=") :].partition(" ")
    data: str | None = None
    if tail.startswith("(") and ")" in tail:
        # A variable's value may itself hold parentheses: it ends at the LAST ")".
        close = tail.rindex(")")
        data, tail = tail[1:close], tail[close + 1 :].lstrip()
    endpos = _ENDPOS.fullmatch(tail)
    if endpos is None and tail and data is None:
        data = tail
    return AgiResponse(
        code,
        result=result,
        data=data,
        lines=(line,),
        endpos=int(endpos[1]) if endpos else None,
    )


class ResponseParser:
    """Assembles responses from lines, including the multi-line `520-` usage block."""

    def __init__(self, *, max_usage_lines: int = MAX_USAGE_LINES) -> None:
        self._max_usage_lines = max_usage_lines
        self._usage: list[str] | None = None

    def feed(self, line: str | bytes) -> AgiResponse | None:
        """Take one line; the response once complete, None while inside a `520-` block."""
        text = decode_line(line) if isinstance(line, bytes) else line
        if self._usage is None:
            if not text.startswith(f"{CODE_USAGE}-"):
                return parse_response_line(text)
            self._usage = [text]
            return None
        self._usage.append(text)
        if text.startswith(f"{CODE_USAGE} "):
            lines, self._usage = tuple(self._usage), None
            return AgiResponse(CODE_USAGE, data="\n".join(lines[1:-1]), lines=lines)
        if len(self._usage) > self._max_usage_lines:
            raise AgiProtocolError(f"520 usage text longer than {self._max_usage_lines} lines")
        return None


class Word(str):
    """A command argument sent as is, without quotes: a variable name, a channel name.

    Only single words qualify (no blank, quote, backslash or control character); anything else
    is refused by `encode_command`. Plain `str` arguments are always quoted.
    """

    __slots__ = ()


def word_or_quoted(value: str) -> str:
    """`Word(value)` when it is a single safe word (sent bare), else `value` (sent quoted)."""
    return Word(value) if _WORD.fullmatch(value) else value


def quote(value: str) -> str:
    """Quote one argument the way Asterisk's parser reads it back, on one line.

    `\\` and `"` are escaped; CR, LF and NUL become spaces, because Asterisk would end (or cut)
    the command there and read the rest as another command.
    """
    text = _LINE_BREAKS.sub(" ", value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_arg(arg: str | int) -> str:
    """One argument as it goes on the line: `int` and `Word` bare, any other `str` quoted."""
    if isinstance(arg, bool):
        raise TypeError("a FastAGI argument is a str or an int, not a bool")
    if isinstance(arg, int):
        return str(arg)
    if isinstance(arg, Word):
        if not _WORD.fullmatch(arg):
            raise ValueError(f"not a single word, it must be quoted: {arg!r}")
        return str(arg)
    return quote(arg)


def encode_command(command: str, *args: str | int) -> bytes:
    """Encode one command line, e.g. `encode_command("SET VARIABLE", Word("X"), "a b")`.

    :param command: the command words, e.g. `GET FULL VARIABLE`.
    :param args: arguments; see `encode_arg` for which are quoted.
    :returns: the line, UTF-8, with its final newline; always exactly one line.
    :raises ValueError: bad command words, bad `Word`, or longer than `MAX_COMMAND_BYTES`.
    """
    if not _COMMAND.fullmatch(command):
        raise ValueError(f"not a FastAGI command: {command!r}")
    line = " ".join([command, *(encode_arg(arg) for arg in args)]) + "\n"
    data = line.encode("utf-8")
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"{command} line is {len(data)} bytes, over {MAX_COMMAND_BYTES}")
    return data
