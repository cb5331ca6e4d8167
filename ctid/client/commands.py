"""The commands typed at the client's prompt, parsed into the CTI requests they send; pure.

    dial <number>                 ipbxcommand dial: ring my phone, then call <number>
    hangup [channel]              ipbxcommand hangup: that channel, else my current call
    transfer <channel> <number>   ipbxcommand transfer (blind): send <channel>'s peer to <number>
    presence <state>              availstate
    help, quit

Identity is never part of a request: the server takes it from the session.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from typing import Any

USAGE = {
    "dial": "dial <number>",
    "hangup": "hangup [channel]",
    "transfer": "transfer <channel> <number>",
    "presence": "presence <state>",
    "help": "help",
    "quit": "quit",
}
HELP = "commands: " + "; ".join(USAGE.values())
MAX_INPUT = 1000
"""Longest command line read (longer is refused, not truncated)."""


class CommandError(ValueError):
    """A typed line that is not a command; the message says what to type."""


@dataclasses.dataclass(frozen=True)
class Command:
    """One parsed command: its name, what was typed, and the CTI request (None: local)."""

    name: str
    text: str
    request: dict[str, Any] | None = None


def parse(line: str, current_channel: str | None = None) -> Command | None:
    """The command a typed line means; None for a blank line.

    :param current_channel: the call `hangup` without a channel hangs up (None: no call).
    :raises CommandError: unknown command, wrong arguments.
    """
    text = line.strip()
    if not text:
        return None
    if len(text) > MAX_INPUT:
        raise CommandError(f"a command is at most {MAX_INPUT} characters")
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise CommandError(f"cannot read the line: {exc}") from None
    name, args = words[0].lower(), words[1:]
    if name not in USAGE:
        raise CommandError(f"unknown command {words[0]!r}; {HELP}")
    if name == "hangup" and not args:
        if current_channel is None:
            raise CommandError("no current call: give its channel (hangup <channel>)")
        args = [current_channel]
    _arity(name, args)
    return Command(name=name, text=text, request=_request(name, args))


def _arity(name: str, args: Sequence[str]) -> None:
    wanted = {"dial": 1, "hangup": 1, "transfer": 2, "presence": 1, "help": 0, "quit": 0}[name]
    if len(args) != wanted:
        raise CommandError(f"usage: {USAGE[name]}")


def _request(name: str, args: Sequence[str]) -> dict[str, Any] | None:
    if name == "dial":
        return {"class": "ipbxcommand", "command": "dial", "destination": args[0]}
    if name == "hangup":
        return {"class": "ipbxcommand", "command": "hangup", "channelids": args[0]}
    if name == "transfer":
        return {
            "class": "ipbxcommand",
            "command": "transfer",
            "source": args[0],
            "destination": args[1],
        }
    if name == "presence":
        return {"class": "availstate", "availstate": args[0]}
    return None  # help, quit: the client answers them itself


def outcome(reply: dict[str, Any]) -> tuple[bool, str]:
    """(succeeded, what to say) of the server's answer to a command."""
    if "warning_string" in reply:
        return False, str(reply["warning_string"])
    if reply.get("class") == "ipbxcommand":
        return reply.get("status") == "ok", str(reply.get("message", ""))
    if reply.get("class") == "availstate":
        return True, f"presence {reply.get('availstate', '')}"
    return True, ""
