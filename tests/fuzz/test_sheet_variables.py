"""Fuzzing sheet substitution: random templates and hostile values. Substitution is one pass
(a value is never scanned again, so placeholders and `${…}` inside values stay literal), nothing
is evaluated, and a value can change neither the shape of a URL nor the arguments of a command
line it is inserted in."""

from __future__ import annotations

import shlex
import urllib.parse

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ctid.sheets.render import Line, line_value
from ctid.sheets.variables import fill, placeholders, substitute
from ctid.testing.strategies import fuzz_settings, hostile_text, templates, variable_values

MARK = "\ue000"
"""A private-use character the templates never hold: markers stand for values."""


def marked(values: dict[str, str]) -> dict[str, str]:
    """The same names, each value a harmless unique marker."""
    return {name: f"{MARK}{index}{MARK}" for index, name in enumerate(values)}


@fuzz_settings(300)
@given(template=templates(), values=variable_values())
def test_substitution_is_one_pass_over_the_template_only(
    template: str, values: dict[str, str]
) -> None:
    assume(MARK not in template and all(MARK not in value for value in values.values()))
    markers = marked(values)
    expected = fill(template, markers)
    for name, marker in markers.items():
        expected = expected.replace(marker, values[name])

    assert fill(template, values) == expected
    assert fill(template, {}) == template
    known = [name for name in placeholders(template) if name in values]
    default = "the default"
    if placeholders(template) and not known:
        assert substitute(template, values, default) == default
    else:
        assert substitute(template, values, default) == expected


def shape(url: str) -> tuple[str, str, int, int, bool]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc, parts.path.count("/"), parts.query.count("&"), "#" in url


@fuzz_settings(300)
@given(
    kind=st.sampled_from(["text", "url", "urlx", "urlauto", "form", "phone"]),
    template=templates(),
    values=variable_values(),
    default=hostile_text(2),
)
def test_a_value_never_reshapes_the_url_or_command_it_lands_in(
    kind: str, template: str, values: dict[str, str], default: str
) -> None:
    assume(MARK not in template and all(MARK not in value for value in values.values()))
    line = Line("title", kind, default, template)
    result = line_value(line, values)
    reference = line_value(line, marked(values))
    assert isinstance(result, str)
    if MARK not in reference:
        return  # no value was inserted: the template or the default, alone
    if kind == "url":
        assert shape(result) == shape(reference)
    elif kind == "urlauto" and not template.strip().startswith(("http", "tcp", "udp")):
        try:
            words = len(shlex.split(reference))
        except ValueError:
            return
        assert len(shlex.split(result)) == words


# --- regressions the fuzzer found ------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("{ }", {" ": ""}, "-"),
        ("crm --number {n} --name {m}", {"n": "", "m": "Bo b"}, "crm --number - --name Bob"),
        ("crm --number {n} --name {m}", {"n": " ' ", "m": "x"}, "crm --number - --name x"),
        ("crm \"{n}\" '{n}' {n}{m}", {"n": "", "m": ""}, "crm \"-\" '-' -"),
        ("crm --number={n}", {"n": ""}, "crm --number="),  # inside an argument: nothing lost
    ],
)
def test_an_empty_value_keeps_its_argument_in_a_client_command_line(
    template: str, values: dict[str, str], expected: str
) -> None:
    # An anonymous caller emptied `{n}`: the Qt client drops empty words, so `--name` became
    # the number's value and the name an extra argument.
    value = line_value(Line("title", "urlauto", "", template), values)
    assert value == expected
