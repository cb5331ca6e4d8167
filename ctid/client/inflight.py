"""Requests in flight on a session: each typed command until its answer becomes a result, and
the client's own requests (its user's config, its phones' status) until their answer is read.

A session that ends fails what is still waiting (`connection lost before the answer`), so a
script reading `--json` always gets one `result` per command it typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent.event

from ctid.client.commands import Command, outcome
from ctid.client.output import Output
from ctid.client.render import clean

Message = dict[str, Any]


class InFlight:
    """The requests of one client waiting for their answers, by commandid."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self._commands: dict[int, Command] = {}
        self._own: dict[int, Callable[[Message], None]] = {}
        self._answered = gevent.event.Event()
        """Set whenever no typed command waits for its answer."""
        self._answered.set()

    def command(self, command_id: int, command: Command) -> None:
        """A typed command was sent."""
        self._commands[command_id] = command
        self._answered.clear()

    def own(self, command_id: int, then: Callable[[Message], None]) -> None:
        """One of the client's own requests was sent; `then` gets its answer."""
        self._own[command_id] = then

    def answer(self, reply_id: int, message: Message) -> None:
        """A message carrying `replyid`: its request's result, if one waits for it."""
        then = self._own.pop(reply_id, None)
        if then is not None:
            then(message)
        command = self._commands.pop(reply_id, None)
        if command is not None:
            ok, detail = outcome(message)
            self.result(command, ok, detail, reply_id)
            if not self._commands:
                self._answered.set()

    def result(self, command: Command, ok: bool, detail: str, reply_id: int | None) -> None:
        """Tell how a command went."""
        said = f"{clean(command.text)}: {'ok' if ok else 'failed'}"
        self.output.record(
            "result",
            f"{said} ({clean(detail)})" if detail else said,
            command=command.name,
            input=command.text,
            ok=ok,
            detail=detail,
            replyid=reply_id,
        )

    def fail_all(self) -> None:
        """The connection is gone: nothing sent on it will be answered."""
        commands, self._commands = self._commands, {}
        self._own.clear()
        self._answered.set()
        for command in commands.values():
            self.result(command, False, "connection lost before the answer", None)

    def wait(self, timeout: float) -> bool:
        """Wait until every typed command has its answer; False after `timeout` seconds."""
        return bool(self._answered.wait(timeout))
