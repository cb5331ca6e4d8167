"""One info console: the optional token, then command lines answered with `XIVO-INFO:OK|KO`.

Every line written, answers and streamed AMI events alike, goes through `printable`, so data
(a caller name holding a newline or a terminal escape) can never add or forge a line. A command
that raises is logged and answered KO; the console goes on.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import re
from collections.abc import Callable, Iterable, Mapping

import gevent

from ctid.api import InfoCommandError, InfoHandler, LineConnection
from ctid_info.dump import AmiDump

log = logging.getLogger(__name__)

OK = "XIVO-INFO:OK"
KO = "XIVO-INFO:KO"
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """`text` with control characters and line separators escaped (`\\n`, `\\r`, `\\x1b`…)."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def encode(lines: Iterable[str]) -> bytes:
    """Lines as one wire message, each escaped and ended by a newline."""
    return "".join(f"{printable(line)}\n" for line in lines).encode("utf-8", "replace")


@dataclasses.dataclass
class Settings:
    """What the consoles read from the plugin options (replaced on reload)."""

    token: str = ""
    token_timeout: float = 10.0


class Console:
    """The line handler of one info connection, and the `InfoConsole` its commands see."""

    def __init__(
        self,
        connection: LineConnection,
        settings: Settings,
        commands: Callable[[], Mapping[str, InfoHandler]],
        dump: AmiDump,
    ) -> None:
        self.connection = connection
        self.commands = commands
        self.dump = dump
        self._token = settings.token
        self._token_timeout = settings.token_timeout
        self.authenticated = not self._token
        self._timer: gevent.Greenlet | None = None

    @property
    def peer(self) -> tuple[str, int]:
        """The operator's address and port."""
        return self.connection.peer

    def write(self, line: str) -> bool:
        """Push one line outside a command's answer; False when the console is gone or slow."""
        return self.connection.send(encode([line]))

    def connected(self) -> None:
        if not self.authenticated:
            self._timer = gevent.spawn_later(self._token_timeout, self._refuse, "no token in time")

    def line_received(self, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace")
        words = text.split()
        if not words:
            return
        if not self.authenticated:
            self._authenticate(words)
        else:
            self.connection.send(encode(self.run(words[0], words[1:])))

    def line_too_long(self) -> bytes | None:
        return encode(["line too long", KO])

    def closed(self, reason: str) -> None:
        self.dump.unsubscribe(self)
        if self._timer is not None:
            self._timer.kill(block=False)

    def run(self, name: str, args: list[str]) -> list[str]:
        """The answer to one command, `XIVO-INFO:OK` or `XIVO-INFO:KO` last."""
        handler = self.commands().get(name)
        if handler is None:
            return [f"unknown command {name!r}, see help", KO]
        log.info("info console %s:%d: %s", *self.peer, printable(name))
        try:
            answer = handler(self, args)
            lines = [answer] if isinstance(answer, str) else list(answer or ())
        except InfoCommandError as exc:
            return [str(exc), KO]
        except Exception as exc:  # another plugin's bug must not end the console
            log.exception("info command %s failed", printable(name))
            return [f"{name} failed: {type(exc).__name__} (see the log)", KO]
        return [*map(str, lines), OK]

    def _authenticate(self, words: list[str]) -> None:
        # The token is compared in constant time and never logged, whatever the outcome.
        given = words[1] if len(words) == 2 and words[0] == "token" else ""
        if not hmac.compare_digest(given.encode(), self._token.encode()):
            self._refuse("wrong or missing token")
            return
        self.authenticated = True
        if self._timer is not None:
            self._timer.kill(block=False)
        self.connection.send(encode([OK]))

    def _refuse(self, reason: str) -> None:
        log.warning("info console %s:%d refused: %s", *self.peer, reason)
        self.connection.send(encode([reason, KO]))
        self.connection.close(reason)
