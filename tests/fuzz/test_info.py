"""Fuzzing the info console: random lines through the real console of an in-process daemon.
Only the exact token opens it, every command line is answered by lines ending in
`XIVO-INFO:OK` or `XIVO-INFO:KO`, no data ever adds a line, and no command crashes."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.testing import make_daemon
from ctid.testing.strategies import fuzz_settings, info_lines
from ctid.testing.wire import ErrorRecords, MemoryConnection
from ctid_info.console import KO, OK, Console
from ctid_info.plugin import InfoPlugin

TOKEN = "s3cret-console-token"
UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
HOSTILE_CHANNEL = {
    "Event": "Newchannel",
    "Channel": "PJSIP/1001-00000001",
    "Uniqueid": "1.1",
    "Linkedid": "1.1",
    "CallerIDName": "Evil\nXIVO-INFO:OK\r\x1b[2J\u2028",
    "Context": "default",
    "Exten": "1002",
}


@contextlib.contextmanager
def levels_kept() -> Iterator[None]:
    """`loglevel set` changes levels for the whole process: put them back."""
    manager = logging.root.manager
    before = {name: logger.level for name, logger in manager.loggerDict.items()
              if isinstance(logger, logging.Logger)}  # fmt: skip
    root = logging.root.level
    try:
        yield
    finally:
        logging.root.setLevel(root)
        for name, logger in list(manager.loggerDict.items()):
            if isinstance(logger, logging.Logger):
                logger.setLevel(before.get(name, logging.NOTSET))


@pytest.fixture(scope="module")
def daemon() -> Iterator[Any]:
    config = {"plugins": {"info": {"token": TOKEN}}}
    with make_daemon(config, {"info": InfoPlugin()}) as daemon:
        daemon.ipbx.ingest(HOSTILE_CHANNEL)
        yield daemon


def console(daemon: Any) -> tuple[MemoryConnection, Console]:
    plugin = daemon.objects["info"]
    wire = MemoryConnection("info")
    handler = Console(
        wire, plugin.settings, lambda: daemon.handles["info"].registry("info_commands"), plugin.dump
    )
    handler.connected()
    return wire, handler


@fuzz_settings(200)
@given(lines=st.lists(info_lines(TOKEN), min_size=1, max_size=6), opened=st.booleans())
def test_random_lines_are_answered_ok_or_ko_on_lines_of_their_own(
    daemon: Any, lines: list[bytes], opened: bool
) -> None:
    wire, handler = console(daemon)
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    try:
        with levels_kept():
            if opened:
                handler.line_received(f"token {TOKEN}".encode())
            for line in lines:
                if wire.closed:
                    break
                before = len(wire.sent)
                was_open = handler.authenticated
                handler.line_received(line)
                check_answer(wire.sent[before:], line, was_open, handler)
                daemon.ipbx.ingest(HOSTILE_CHANNEL)  # streamed to a `dumpami enable` console
    finally:
        handler.closed("test over")
        logging.getLogger().removeHandler(errors)
    assert [record.getMessage() for record in errors.records] == []
    for data in wire.sent:
        text = data.decode("utf-8")
        assert text.endswith("\n")
        assert not any(UNPRINTABLE.search(line) for line in text[:-1].split("\n"))


def check_answer(sent: list[bytes], line: bytes, was_open: bool, handler: Console) -> None:
    words = line.decode("utf-8", "replace").split()
    if not words:
        assert sent == []
        return
    answer = b"".join(sent).decode("utf-8").split("\n")[:-1]
    if not was_open:
        # Only `token <the token>` opens the console; anything else is refused, then closed.
        opened = words == ["token", TOKEN]
        assert handler.authenticated is opened
        assert answer[-1] == (OK if opened else KO)
        return
    assert answer[-1] in (OK, KO)
    if words[0] not in handler.commands():
        # No command outside the registry runs (XiVO's `ami`, `kick`, `disc`… are gone).
        assert answer == [f"unknown command {words[0]!r}, see help", KO]
    assert not any("failed:" in text and "(see the log)" in text for text in answer), answer
