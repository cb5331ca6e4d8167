"""Fuzzing the CTI port: random lines before and after login, through the real connection,
session and dispatcher of an in-process daemon. Each line is answered as docs/cti.md says (an
`error_string` closes that connection, a `warning_string` leaves the session going), nothing is
ever logged as a crash, every action reaches the AMI encoder intact, and a bystander session is
served throughout."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import gevent
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.api import ActionResult, hash_password
from ctid.testing import make_daemon, wait_until
from ctid.testing.strategies import cti_lines, fuzz_settings
from ctid.testing.wire import ErrorRecords, MemoryConnection
from ctid_ami.protocol import AmiParser, encode_action
from ctid_cti import codec
from ctid_cti.connection import CtiConnection
from ctid_cti.plugin import CtiPlugin

PASSWORD = "secret"
HASH = hash_password(PASSWORD, n=2**4)  # cheap on purpose: thousands of logins per run
CLOSE_REASONS = (
    "bad input: invalid_json",
    "bad input: not_an_object",
    "command before login",
    "login refused",
    "logout",
)


class Asterisk:
    """The AMI link: every action goes through the real encoder and parses back as one."""

    def send_action(
        self, action: str, fields: Mapping[str, str | Sequence[str]], timeout: float
    ) -> ActionResult:
        (message,) = AmiParser().feed(encode_action(action, fields, action_id="1"))
        assert message["Action"] == action
        return ActionResult("Success", {"Message": f"{action} done"})


class Wire(MemoryConnection):
    """A CTI connection in memory: its writes read back as JSON messages."""

    def __init__(self) -> None:
        super().__init__("cti")

    def messages(self, start: int = 0) -> list[dict[str, Any]]:
        # A status push hands a client its share in one write: several lines in one send.
        return [json.loads(line) for line in self.lines(start) if line.startswith(b"{")]


class Port:
    """The daemon's CTI service, fed through in-memory connections."""

    def __init__(self, daemon: Any, crashes: ErrorRecords) -> None:
        self.daemon = daemon
        self.service = daemon.objects["cti"].service
        self.crashes = crashes

    def connect(self) -> tuple[Wire, CtiConnection]:
        wire = Wire()
        handler = self.service.connection(wire)
        handler.connected()
        return wire, handler

    def login(self, login: str) -> tuple[Wire, CtiConnection]:
        wire, handler = self.connect()
        steps = [
            {"class": "login_id", "userlogin": login, "xivoversion": "1.2"},
            {"class": "login_pass", "password": PASSWORD},
            {"class": "login_capas", "capaid": "", "state": "available"},
        ]
        for step in steps:
            if step["class"] == "login_capas":
                step["capaid"] = wire.messages()[-1]["capalist"][0]
            handler.line_received(json.dumps(step).encode())
        assert handler.session.logged_in, wire.messages()
        return wire, handler

    def settle(self) -> None:
        """Let commands running off the reader greenlet finish."""
        wait_until(lambda: self.service.runner.running() == 0, message="commands done")
        gevent.sleep(0)


def user(login: str, number: str, context: str = "default", **extra: Any) -> dict[str, Any]:
    line = {"context": context, "number": number, "interface": f"PJSIP/{number}"}
    return {"login": login, "password": HASH, "lines": [line], **extra}


@pytest.fixture(scope="module")
def port() -> Iterator[Port]:
    config = {
        "users": [
            user("alice", "1001"),
            user("bob", "1002"),
            user("boss", "1003", profile="switchboard"),
            user("eve", "2001", context="other"),
            {"login": "nobody", "password": HASH, "lines": []},
        ],
        "profiles": {"default": {}, "switchboard": {"acts_for_others": True}},
        # Failures expire at once: a long run sends wrong passwords by the thousand.
        "plugins": {"cti": {"failure_delay": 0, "failure_window": 0.001}},
    }
    crashes = ErrorRecords()
    logging.getLogger().addHandler(crashes)
    try:
        with make_daemon(config, {"cti": CtiPlugin()}) as daemon:
            daemon.ipbx.attach(Asterisk(), "11.0.0")
            yield Port(daemon, crashes)
    finally:
        logging.getLogger().removeHandler(crashes)


def feed(port: Port, wire: Wire, handler: CtiConnection, lines: list[bytes]) -> None:
    """Send each line; check it was answered as documented."""
    for line in lines:
        if wire.closed:
            return
        before = len(wire.sent)
        handler.line_received(line)
        port.settle()
        answers = wire.messages(before)
        errors = [m for m in answers if "error_string" in m]
        if errors or wire.closed:
            assert wire.closed, f"{errors} without a close"
            assert wire.reason in CLOSE_REASONS, wire.reason
        assert all(m.get("warning_string") != "exception" for m in answers), answers
        try:
            kind = codec.decode(line)["class"] if line.strip() else None
        except codec.DecodeError:
            kind = "error"
        if kind is not None and kind != "starttls":
            assert answers or wire.closed, f"no answer to {line!r}"


@fuzz_settings(150)
@given(
    before=st.lists(cti_lines(), max_size=4),
    after=st.lists(cti_lines(), max_size=6),
    login=st.sampled_from(["alice", "boss", "eve", "nobody"]),
)
def test_random_lines_get_documented_answers_and_hurt_no_one_else(
    port: Port, before: list[bytes], after: list[bytes], login: str
) -> None:
    crashes = port.crashes
    crashes.records.clear()
    bystander, bystander_handler = port.login("bob")
    try:
        wire, handler = port.connect()
        feed(port, wire, handler, before)
        handler.closed(wire.reason or "test over")
        wire, handler = port.login(login)
        feed(port, wire, handler, after)
        handler.closed(wire.reason or "test over")

        assert [record.getMessage() for record in crashes.records] == []
        bystander_handler.line_received(b'{"class": "keepalive", "commandid": "still-there"}')
        assert bystander.messages()[-1]["replyid"] == "still-there"
        assert not bystander.closed
    finally:
        bystander_handler.closed("test over")


@fuzz_settings(300)
@given(line=cti_lines())
def test_a_decoded_line_can_always_be_encoded_back(line: bytes) -> None:
    try:
        message = codec.decode(line)
    except codec.DecodeError as refused:
        assert refused.code in ("invalid_json", "not_an_object")
        return
    assert isinstance(message["class"], str)
    assert codec.encode({**message, "class": message["class"]}, 0.0).endswith(b"\n")


# --- regressions the fuzzer found ------------------------------------------------------------


@pytest.mark.parametrize("line", [b'{"class": "\\ud800"}', b'{"class": "x", "a": ["\\udfff"]}'])
def test_a_lone_surrogate_escape_is_invalid_json(line: bytes) -> None:
    # It decoded to a str that no reply can encode: echoing its class crashed the handler.
    with pytest.raises(codec.DecodeError) as refused:
        codec.decode(line)
    assert refused.value.code == "invalid_json"
    assert codec.decode(b'{"class": "\\ud83d\\ude00"}')["class"] == "\U0001f600"


def test_a_lone_surrogate_before_login_gets_invalid_json(port: Port) -> None:
    wire, handler = port.connect()
    handler.line_received(b'{"class": "\\ud800"}')
    handler.closed(wire.reason)

    (answer,) = wire.messages()
    assert (answer["class"], answer["error_string"]) == ("error", "invalid_json")
    assert wire.reason == "bad input: invalid_json"


@pytest.mark.parametrize("number", [b"1e400", b"-1E999"])
def test_a_number_beyond_a_float_is_invalid_json(number: bytes) -> None:
    # Python read it as infinity, which no reply can carry back (JSON has no infinity).
    with pytest.raises(codec.DecodeError) as refused:
        codec.decode(b'{"class": "keepalive", "commandid": ' + number + b"}")
    assert refused.value.code == "invalid_json"
    assert codec.decode(b'{"class": "x", "v": 1e308}')["v"] == 1e308
