"""callerid_forphones and callerid_extend against in-memory sessions: the exact lines they send."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pytest

from ctid_fagi.protocol import AgiRequest, build_request
from ctid_fagi.scripts import (
    callerid_extend,
    callerid_forphones,
    dialplan_variable,
    needs_name,
    requested_names,
)
from ctid_fagi.session import AgiSession

pytestmark = pytest.mark.timeout(10)

CAPTURED = {
    "network": "yes",
    "network_script": "callerid_forphones",
    "channel": "Local/2000@default-00000001;2",
    "uniqueid": "1795727755.3",
    "callerid": "0612345678",
    "calleridname": "Outside Caller",
    "callington": "0",
    "context": "default",
}


def make_request(**fields: str) -> AgiRequest:
    return build_request({**CAPTURED, **fields})


def make_session(answers: int = 10) -> tuple[AgiSession, io.BytesIO]:
    """A session whose Asterisk answers `200 result=1` to every command."""
    written = io.BytesIO()
    return AgiSession(io.BytesIO(b"200 result=1\n" * answers).readline, written.write), written


class Directory:
    """A reverse lookup that records its calls."""

    def __init__(self, answer: str | None = "Alice Martin") -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def __call__(self, number: str, context: str) -> str | None:
        self.calls.append((number, context))
        return self.answer


@pytest.mark.parametrize("name", ["", " ", "unknown", "UNKNOWN", "0612345678", "33612345678"])
def test_forphones_replaces_names_that_say_nothing(name: str) -> None:
    session, written = make_session()
    directory = Directory()

    result = callerid_forphones(session, make_request(calleridname=name), directory)

    assert result == "Alice Martin"
    assert written.getvalue() == b'SET VARIABLE CALLERID(name) "Alice Martin"\n'
    assert directory.calls == [("0612345678", "default")]


def test_forphones_keeps_a_real_name() -> None:
    session, written = make_session()
    directory = Directory()

    assert callerid_forphones(session, make_request(), directory) is None
    assert written.getvalue() == b""
    assert directory.calls == []


@pytest.mark.parametrize("number", ["", "unknown"])
def test_forphones_does_not_look_up_a_missing_number(number: str) -> None:
    session, written = make_session()
    directory = Directory()

    assert (
        callerid_forphones(session, make_request(callerid=number, calleridname=""), directory)
        is None
    )
    assert (written.getvalue(), directory.calls) == (b"", [])


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_forphones_leaves_the_name_without_a_result(answer: str | None) -> None:
    session, written = make_session()

    result = callerid_forphones(session, make_request(calleridname="unknown"), Directory(answer))

    assert result is None
    assert written.getvalue() == b""


def test_forphones_survives_a_failing_lookup(caplog: pytest.LogCaptureFixture) -> None:
    def broken(number: str, context: str) -> str | None:
        raise OSError("directory down")

    session, written = make_session()

    assert callerid_forphones(session, make_request(calleridname=""), broken) is None
    assert written.getvalue() == b""
    assert "reverse lookup of 0612345678 in default failed" in caplog.text


def test_forphones_quotes_the_display_so_it_cannot_inject() -> None:
    session, written = make_session()

    callerid_forphones(
        session, make_request(calleridname="unknown"), Directory('Evil "Corp"\nHANGUP \\')
    )

    assert written.getvalue() == b'SET VARIABLE CALLERID(name) "Evil \\"Corp\\" HANGUP \\\\"\n'


def test_needs_name() -> None:
    assert needs_name("123", "123")
    assert not needs_name("123", "Bob 2")
    assert not needs_name("123", "+33 6")


class DialplanValues:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.calls: list[str] = []

    def __call__(self, uniqueid: str) -> Mapping[str, str]:
        self.calls.append(uniqueid)
        return self.values


def test_extend_sets_srcton_only_by_default() -> None:
    session, written = make_session()
    values = DialplanValues({"company": "ACME"})

    done = callerid_extend(session, make_request(callington="16"), values)

    assert written.getvalue() == b'SET VARIABLE XIVO_SRCTON "16"\n'
    assert done == {"XIVO_SRCTON": "16"}
    assert values.calls == []


def test_extend_sets_requested_dp_values_from_query_and_args() -> None:
    session, written = make_session()
    values = DialplanValues({"company": 'ACME "Ltd"', "vip-level": "2", "other": "x"})
    request = make_request(
        network_script="callerid_extend?vars=company,Missing", arg_1="vip-level,COMPANY"
    )

    done = callerid_extend(session, request, values)

    assert written.getvalue() == (
        b'SET VARIABLE XIVO_SRCTON "0"\n'
        b'SET VARIABLE XIVO_DP_COMPANY "ACME \\"Ltd\\""\n'
        b'SET VARIABLE XIVO_DP_VIP_LEVEL "2"\n'
    )
    assert done == {"XIVO_SRCTON": "0", "XIVO_DP_COMPANY": 'ACME "Ltd"', "XIVO_DP_VIP_LEVEL": "2"}
    assert values.calls == ["1795727755.3"]


def test_extend_skips_names_that_are_not_names(caplog: pytest.LogCaptureFixture) -> None:
    request = make_request(network_script="callerid_extend?vars=ok,a%20b,x%22y,,")

    assert requested_names(request) == ["ok"]
    assert "ignoring dp- name 'a b'" in caplog.text


def test_extend_survives_missing_dp_values(caplog: pytest.LogCaptureFixture) -> None:
    def broken(uniqueid: str) -> Mapping[str, str]:
        raise KeyError(uniqueid)

    session, written = make_session()
    request = make_request(network_script="callerid_extend?vars=company")

    assert callerid_extend(session, request, broken) == {"XIVO_SRCTON": "0"}
    assert written.getvalue() == b'SET VARIABLE XIVO_SRCTON "0"\n'
    assert "dp- values of 1795727755.3 unavailable" in caplog.text


def test_dialplan_variable() -> None:
    assert dialplan_variable("company") == "XIVO_DP_COMPANY"
    assert dialplan_variable("vip-level") == "XIVO_DP_VIP_LEVEL"
