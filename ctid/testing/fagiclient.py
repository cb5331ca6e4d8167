"""FakeAgiClient: a test double that connects to a FastAGI server the way Asterisk's AGI() does.

It sends an `agi_*` header (by default exactly the one Asterisk 22.10.1 sent in the captured
session `tests/data/fastagi/did_agi_fastagi.txt`), then answers every command line like a channel
would, records what it received, and returns when the server closes the connection::

    client = FakeAgiClient(server.address, script="callerid_forphones",
                           callerid="0612345678", calleridname="unknown")
    client.run()                       # or client.start() for a greenlet
    assert client.commands == ['SET VARIABLE CALLERID(name) "Alice Martin"']
    assert client.variables["CALLERID(name)"] == "Alice Martin"

Answers come, in order of preference, from the `responses` script (one entry per command), from
the `responder` callable (return None to fall through), then from a small table that behaves like
Asterisk: `VERBOSE` → `200 result=1`; `GET VARIABLE X` → `200 result=1 (value)` or `200 result=0`;
`GET FULL VARIABLE "${X}…"` → `200 result=1 (expanded)`; `SET VARIABLE X v` → stores it,
`200 result=1`; `CHANNEL STATUS` → `200 result=4`; `NOOP`/`ANSWER` → `200 result=0`; wrong
argument counts → the multi-line 520 usage; anything else → `510 Invalid or unknown command`.
After a hangup (`send_hangup()` or `hangup_after=`) the table answers like a dead channel: 511
for every command Asterisk does not run on dead channels.

Lines are read as Asterisk does: up to 2047 bytes (its 2048-byte buffer), so an over-long line
from the server shows up as two commands here, as it would on a real Asterisk.
It does not import the FastAGI plugin: its tiny line handling is its own, so it checks the
plugin's protocol code instead of sharing its mistakes.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence

import gevent
import gevent.event
from gevent import socket as gsocket

logger = logging.getLogger(__name__)

Response = str | Sequence[str]
"""One answer: a line, or several lines (e.g. a 520 usage block, or `HANGUP` then `200 …`)."""
Responder = Callable[[str], Response | None]
"""Gets the command line (without its newline); returns the answer, or None for the default."""

CAPTURED_HEADER: tuple[tuple[str, str], ...] = (
    ("agi_network", "yes"),
    ("agi_network_script", "incoming_call"),
    ("agi_request", "agi://127.0.0.1:5041/incoming_call"),
    ("agi_channel", "Local/2000@default-00000001;2"),
    ("agi_language", "en"),
    ("agi_type", "Local"),
    ("agi_uniqueid", "1795727755.3"),
    ("agi_version", "22.10.1"),
    ("agi_callerid", "0612345678"),
    ("agi_calleridname", "Outside Caller"),
    ("agi_callingpres", "0"),
    ("agi_callingani2", "0"),
    ("agi_callington", "0"),
    ("agi_callingtns", "0"),
    ("agi_dnid", "unknown"),
    ("agi_rdnis", "unknown"),
    ("agi_context", "default"),
    ("agi_extension", "2000"),
    ("agi_priority", "3"),
    ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""),
    ("agi_threadid", "139752079009472"),
)
"""The header Asterisk 22.10.1 sent for `AGI(agi://127.0.0.1:5041/incoming_call)`, in order."""

AGI_READ_LIMIT = 2047
"""Asterisk reads commands with fgets into a 2048-byte buffer."""
INVALID = "510 Invalid or unknown command"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
# Commands Asterisk still runs once the channel is dead (res_agi marks them "dead").
_DEAD_OK = ("VERBOSE", "GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "NOOP", "EXEC")
# Word counts Asterisk accepts (command words included) and the usage it prints otherwise.
_USAGE = {
    "GET VARIABLE": (3, 3, " Usage: GET VARIABLE <variablename>"),
    "GET FULL VARIABLE": (4, 5, " Usage: GET FULL VARIABLE <variablename> [<channel name>]"),
    "SET VARIABLE": (4, 4, " Usage: SET VARIABLE <variablename> <value>"),
}
USAGE_FIRST = "520-Invalid command syntax.  Proper usage follows:"
USAGE_LAST = "520 End of proper usage."
_EXPANSION = re.compile(r"\$\{([^}]*)\}")


def split_command(line: str) -> list[str]:
    """Split a command line into words as Asterisk's parser does.

    Blanks separate words outside double quotes, quotes group, and a backslash takes the next
    character literally. `GET FULL VARIABLE "${X}"` → `["GET", "FULL", "VARIABLE", "${X}"]`.
    """
    words: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
            current = current if current is not None else []
            continue
        elif char == '"':
            quoted = not quoted
            current = current if current is not None else []
            continue
        elif char in " \t" and not quoted:
            if current is not None:
                words.append("".join(current))
                current = None
            continue
        current = current if current is not None else []
        current.append(char)
    if current is not None:
        words.append("".join(current))
    return words


def build_header(
    address: tuple[str, int] | None = None,
    *,
    script: str | None = None,
    args: Sequence[str] = (),
    **fields: str | None,
) -> list[tuple[str, str]]:
    """The header to send: `CAPTURED_HEADER` with overrides.

    :param address: where the server listens, used in `agi_request` when `script` is given.
    :param script: sets `agi_network_script` (e.g. `callerid_extend?vars=foo`) and `agi_request`.
    :param args: sent as `agi_arg_1` … `agi_arg_N`, as `AGI(url,arg1,arg2)` would.
    :param fields: other fields by name without `agi_` (`callerid="0612"`); None removes one.
    """
    header = dict(CAPTURED_HEADER)
    if script is not None:
        host, port = address if address is not None else ("127.0.0.1", 4573)
        header["agi_network_script"] = script
        header["agi_request"] = f"agi://{host}:{port}/{script}"
    for name, value in fields.items():
        if value is None:
            header.pop(f"agi_{name}", None)
        else:
            header[f"agi_{name}"] = value  # a known field keeps its place in the order
    header.update({f"agi_arg_{n}": arg for n, arg in enumerate(args, start=1)})
    return list(header.items())


class FakeAgiClient:
    """Plays Asterisk's side of one FastAGI session against a server under test.

    :param address: `(host, port)` of the FastAGI server.
    :param script: script path and query the dialplan would call (`callerid_extend?vars=a`).
    :param args: dialplan arguments, sent as `agi_arg_N`.
    :param variables: channel variables on top of those taken from the header (`UNIQUEID`,
        `CHANNEL`, `CALLERID(num)`, `CALLERID(name)`, `CONTEXT`, `EXTEN`).
    :param responses: answers for the first commands, in order; then `responder` and the table.
    :param responder: answers a command line, or returns None to leave it to the table.
    :param hangup_after: send an unsolicited `HANGUP` right after answering that many commands.
    :param timeout: seconds to wait for the server on connect and on each read.
    :param fields: header overrides by name without `agi_` (see `build_header`).
    """

    def __init__(
        self,
        address: tuple[str, int],
        *,
        script: str | None = None,
        args: Sequence[str] = (),
        variables: Mapping[str, str] | None = None,
        responses: Iterable[Response] = (),
        responder: Responder | None = None,
        hangup_after: int | None = None,
        timeout: float = 10.0,
        **fields: str | None,
    ) -> None:
        self.address = address
        self.header = build_header(address, script=script, args=args, **fields)
        """The `(name, value)` pairs sent, in order."""
        self.variables: dict[str, str] = {**self._header_variables(), **(variables or {})}
        """The channel's variables, updated by every SET VARIABLE."""
        self.variables_set: list[tuple[str, str]] = []
        """Every SET VARIABLE received, in order, as `(name, value)` after unquoting."""
        self.commands: list[str] = []
        """Every command line received, without its newline."""
        self.hung_up = False
        """Whether the channel has hung up (dead mode)."""
        self._responses = list(responses)
        self._responder = responder
        self._hangup_after = hangup_after
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._changed = gevent.event.Event()
        self.closed = gevent.event.Event()
        """Set when the session has ended (server closed, or error)."""

    def _header_variables(self) -> dict[str, str]:
        header = dict(self.header)
        names = {
            "UNIQUEID": "agi_uniqueid",
            "CHANNEL": "agi_channel",
            "CALLERID(num)": "agi_callerid",
            "CALLERID(name)": "agi_calleridname",
            "CONTEXT": "agi_context",
            "EXTEN": "agi_extension",
        }
        return {var: header[field] for var, field in names.items() if field in header}

    def start(self) -> gevent.Greenlet:
        """Run the session in a new greenlet; join it (or wait on `closed`) to see it end."""
        return gevent.spawn(self.run)

    def run(self) -> list[str]:
        """Connect, send the header, answer until the server closes; return `commands`."""
        try:
            sock = gsocket.create_connection(self.address, timeout=self._timeout)
            self._sock = sock
            with sock, sock.makefile("rb") as reader:
                payload = "".join(f"{name}: {value}\n" for name, value in self.header) + "\n"
                sock.sendall(payload.encode("utf-8"))
                self._serve(sock, reader.readline)
        finally:
            self.closed.set()
            self._changed.set()
        return self.commands

    def _serve(self, sock: socket.socket, reader: Callable[[int], bytes]) -> None:
        while True:
            try:
                raw = reader(AGI_READ_LIMIT)
            except ConnectionResetError:
                return
            if not raw:
                return
            line = raw.decode("utf-8", errors="replace")
            line = line[:-1] if line.endswith("\n") else line
            self.commands.append(line)
            self._changed.set()
            answer = self._answer(line)
            lines = [answer] if isinstance(answer, str) else list(answer)
            self._send(sock, lines)
            if self._hangup_after is not None and len(self.commands) == self._hangup_after:
                self.send_hangup()

    def _send(self, sock: socket.socket, lines: Sequence[str]) -> None:
        logger.debug("fake Asterisk answers %r", lines)
        try:
            sock.sendall("".join(f"{line}\n" for line in lines).encode("utf-8"))
        except OSError:
            logger.debug("FastAGI server closed before our answer")

    def send_hangup(self) -> None:
        """Hang the channel up: write the unsolicited `HANGUP` line, switch to dead mode.

        Safe to call from another greenlet while the session runs; lost (like Asterisk's) when
        the server has already closed.
        """
        self.hung_up = True
        if self._sock is not None:
            self._send(self._sock, ["HANGUP"])

    def wait_for_commands(self, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until `count` commands have arrived (or the session ended); return them.

        :raises TimeoutError: not that many commands within `timeout` seconds.
        """
        with gevent.Timeout(timeout, TimeoutError(f"fewer than {count} FastAGI commands")):
            while len(self.commands) < count and not self.closed.is_set():
                self._changed.clear()
                self._changed.wait()
        if len(self.commands) < count:
            raise TimeoutError(f"session ended after {len(self.commands)} of {count} commands")
        return self.commands

    def _answer(self, line: str) -> Response:
        if self._responses:
            return self._responses.pop(0)
        if self._responder is not None:
            answer = self._responder(line)
            if answer is not None:
                return answer
        return self.default_response(line)

    def default_response(self, line: str) -> Response:
        """What the built-in table answers to `line` (a responder may call it too)."""
        words = split_command(line)
        command = _command_name(words)
        if command is None:
            return INVALID
        if self.hung_up and command not in _DEAD_OK:
            return DEAD
        fewest, most, usage = _USAGE.get(command, (0, len(words), ""))
        if not fewest <= len(words) <= most:
            return [USAGE_FIRST, usage, USAGE_LAST]
        return _TABLE[command](self, words)

    def _get_variable(self, words: list[str]) -> str:
        value = self.variables.get(words[2])
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def _get_full_variable(self, words: list[str]) -> str:
        expanded = _EXPANSION.sub(lambda m: self.variables.get(m[1], ""), words[3])
        return f"200 result=1 ({expanded})"

    def _set_variable(self, words: list[str]) -> str:
        self.variables[words[2]] = words[3]
        self.variables_set.append((words[2], words[3]))
        self._changed.set()
        return "200 result=1"


def _command_name(words: Sequence[str]) -> str | None:
    # Like Asterisk: the longest known command the first words spell, in any case.
    for count in (3, 2, 1):
        name = " ".join(words[:count]).upper()
        if len(words) >= count and name in _TABLE:
            return name
    return None


_TABLE: dict[str, Callable[[FakeAgiClient, list[str]], str]] = {
    "VERBOSE": lambda client, words: "200 result=1",
    "NOOP": lambda client, words: "200 result=0",
    "ANSWER": lambda client, words: "200 result=0",
    "CHANNEL STATUS": lambda client, words: "200 result=4",
    "GET VARIABLE": FakeAgiClient._get_variable,
    "GET FULL VARIABLE": FakeAgiClient._get_full_variable,
    "SET VARIABLE": FakeAgiClient._set_variable,
}
