"""Substitution rules and the variable providers' deadline, isolation and precedence."""

import gevent
import pytest

from ctid.sheets.variables import (
    ProviderEntry,
    clean,
    fill,
    gather,
    merge,
    placeholders,
    substitute,
)
from ctid.testing.sheets import call_event

VALUES = {"xivo-calleridnum": "0612345678", "xivo-calleridname": "Zoé", "db-company": ""}


@pytest.mark.parametrize(
    ("template", "default", "expected"),
    [
        ("{xivo-calleridnum}", "none", "0612345678"),
        ("Call from {xivo-calleridname} <{xivo-calleridnum}>", "", "Call from Zoé <0612345678>"),
        ("{db-fullname}", "Unknown", "Unknown"),  # no placeholder resolves: the default
        ("{db-fullname} {db-lastname}", "", ""),
        ("{xivo-calleridname} of {db-fullname}", "x", "Zoé of {db-fullname}"),  # partly: literal
        ("{db-company}", "Unknown", ""),  # known but empty is known
        ("plain text", "default", "plain text"),
        ("{}", "d", "{}"),  # not a placeholder
    ],
)
def test_substitution_rules(template: str, default: str, expected: str) -> None:
    assert substitute(template, VALUES, default) == expected


def test_a_value_is_never_substituted_again_nor_evaluated() -> None:
    values = {
        "xivo-calleridname": "{xivo-channel}",
        "xivo-channel": "SIP/x",
        "xivo-calleridnum": "{0.__class__}%s${HOME}$(id)",
    }
    assert substitute("{xivo-calleridname}|{xivo-calleridnum}", values) == (
        "{xivo-channel}|{0.__class__}%s${HOME}$(id)"
    )


def test_fill_quotes_each_inserted_value_only() -> None:
    assert fill("a {x} {y}", {"x": "1 2"}, lambda value: value.replace(" ", "+")) == "a 1+2 {y}"


def test_placeholders_follow_the_xivo_regex() -> None:
    assert placeholders("{a-b}{c d}{e}}") == ["a-b", "c d", "e"]


def test_clean_keeps_text_values_and_string_names_only() -> None:
    answer = {"a-1": "x", "a-2": 3, "a-3": None, "a-4": True, 5: "y", "bad}": "z", "a-5": [1]}
    assert clean(answer) == {"a-1": "x", "a-2": "3"}
    with pytest.raises(TypeError):
        clean(["not", "a", "mapping"])


def test_a_familys_own_provider_wins_for_its_names() -> None:
    xivo = ProviderEntry("xivovars", "xivo", dict)
    db = ProviderEntry("dbvars", "db", dict)
    merged = merge(
        [
            (db, {"db-fullname": "Zoé", "xivo-directory": "corp", "xivo-where": "forged"}),
            (xivo, {"xivo-where": "dial"}),
        ]
    )
    assert merged == {"db-fullname": "Zoé", "xivo-directory": "corp", "xivo-where": "dial"}


def test_providers_run_together_and_a_slow_or_raising_one_only_loses_its_family() -> None:
    failures: list[tuple[str, str]] = []

    def slow(event: object) -> dict[str, str]:
        gevent.sleep(10)
        return {"slow-x": "never"}

    def broken(event: object) -> dict[str, str]:
        raise RuntimeError("boom")

    def quick(event: object) -> dict[str, str]:
        gevent.sleep(0.05)  # concurrent with the other quick one: both fit in the deadline
        return {"quick-x": "1"}

    def quick2(event: object) -> dict[str, str]:
        gevent.sleep(0.05)
        return {"quick2-x": "2"}

    entries = [
        ProviderEntry("p1", "slow", slow),
        ProviderEntry("p2", "broken", broken),
        ProviderEntry("p3", "quick", quick),
        ProviderEntry("p4", "quick2", quick2),
        ProviderEntry("p5", "garbage", lambda event: ["x"]),
    ]
    started = gevent.get_hub().loop.now()
    values = gather(
        entries,
        call_event(),
        0.3,
        lambda entry, exc: failures.append((entry.plugin, type(exc).__name__)),
    )
    assert gevent.get_hub().loop.now() - started < 1.0
    assert values == {"quick-x": "1", "quick2-x": "2"}
    assert sorted(failures) == [("p1", "TimeoutError"), ("p2", "RuntimeError"), ("p5", "TypeError")]


def test_clean_makes_undecodable_caller_bytes_encodable() -> None:
    assert clean({"xivo-calleridname": "a\udcffb"}) == {"xivo-calleridname": "a?b"}
