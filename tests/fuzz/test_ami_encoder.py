"""Fuzzing the AMI action encoder: whatever a caller passes, the encoder refuses it (ValueError)
or writes exactly one action that Asterisk reads back with exactly the fields given."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.testing.strategies import ami_fields, fuzz_settings, hostile_text
from ctid_ami.protocol import MAX_ACTION_LINE, encode_action

ASTERISK_INBUF = 1024
"""manager.c reads a line into a 1025-byte buffer; a line (CRLF included) that does not fit is
discarded with the whole action ("Line too long"). Written here, not imported: the model must
not share the encoder's mistakes."""


def asterisk_reads(data: bytes) -> list[list[tuple[str, str]]]:
    """The actions manager.c makes of `data`: lines end at LF (a CR before it is dropped), an
    empty line ends an action, a header is `Name: value` (or `Name:value`); a line that does not
    fit the input buffer loses its action."""
    actions: list[list[tuple[str, str]]] = []
    headers: list[tuple[str, str]] = []
    lost = False
    *lines, rest = data.split(b"\n")
    assert rest == b"", "the last action is not terminated"
    for raw in lines:
        if len(raw) + 1 > ASTERISK_INBUF:
            lost = True
        line = raw.removesuffix(b"\r").decode("utf-8")
        if not line:
            if not lost:
                actions.append(headers)
            headers, lost = [], False
            continue
        name, _, value = line.partition(":")
        headers.append((name, value.removeprefix(" ")))
    assert not headers, "header lines after the last empty line"
    return actions


def names_of(fields: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for key, value in fields.items():
        lines += [(key, value)] if isinstance(value, str) else [(key, item) for item in value]
    return lines


@fuzz_settings(300)
@given(
    action=st.one_of(st.sampled_from(["Originate", "Setvar", "Command"]), hostile_text(3)),
    fields=ami_fields(),
    action_id=st.one_of(st.none(), hostile_text(3)),
)
def test_an_action_is_refused_or_read_back_exactly_as_one_action(
    action: str, fields: dict[str, str | list[str]], action_id: str | None
) -> None:
    try:
        data = encode_action(action, fields, action_id=action_id)
    except ValueError:
        return

    sent = [("Action", action)]
    sent += [("ActionID", action_id)] if action_id is not None else []
    assert asterisk_reads(data) == [sent + names_of(fields)]
    # Asterisk finds headers by case-insensitive name and takes the first one: only the
    # arguments may name the action and its id.
    names = [name.lower() for name, _ in names_of(fields)]
    assert "action" not in names
    assert "actionid" not in names


# --- regressions the fuzzer found ------------------------------------------------------------


@pytest.mark.parametrize("key", ["action", "ACTION", "actionid", "ActionId"])
def test_a_field_naming_the_action_or_its_id_in_any_case_is_refused(key: str) -> None:
    # Asterisk looks headers up regardless of case: `action: Hangup` is a second Action header.
    with pytest.raises(ValueError, match="as an argument"):
        encode_action("Status", {key: "Hangup"}, action_id="1")


def test_a_line_longer_than_asterisk_reads_is_refused() -> None:
    longest = "x" * (MAX_ACTION_LINE - len("Value: \r\n"))
    assert asterisk_reads(encode_action("Setvar", {"Value": longest})) == [
        [("Action", "Setvar"), ("Value", longest)]
    ]
    # One more byte and manager.c would discard the whole action, silently.
    with pytest.raises(ValueError, match="longer than 1024 bytes"):
        encode_action("Setvar", {"Value": longest + "x"})
    with pytest.raises(ValueError, match="longer than 1024 bytes"):
        encode_action("Setvar", {"Value": "é" * 600})
