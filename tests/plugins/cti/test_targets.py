"""Ids and numbers from clients: parsed strictly, anything odd refused."""

import pytest

from ctid.api import CtiCommandError
from ctid_cti.targets import Ref, dial_number, display, parse


@pytest.mark.parametrize(
    ("value", "default", "ref"),
    [
        ("user:xivo/alice", "user", Ref("user", "alice")),
        ("xivo/alice", "user", Ref("user", "alice")),
        ("alice", "user", Ref("user", "alice")),
        ("user:special:me", "user", Ref("user", "special:me")),
        ("chan:xivo/PJSIP/1001-00000001", "chan", Ref("chan", "PJSIP/1001-00000001")),
        ("PJSIP/1001-00000001", "chan", Ref("chan", "PJSIP/1001-00000001")),
        ("IAX2/10.0.0.1:4569-7", "chan", Ref("chan", "IAX2/10.0.0.1:4569-7")),
        ("exten:xivo/1202", "exten", Ref("exten", "1202")),
        (1202, "exten", Ref("exten", "1202")),
        ("queue:xivo/support", "queue", Ref("queue", "support")),
    ],
)
def test_ids_are_read_in_every_form_clients_send(value: object, default: str, ref: Ref) -> None:
    assert parse(value, default, "xivo") == ref


@pytest.mark.parametrize("value", ["user:other/alice", "", "x" * 201, None, True, ["a"], {"a": 1}])
def test_odd_ids_are_unknown(value: object) -> None:
    with pytest.raises(CtiCommandError) as refused:
        parse(value, "user", "xivo")
    assert refused.value.code == "unknown_id"


@pytest.mark.parametrize(
    ("value", "number"),
    [("1002", "1002"), ("+33 (0)6 12-34.56", "+3306123456"), ("*98#", "*98#")],
)
def test_dial_numbers_are_normalized(value: str, number: str) -> None:
    assert dial_number(value) == number


@pytest.mark.parametrize("value", ["", "10+02", "1002\n", "1002,1", "abc", "1" * 41, "s@ctx"])
def test_anything_else_is_a_bad_destination(value: str) -> None:
    with pytest.raises(CtiCommandError) as refused:
        dial_number(value)
    assert refused.value.code == "baddestination"


def test_display_names_cannot_break_a_caller_id() -> None:
    assert display('Ev"il <1> \r\nAction: x') == "Evil 1 Action x"
    assert display("Zoé O'Brien-Smith") == "Zoé O'Brien-Smith"
