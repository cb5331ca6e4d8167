"""The contract of info-console commands, shared by the info plugin and the plugins that add
commands to it (`ctid_register_info_commands`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol


class InfoCommandError(Exception):
    """A command failed or was misused: its message is shown, then `XIVO-INFO:KO`."""


class InfoConsole(Protocol):
    """One operator's console session, as a command handler sees it."""

    @property
    def peer(self) -> tuple[str, int]:
        """The operator's address and port."""

    def write(self, line: str) -> bool:
        """Push one line to the console outside a command's answer (e.g. streamed AMI events);
        False when the console is gone or too slow."""


InfoHandler = Callable[[InfoConsole, list[str]], Iterable[str]]
"""A command: called with the console and the words after the command; returns the answer's
lines (without the closing `XIVO-INFO:OK`, which the console adds); raises InfoCommandError."""
