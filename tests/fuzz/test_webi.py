"""Fuzzing the webi port: random lines through the real session of an in-process daemon. Every
command gets a documented reply line, nothing crashes, and the only CLI commands that reach
Asterisk are the whitelisted ones, in their canonical spelling."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.api import ActionResult
from ctid.testing import make_daemon
from ctid.testing.strategies import fuzz_settings, webi_lines
from ctid.testing.wire import ErrorRecords, MemoryConnection
from ctid_webi import webi
from ctid_webi.plugin import WebiPlugin
from ctid_webi.session import WebiSession

MODULE = re.compile(r"module reload [A-Za-z0-9_]{1,64}(\.so)?")
REPLY = re.compile(r"XIVO-WEBI:(OK|KO <[^\n]*>)|XIVO-CLI-WEBI:(ID .*|OK|KO <[^\n]*>)")
"""Every line webi sends; CLI output lines come between `:ID` and `:OK`/`:KO`."""


def whitelisted(command: str) -> bool:
    return command in webi.WHITELIST or MODULE.fullmatch(command) is not None


class Asterisk:
    """The AMI link: records every CLI command and answers with hostile output."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.daemon: Any = None

    def send_action(
        self, action: str, fields: Mapping[str, str | Sequence[str]], timeout: float
    ) -> ActionResult:
        assert action == "Command"
        self.commands.append(str(fields["Command"]))
        output = ("Asterisk 22\r\nXIVO-WEBI:OK", "\x1b[2J", "")
        return ActionResult("Success", {"Message": "Command output follows"}, output=output)


@pytest.fixture(scope="module")
def asterisk() -> Iterator[Asterisk]:
    """The Asterisk behind a daemon serving the webi port."""
    asterisk = Asterisk()
    with make_daemon({}, {"webi": WebiPlugin()}) as daemon:
        daemon.ipbx.attach(asterisk, "11.0.0")
        asterisk.daemon = daemon
        yield asterisk


@fuzz_settings(300)
@given(line=st.text(max_size=40) | webi_lines().map(lambda b: b.decode("utf-8", "replace")))
def test_only_whitelisted_commands_are_ever_relayed(line: str) -> None:
    for command in webi.split_message(line):
        decided = webi.parse(command)
        assert decided.kind in (webi.CLI, webi.REFUSED, webi.RELOAD, webi.REFRESH_USERS, "nothing")
        if decided.kind == webi.CLI:
            assert whitelisted(decided.text)
            assert decided.text == " ".join(command.split())


@fuzz_settings(150)
@given(lines=st.lists(webi_lines(), min_size=1, max_size=4), allowed=st.booleans())
def test_random_lines_get_documented_replies_and_only_the_whitelist_reaches_asterisk(
    asterisk: Asterisk, lines: list[bytes], allowed: bool
) -> None:
    daemon = asterisk.daemon
    plugin = daemon.objects["webi"]
    asterisk.commands.clear()
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    wire = MemoryConnection("webi", peer="127.0.0.1" if allowed else "192.0.2.1")
    session = WebiSession(wire, daemon.handles["webi"], plugin.options, plugin.counters)
    try:
        session.connected()
        for line in lines:
            if wire.closed:
                break
            session.line_received(line)
    finally:
        session.closed("test over")
        logging.getLogger().removeHandler(errors)

    assert [record.getMessage() for record in errors.records] == []
    replies = [line.decode("utf-8") for line in wire.lines()]
    commands = [webi.split_message(line.decode("utf-8", "replace")) for line in lines]
    assert replies or not any(commands), "commands without a reply"
    cli_output = False
    for reply in replies:
        if not cli_output:
            assert REPLY.fullmatch(reply), reply
        assert "internal error" not in reply
        assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", reply), reply
        cli_output = reply.startswith("XIVO-CLI-WEBI:ID") or (
            cli_output and not reply.startswith("XIVO-CLI-WEBI:")
        )
    assert all(whitelisted(command) for command in asterisk.commands)
    if not allowed:
        assert asterisk.commands == []
        assert replies == ["XIVO-CLI-WEBI:KO <NOT ALLOWED FROM 192.0.2.1>"]
