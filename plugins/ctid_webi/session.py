"""One webi connection: check the peer, run each command of the message, answer, close.

A connection carries one message, as in XiVO: whatever the client sends in one go (one or more
lines; commands separated by newlines or by the literal `\\n`). Every command is answered in
order, and once nothing more is waiting to be read the connection is closed, so that a client
reading until end of file (the PHP web interface, `nc`) gets its whole answer and returns.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import gevent

from ctid.api import ActionTimeout, Ctid, IpbxUnavailable, LineConnection
from ctid_webi import webi

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Options:
    """The plugin options a session reads (replaced as a whole on reload)."""

    allowed: Sequence[webi.Network]
    cli_timeout: float


@dataclasses.dataclass
class Counters:
    """What the webi port did since start, for status."""

    notices: int = 0
    reloads: int = 0
    cli: int = 0
    refused: int = 0
    not_allowed: int = 0


class WebiSession:
    """The line handler of one webi connection."""

    def __init__(
        self, connection: LineConnection, ctid: Ctid, options: Options, counters: Counters
    ) -> None:
        self.connection = connection
        self.ctid = ctid
        self.options = options
        self.counters = counters
        self._closer: gevent.Greenlet | None = None

    def connected(self) -> None:
        peer = self.connection.peer[0]
        if not webi.is_allowed(peer, self.options.allowed):
            self.counters.not_allowed += 1
            log.warning("webi: connection from %s refused: not in allowed_sources", peer)
            self._send([webi.not_allowed(peer)])
            self.connection.close("not in allowed_sources")

    def line_received(self, line: bytes) -> None:
        # A close scheduled after an earlier line waits: this line belongs to the same message.
        self._cancel_close()
        commands = webi.split_message(line.decode("utf-8", errors="replace"))
        for command in commands[: webi.MAX_COMMANDS]:
            if self.connection.closed:
                return
            self._send(self._answer(command))
        if len(commands) > webi.MAX_COMMANDS:
            self._send([webi.ko(f"too many commands: only the first {webi.MAX_COMMANDS} ran")])
        # Runs when the reader next waits for input, i.e. after every line already received.
        self._closer = gevent.spawn(self.connection.close, "message answered")

    def line_too_long(self) -> bytes | None:
        return (webi.ko("line too long") + "\n").encode()

    def closed(self, reason: str) -> None:
        self._cancel_close()

    def _answer(self, command: str) -> list[str]:
        try:
            return self.run(command)
        except Exception:  # a bug must cost one KO, not the port
            log.exception("webi: %r failed", command)
            return [webi.ko("internal error")]

    def run(self, command: str) -> list[str]:
        """The reply lines to one command."""
        log.info("webi %s: %r", self.connection.peer[0], command)
        decided = webi.parse(command)
        if decided.kind == webi.CLI:
            return self._cli(decided.text)
        if decided.kind == webi.REFUSED:
            self.counters.refused += 1
            if command.startswith("xivo["):
                return [webi.ko(decided.text)]
            return [webi.cli_ko(decided.text)]
        self.counters.notices += 1
        if decided.kind == webi.REFRESH_USERS:
            self.ctid.refresh_users()
        elif decided.kind == webi.RELOAD:
            self.counters.reloads += 1
            if not self.ctid.request_reload():
                return [webi.ko("configuration invalid: the running one is kept")]
        return [webi.OK]

    def _cli(self, command: str) -> list[str]:
        self.counters.cli += 1
        ipbx = self.ctid.ipbx
        timeout = self.options.cli_timeout
        try:
            result = ipbx.send_action("Command", {"Command": command}, timeout=timeout)
        except IpbxUnavailable:
            return webi.cli_reply(ipbx.id, [], ok=False, reason="no AMI link")
        except ActionTimeout:
            return webi.cli_reply(ipbx.id, [], ok=False, reason=f"timeout after {timeout:g} s")
        reason = "" if result.ok else f"error: {result.message or result.response}"
        return webi.cli_reply(ipbx.id, result.output, ok=result.ok, reason=webi.printable(reason))

    def _send(self, lines: list[str]) -> None:
        # One message per reply: a long CLI output takes one slot of the bounded queue.
        self.connection.send("".join(f"{line}\n" for line in lines).encode("utf-8", "replace"))

    def _cancel_close(self) -> None:
        if self._closer is not None:
            self._closer.kill(block=False)
            self._closer = None
