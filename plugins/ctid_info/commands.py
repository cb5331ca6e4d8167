"""The info console's own commands, registered through `ctid_register_info_commands` like any
other plugin's, so that a name clash with another plugin stops the daemon at start.

Each handler takes the console and its arguments and returns the answer's lines; the console
adds `XIVO-INFO:OK`. Data goes out as JSON (`<id> {…}`), which escapes whatever a caller name
holds; the console escapes what is left (see `ctid_info.console.printable`).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ctid.api import Ctid, InfoCommandError, InfoConsole, InfoHandler, log_level, vol
from ctid_info.dump import AmiDump, DumpFilterError, describe, parse_filter

_LOGGER_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def as_json(data: Mapping[str, Any]) -> str:
    """A mapping as one line of JSON, non-ASCII kept readable."""
    return json.dumps(data, ensure_ascii=False, default=str)


def as_value(value: Any) -> str:
    """A status value for a `key=value` field: plain when it is one word, JSON otherwise."""
    if isinstance(value, str) and value and not any(c.isspace() for c in value):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def fields(data: Mapping[str, Any], skip: Iterable[str] = ()) -> str:
    """`k=v k=v` for every entry except `skip` and empty failure notes."""
    return " ".join(
        f"{key}={as_value(value)}"
        for key, value in data.items()
        if key not in skip and not (key == "last_failure" and not value)
    )


def listing(title: str, ipbx_id: str, items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """`<title> for <ipbx>: <count>` then one `<id> <json>` line per item."""
    lines = [f"{key} {as_json(data)}" for key, data in items]
    return [f"{title} for {ipbx_id}: {len(lines)}", *lines]


def without(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A copy of `data` without `key` (it is the line's id already)."""
    return {k: v for k, v in data.items() if k != key}


class Builtins:
    """The built-in commands; they need the plugin's handle, known once it has started."""

    def __init__(self, dump: AmiDump, handle: Callable[[], Ctid]) -> None:
        self.dump = dump
        self._handle = handle

    def table(self) -> dict[str, InfoHandler]:
        """Command word → handler, for `ctid_register_info_commands`."""
        return {
            "help": self.help,
            "show_infos": self.show_infos,
            "show_users": self.show_users,
            "show_phones": self.show_phones,
            "show_queues": self.show_queues,
            "show_agents": self.show_agents,
            "show_channels": self.show_channels,
            "show_calls": self.show_calls,
            "loglevel": self.loglevel,
            "dumpami": self.dumpami,
        }

    def help(self, console: InfoConsole, args: list[str]) -> list[str]:
        """help: this list (every plugin's commands)."""
        commands = self._handle().registry("info_commands")
        lines = []
        for name in sorted(commands):
            summary = (inspect.getdoc(commands[name]) or name).split("\n", 1)[0]
            lines.append(summary if summary.startswith(name) else f"{name}: {summary}")
        return lines

    def show_infos(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_infos: version, uptime, health summary, AMI link, plugins and their state."""
        status = self._handle().status()
        summary = status["summary"]
        plugins = summary["plugins"]
        lines = [
            f"infos=server_version={status['version']};commandset=ctid;"
            f"uptime={round(status['uptime'])} s;pid={status['pid']}",
            f"summary: {fields(summary, skip=['problems', 'plugins'])} "
            f"{fields({f'plugins_{key}': value for key, value in plugins.items()})}",
            *(f"problem: {problem}" for problem in summary["problems"]),
            f"ipbx {status['ipbx']['id']}: {fields(status['ipbx'], skip=['id'])}",
        ]
        for name, state in sorted(status["plugins"].items()):
            # The core's view first, whatever order the status dict has: then the plugin's.
            core = {
                key: state[key] for key in ("state", "failures", "last_failure") if key in state
            }
            lines.append(f"plugin {name}: {fields(core | state)}")
        return lines

    def show_users(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_users: every user with its profile and lines (never a password)."""
        ctid = self._handle()
        users = sorted(ctid.users.all().values(), key=lambda user: user.login)
        return listing("users", ctid.ipbx.id, ((u.login, u.public()) for u in users))

    def show_phones(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_phones: device states, then hint states, as Asterisk last reported them."""
        ipbx = self._handle().ipbx
        phones = ipbx.model.phones().to_dict()
        devices = [
            (f"device {name}", {"state": state}) for name, state in phones["devices"].items()
        ]
        hints = [(f"hint {key}", info) for key, info in phones["extensions"].items()]
        return listing("phones", ipbx.id, devices + hints)

    def show_queues(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_queues: queues with their members and waiting callers."""
        ipbx = self._handle().ipbx
        queues = ipbx.model.queues()
        return listing("queues", ipbx.id, ((q.name, without(q.to_dict(), "name")) for q in queues))

    def show_agents(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_agents: logged-in agents and their status."""
        ipbx = self._handle().ipbx
        agents = ipbx.model.agents()
        return listing(
            "agents", ipbx.id, ((a.agent, without(a.to_dict(), "agent")) for a in agents)
        )

    def show_channels(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_channels: live channels, oldest first."""
        ipbx = self._handle().ipbx
        items = ((c.uniqueid, without(c.to_dict(), "uniqueid")) for c in ipbx.model.channels())
        return listing("channels", ipbx.id, items)

    def show_calls(self, console: InfoConsole, args: list[str]) -> list[str]:
        """show_calls: live calls (channels sharing a Linkedid), oldest first."""
        ipbx = self._handle().ipbx
        items = ((c.linkedid, without(c.to_dict(), "linkedid")) for c in ipbx.model.calls())
        return listing("calls", ipbx.id, items)

    def loglevel(self, console: InfoConsole, args: list[str]) -> list[str]:
        """loglevel set <level> [logger]: change a level until the next reload (no args: show)."""
        if not args:
            return [f"loglevel is {logging.getLevelName(logging.getLogger().level).lower()}"]
        if args[0] != "set" or len(args) not in (2, 3):
            raise InfoCommandError("usage: loglevel set <level> [logger]")
        try:
            level = log_level(args[1])
        except vol.Invalid as exc:
            raise InfoCommandError(f"loglevel: {exc.msg}") from None
        name = args[2] if len(args) == 3 else ""
        if name and not _LOGGER_NAME.fullmatch(name):
            raise InfoCommandError("loglevel: a logger name is letters, digits, _ . -")
        logging.getLogger(name or None).setLevel(level.upper())
        return [f"loglevel of {name} set to {level}" if name else f"loglevel set to {level}"]

    def dumpami(self, console: InfoConsole, args: list[str]) -> list[str]:
        """dumpami enable [Ev1,Ev2] | dumpami disable | dumpami: stream AMI events here."""
        if not args:
            if not self.dump.dumping(console):
                return ["dumpami is off"]
            return [f"dumpami: {describe(self.dump.selection(console))}"]
        if args[0] == "disable" and len(args) == 1:
            self.dump.unsubscribe(console)
            return ["dumpami disabled"]
        if args[0] != "enable":
            raise InfoCommandError("usage: dumpami enable [Ev1,Ev2] | dumpami disable")
        try:
            selection = parse_filter(args[1:])
        except DumpFilterError as exc:
            raise InfoCommandError(f"dumpami: {exc}") from None
        self.dump.subscribe(console, selection)
        return [f"dumpami enabled for {describe(selection)}"]
