"""Asterisk extension patterns naming DIDs: the dialplan's syntax, whole numbers only."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctid.calls.patterns import compile_patterns, matches, pattern_problem


@pytest.mark.parametrize(
    ("entries", "number", "expected"),
    [
        (["0145001234"], "0145001234", True),
        (["0145001234"], "01450012345", False),
        (["01-45-00-12-34"], "0145001234", True),  # dashes only make it readable
        (["_0145XXXXXX"], "0145998877", True),
        (["_0145XXXXXX"], "014599887", False),  # one digit short
        (["_0145XXXXXX"], "01459988770", False),  # whole number, not a prefix
        (["_0145xxxxxx"], "0145998877", True),  # letters in any case, as Asterisk reads them
        (["_NXX"], "200", True),
        (["_NXX"], "100", False),
        (["_ZX"], "10", True),
        (["_ZX"], "01", False),
        (["_[13-5]X"], "42", True),
        (["_[13-5]X"], "22", False),
        (["_01."], "01", False),  # '.': one character or more
        (["_01."], "012", True),
        (["_01!"], "01", True),  # '!': zero or more
        (["_+33."], "+33145001234", True),
        (["_0145XXXXXX", "+33145001234"], "+33145001234", True),
        (["_0145XXXXXX", "+33145001234"], "+33145001235", False),
        (["_a.b"], "a(b", True),  # '.' any character, the rest literal
        (["_(1)"], "(1)", True),  # regex characters stand for themselves
        (["_(1)"], "1", False),
    ],
)
def test_a_pattern_names_the_numbers_the_dialplan_would(
    entries: list[str], number: str, expected: bool
) -> None:
    assert all(pattern_problem(entry) is None for entry in entries)
    assert matches(compile_patterns(entries), number) is expected


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("", "expected a number or a pattern of 1 to 256 characters"),
        ("1" * 257, "expected a number or a pattern of 1 to 256 characters"),
        ("01 45", "expected a number or a pattern without spaces or control characters"),
        ("01\n45", "expected a number or a pattern without spaces or control characters"),
        ("_", "expected a pattern after '_'"),
        ("_01[2-", "unclosed '[' in pattern '01[2-'"),
        ("_01[]", "empty '[]' in pattern"),
        ("_01[9-2]", "backwards range '9-2' in pattern"),
    ],
)
def test_a_bad_entry_is_named_with_what_is_wrong(entry: str, problem: str) -> None:
    assert pattern_problem(entry) == problem


def test_no_entry_matches_nothing() -> None:
    assert not matches(compile_patterns([]), "")
    assert not matches(compile_patterns([]), "0145001234")


@given(st.lists(st.text(max_size=20), max_size=4), st.text(max_size=30))
def test_any_valid_entry_compiles_and_an_exact_number_names_itself(
    entries: list[str], number: str
) -> None:
    valid = [entry for entry in entries if pattern_problem(entry) is None]
    matches(compile_patterns(valid), number)  # never raises
    if number and pattern_problem(number) is None and not number.startswith("_"):
        assert matches(compile_patterns([number]), number.replace("-", ""))
