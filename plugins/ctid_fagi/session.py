"""One FastAGI conversation with Asterisk over any readline/write pair: request in, commands out.

The session takes two callables rather than a socket so that it runs the same over a gevent
socket (`sock.makefile("rb").readline`, `sock.sendall`), a pipe or in-memory bytes in tests. It
blocks only inside those callables, which is where gevent switches.

Hangup handling follows Asterisk: when the channel hangs up, Asterisk writes an unsolicited
`HANGUP` line once and goes on answering commands in "dead" mode (`SET/GET VARIABLE`, `VERBOSE`…
still work, the others answer 511). `execute` reads past the `HANGUP` line to the command's own
answer, so the stream stays in step, then raises `AgiHangup` once, carrying that answer. A script
that has nothing left to do on a dead channel just lets it propagate; one that must finish catches
it and goes on (`hung_up` stays True; a 511 raises `AgiHangup` again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ctid_fagi.protocol import (
    CODE_DEAD_CHANNEL,
    CODE_TRYING,
    MAX_LINE_BYTES,
    AgiProtocolError,
    AgiRequest,
    AgiResponse,
    HeaderParser,
    ResponseParser,
    encode_command,
    word_or_quoted,
)

logger = logging.getLogger(__name__)

ReadLine = Callable[[int], bytes]
"""Reads one line of at most that many bytes, newline included; b"" at end of stream."""
Write = Callable[[bytes], object]
"""Writes all the bytes (e.g. `socket.sendall`)."""

MAX_INTERIM_LINES = 32
"""`100 Trying…` and `HANGUP` lines tolerated before a command's final answer."""


class AgiError(Exception):
    """Base of the errors a FastAGI script sees from its session."""


class AgiConnectionClosed(AgiError):
    """Asterisk closed the connection (the channel is gone or AGI() was interrupted)."""


class AgiHangup(AgiError):
    """The channel hung up: a `HANGUP` notification arrived, or Asterisk answered 511."""

    def __init__(self, message: str, response: AgiResponse) -> None:
        super().__init__(message)
        self.response = response
        """The answer to the command during which the hangup was seen."""


class AgiCommandError(AgiError):
    """Asterisk refused the command: unknown (510), bad syntax (520, with usage) or another 5xx."""

    def __init__(self, message: str, response: AgiResponse) -> None:
        super().__init__(message)
        self.response = response

    @property
    def usage(self) -> str:
        """The usage text of a 520 (empty for other codes)."""
        return (self.response.data or "") if self.response.code == 520 else ""


class AgiSession:
    """A FastAGI session: `read_request()` once, then `execute()` or the helpers, then close.

    :param reader: `readline`-like callable, e.g. `sock.makefile("rb").readline`.
    :param writer: `sendall`-like callable, e.g. `sock.sendall`.
    :param max_line_bytes: longest line accepted from Asterisk, newline included.
    """

    def __init__(
        self, reader: ReadLine, writer: Write, *, max_line_bytes: int = MAX_LINE_BYTES
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._max_line_bytes = max_line_bytes
        self.request: AgiRequest | None = None
        """The request once `read_request()` has returned."""
        self.hung_up = False
        """Whether Asterisk has said the channel hung up."""

    def read_request(self) -> AgiRequest:
        """Read the `agi_*` header up to its blank line.

        :raises AgiProtocolError: not a FastAGI header, or over the header bounds.
        :raises AgiConnectionClosed: the connection ended before the blank line.
        """
        parser = HeaderParser()
        while not parser.feed(self._read_line()):
            pass
        self.request = parser.request()
        logger.debug(
            "FastAGI request %r args=%r from %s (uniqueid %s)",
            self.request.script,
            self.request.args,
            self.request.channel,
            self.request.uniqueid,
        )
        return self.request

    def execute(self, command: str, *args: str | int) -> AgiResponse:
        """Send one command and return Asterisk's final answer (1xx interim lines skipped).

        Arguments are encoded by `ctid_fagi.protocol.encode_command`: `int` and `Word` bare,
        other `str` quoted.

        :raises AgiHangup: a `HANGUP` line came before the answer (raised once), or a 511.
        :raises AgiCommandError: 510, 520 or any other 5xx.
        :raises AgiConnectionClosed: Asterisk closed the connection.
        :raises AgiProtocolError: Asterisk's answer is not FastAGI.
        """
        line = encode_command(command, *args)
        logger.debug("FastAGI >>> %r", line)
        self._writer(line)
        hangup_seen, response = self._read_response()
        if response.code == CODE_DEAD_CHANNEL:
            raise AgiHangup(f"{command}: not permitted on a dead channel", response)
        if response.code >= 500:
            raise AgiCommandError(f"{command}: {response.lines[0]}", response)
        if hangup_seen:
            raise AgiHangup(f"{command}: the channel hung up", response)
        return response

    def verbose(self, message: str, level: int = 1) -> None:
        """Write `message` to the Asterisk console at verbosity `level` (1 to 4)."""
        self.execute("VERBOSE", message, level)

    def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable or writable function, e.g. `CALLERID(name)`."""
        self.execute("SET VARIABLE", word_or_quoted(name), value)

    def get_variable(self, name: str) -> str | None:
        """A channel variable or function's value, None when it is not set."""
        return _value_of(self.execute("GET VARIABLE", word_or_quoted(name)))

    def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        """Expand an expression such as `${CALLERID(num)}` on this channel (or `channel`)."""
        args = (expression,) if channel is None else (expression, word_or_quoted(channel))
        return _value_of(self.execute("GET FULL VARIABLE", *args))

    def channel_status(self) -> int:
        """The channel state number (0 down … 6 up, 7 busy); -1 when there is no such channel."""
        status = self.execute("CHANNEL STATUS").result_int
        return -1 if status is None else status

    def _read_response(self) -> tuple[bool, AgiResponse]:
        parser = ResponseParser()
        hangup_seen = False
        for _ in range(MAX_INTERIM_LINES + 1):
            response = parser.feed(self._read_line())
            while response is None:  # inside a 520- block, bounded by the parser
                response = parser.feed(self._read_line())
            if response.is_hangup:
                logger.debug("FastAGI channel hung up (uniqueid %s)", self._uniqueid())
                hangup_seen = True
                self.hung_up = True
            elif response.code != CODE_TRYING:
                return hangup_seen, response
        raise AgiProtocolError(f"no final answer after {MAX_INTERIM_LINES} interim lines")

    def _read_line(self) -> bytes:
        line = self._reader(self._max_line_bytes + 1)
        if not line:
            raise AgiConnectionClosed("Asterisk closed the FastAGI connection")
        if len(line) > self._max_line_bytes:
            raise AgiProtocolError(f"line from Asterisk longer than {self._max_line_bytes} bytes")
        return line

    def _uniqueid(self) -> str:
        return self.request.uniqueid if self.request is not None else "?"


def _value_of(response: AgiResponse) -> str | None:
    # GET VARIABLE / GET FULL VARIABLE: "200 result=1 (value)" when set, "200 result=0" when not.
    if response.result != "1":
        return None
    return response.data or ""
