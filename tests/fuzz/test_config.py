"""Fuzzing the configuration: random YAML-looking drop-ins, documents shaped like the core and
bundled plugin schemas with random values at known keys, and one random value at one known key.
Reading and validating always ends in a Config or in a ConfigError whose every line names a file
(and a key path, for a value); never in another exception. A Config holds only text every wire
can carry and numbers that are finite, and its AMI login can be sent."""

from __future__ import annotations

import math
import pathlib
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ctid.config import ConfigError, enabled_plugins, read_directory, validate
from ctid.config.schema import CORE
from ctid.plugins import discover
from ctid.testing.strategies import (
    fuzz_settings,
    one_value_documents,
    schema_documents,
    yaml_documents,
)
from ctid_ami.protocol import encode_action

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUNDLED = sorted(path.name.removeprefix("ctid_") for path in (ROOT / "plugins").glob("ctid_*"))
PLUGINS = {name: discover()[name].load() for name in BUNDLED}
NAMES = st.sampled_from(["10-a.yml", "20-b.yaml", "30-c.yml", "x.yml"])
WHOLE_FILE = (
    "expected valid YAML",
    "expected a readable UTF-8 file",
    "expected a mapping of section names at the top",
    "expected a value that does not contain itself",
    "expected text",
)
"""Problems about a whole file (or a document that is one bad scalar): they name the file only."""


def check(directory: pathlib.Path) -> None:
    """Read and validate `directory` as the daemon does (the enabled plugins' schemas): a
    Config or a ConfigError, each problem placed."""
    raw = read_directory(directory)
    enabled = enabled_plugins(raw)
    plugins = {name: PLUGINS[name]() for name in enabled if name in PLUGINS}
    missing = {name: "no such plugin" for name in enabled if name not in PLUGINS}
    try:
        config = validate(raw, plugins, missing)
    except ConfigError as error:
        assert error.problems
        files = {*raw.files, str(directory)}
        for problem, line in zip(error.problems, str(error).split("\n"), strict=True):
            assert problem.file in files, problem
            assert line.startswith(f"{problem.file}: "), line
            assert problem.path or problem.expected.startswith(WHOLE_FILE), line
        return
    assert all(usable(leaf) for leaf in leaves(config.data)), config.data
    ami = config.data["ipbx"]["ami"]
    encode_action("Login", {"Username": ami["username"], "Secret": ami["secret"]})


def leaves(value: Any) -> Iterator[Any]:
    """Every key and scalar of a validated config."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def usable(value: Any) -> bool:
    """Text every wire can carry (no lone surrogate); a number that is a number (no NaN, no
    infinity: every comparison with NaN is false, so it passes range checks)."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == value
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def write(directory: pathlib.Path, name: str, text: str) -> None:
    (directory / name).write_bytes(text.encode("utf-8", "surrogatepass"))


@fuzz_settings(150)
@given(files=st.dictionaries(NAMES, yaml_documents(), min_size=1, max_size=3))
def test_random_drop_ins_give_a_config_or_placed_problems(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = pathlib.Path(name)
        for file, text in files.items():
            write(directory, file, text)
        check(directory)


document = st.fixed_dictionaries(
    {},
    optional={
        "core": schema_documents(CORE),
        "plugins": st.dictionaries(
            st.sampled_from(sorted(PLUGINS)),
            st.one_of(
                *(schema_documents(getattr(p, "config_schema", {})) for p in PLUGINS.values())
            ).map(
                lambda section: (
                    {"enabled": True, **section} if isinstance(section, dict) else section
                )
            ),
            max_size=3,
        ),
    },
)


@fuzz_settings(100)
@given(files=st.dictionaries(NAMES, document, min_size=1, max_size=2))
def test_random_values_at_known_keys_give_a_config_or_placed_problems(
    files: dict[str, dict[str, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = pathlib.Path(name)
        for file, parts in files.items():
            data = dict(parts.get("core") or {}) if isinstance(parts.get("core"), dict) else {}
            if "plugins" in parts:
                data["plugins"] = parts["plugins"]
            # Escaped, so that a lone surrogate reaches the file as YAML writes it: `"\ud800"`.
            write(directory, file, yaml.safe_dump(data, allow_unicode=False))
        check(directory)


one_value = st.one_of(
    one_value_documents(CORE),
    *(
        one_value_documents(getattr(plugin, "config_schema", {})).map(
            lambda section, name=name: {"plugins": {name: {"enabled": True, **section}}}
        )
        for name, plugin in PLUGINS.items()
        if getattr(plugin, "config_schema", None)
    ),
)


@fuzz_settings(150)
@given(document=one_value)
def test_any_value_at_one_known_key_gives_a_config_or_placed_problems(document: Any) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = pathlib.Path(name)
        write(directory, "10-one.yml", yaml.safe_dump(document, allow_unicode=False))
        check(directory)


# --- regressions the fuzzer found ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",  # a list that holds itself
        "a: &a {b: *a}\n",
    ],
)
def test_a_recursive_document_is_a_problem_not_a_crash(tmp_path: pathlib.Path, text: str) -> None:
    write(tmp_path, "10-loop.yml", text)
    with pytest.raises(ConfigError) as refused:
        validate(read_directory(tmp_path))
    assert str(refused.value).startswith(f"{tmp_path / '10-loop.yml'}: ")


def test_a_lone_surrogate_escape_is_a_problem(tmp_path: pathlib.Path) -> None:
    # YAML's "\ud800" is a str no UTF-8 wire can carry: a sheet title like this one made every
    # JSON sheet fail to encode.
    write(tmp_path, "10-odd.yml", 'ipbx: {id: "x\\ud800"}\n')
    with pytest.raises(ConfigError) as refused:
        validate(read_directory(tmp_path))
    assert str(refused.value) == (
        f"{tmp_path / '10-odd.yml'}: ipbx -> id: expected text (a YAML escape made a lone "
        "surrogate), got 'x\\ud800'"
    )


@pytest.mark.parametrize(
    "text",
    [
        "ipbx: {id: 2001-13-45}\n",  # a date PyYAML cannot build: ValueError
        "ipbx: {id: !!int x}\n",  # ValueError
        "ipbx: {id: !!bool x}\n",  # KeyError
        "ipbx: {id: !!timestamp x}\n",  # AttributeError
        "ipbx: {id: !!int }\n",  # IndexError
        "ipbx: " + "[" * 3000 + "]" * 3000 + "\n",  # RecursionError
    ],
)
def test_yaml_that_pyyaml_cannot_build_is_a_problem_not_a_crash(
    tmp_path: pathlib.Path, text: str
) -> None:
    write(tmp_path, "10-bad.yml", text)
    with pytest.raises(ConfigError) as refused:
        validate(read_directory(tmp_path))
    assert str(refused.value).startswith(f"{tmp_path / '10-bad.yml'}: expected valid YAML, got ")


def test_a_problem_reads_on_one_line_whatever_its_reason_holds(tmp_path: pathlib.Path) -> None:
    # PyYAML's reader error spans two lines; the second named no file.
    write(tmp_path, "10-nul.yml", "ipbx: {id: a}\x00\n")
    with pytest.raises(ConfigError) as refused:
        validate(read_directory(tmp_path))
    (line,) = str(refused.value).split("\n")
    assert line.startswith(f"{tmp_path / '10-nul.yml'}: expected valid YAML, got ")
    assert "position" in line


@pytest.mark.parametrize("value", [".nan", ".inf", "9" * 400 + "h", "1" + "0" * 400])
def test_a_duration_that_is_no_number_or_infinite_is_refused(
    tmp_path: pathlib.Path, value: str
) -> None:
    # NaN passed `timeout <= 0` and every range check; `9…9h` parsed to infinity; a 400-digit
    # integer raised OverflowError out of validate().
    write(tmp_path, "10-t.yml", f"timeouts: {{socket: {value}}}\n")
    with pytest.raises(ConfigError) as refused:
        validate(read_directory(tmp_path))
    assert str(refused.value).startswith(
        f"{tmp_path / '10-t.yml'}: timeouts -> socket: expected a finite duration"
    )


@pytest.mark.parametrize("key", ["username", "secret"])
def test_an_ami_login_that_cannot_be_sent_is_refused(tmp_path: pathlib.Path, key: str) -> None:
    # It passed as a str; at login the encoder refused it with a ValueError that the AMI
    # client's loop does not expect: the link stayed down, silently, until a restart.
    write(tmp_path, "10-ami.yml", f'ipbx: {{ami: {{{key}: "ctid\\nAction: Originate"}}}}\n')
    with pytest.raises(ConfigError) as refused:
        validate(read_directory(tmp_path))
    assert str(refused.value).startswith(
        f"{tmp_path / '10-ami.yml'}: ipbx -> ami -> {key}: expected one line"
    )
