"""Directory configuration problems: each one line with file, key path, expected and found;
backend options checked by the backend's own schema once plugins are loaded."""

import pathlib
from typing import Any

import pytest
import yaml

from ctid.config import ConfigError, read_directory, read_mapping
from ctid.daemon import load
from ctid.testing import make_daemon
from ctid.testing.directories import MemoryDirectories
from ctid_csv.plugin import CsvPlugin
from ctid_sql.plugin import SqlPlugin

BASE = """
directories:
  book:
    type: csv
    path: /srv/book.csv
    match_direct: [name]
    match_reverse: [phone]
    fields: {fullname: name, phone: phone}
reverse: {default_region: FR}
"""


def problems(tmp_path: pathlib.Path, site: str, **plugins: Any) -> list[str]:
    (tmp_path / "10-base.yml").write_text(BASE, encoding="utf-8")
    (tmp_path / "50-site.yml").write_text(site, encoding="utf-8")
    objects = plugins or {"csv": CsvPlugin(), "sql": SqlPlugin()}
    with pytest.raises(ConfigError) as caught:
        load(lambda: read_directory(tmp_path), objects)
    return [str(problem) for problem in caught.value.problems]


def test_unknown_directories_in_contexts_name_file_and_path(tmp_path: pathlib.Path) -> None:
    site = "contexts:\n  default:\n    directories: [book, phonebok]\n    reverse: {'*': [ldap]}\n"
    assert problems(tmp_path, site) == [
        f"{tmp_path}/50-site.yml: contexts -> default -> directories -> 1: expected a directory "
        "defined under directories: (book), got 'phonebok'",
        f"{tmp_path}/50-site.yml: contexts -> default -> reverse -> * -> 0: expected a directory "
        "defined under directories: (book), got 'ldap'",
    ]


def test_a_context_cannot_use_a_directory_lacking_the_fields_it_needs(
    tmp_path: pathlib.Path,
) -> None:
    site = "directories: {names: {type: csv, path: /x, match_direct: [n]}}\n"
    site += "contexts: {default: {reverse: {'*': [names]}}}\n"
    [problem] = problems(tmp_path, site)
    assert problem.endswith(
        "contexts -> default -> reverse -> * -> 0: expected a directory with match_reverse "
        "fields, got 'names', which has none"
    )


def test_reverse_lookups_need_a_region(tmp_path: pathlib.Path) -> None:
    site = "reverse: {default_region: ''}\ncontexts: {default: {reverse: {'*': [book]}}}\n"
    [problem] = problems(tmp_path, site)
    assert problem == (
        f"{tmp_path}/50-site.yml: reverse -> default_region: "
        "expected a country code such as FR once reverse lookups are set"
    )


def test_core_keys_of_a_directory_are_checked_by_the_core(tmp_path: pathlib.Path) -> None:
    site = """
directories:
  book: {timeout: soon, fields: {full: "{a"}, display_reverse: "{db-nope}"}
reverse: {default_region: Narnia}
contexts: {default: {display: [{title: T, format: "{givenName}"}], reverse: {140: [book]}}}
"""
    found = problems(tmp_path, site)
    assert any("directories -> book -> timeout: expected a duration" in p for p in found)
    assert any("fields -> full: expected text whose braces pair up" in p for p in found)
    assert any("reverse -> default_region: expected a country code such as FR" in p for p in found)
    assert any("display -> 0 -> format: expected {db-<key>}" in p for p in found)
    assert any("reverse -> 140: expected a quoted DID" in p for p in found)


def test_names_and_dids_are_checked(tmp_path: pathlib.Path) -> None:
    site = 'directories: {"my book": {type: csv, path: /x, fields: {"bad key": x}}}\n'
    site += "contexts: {default: {reverse: {'01-40': [book]}}}\n"
    assert problems(tmp_path, site) == [
        f"{tmp_path}/50-site.yml: directories -> my book: expected a name of letters, digits, "
        "_ . - (at most 64), got 'my book'",
        f"{tmp_path}/50-site.yml: directories -> my book -> fields -> bad key: expected a name "
        "of letters, digits, _ . - (at most 64), got 'bad key'",
        f"{tmp_path}/50-site.yml: contexts -> default -> reverse -> 01-40: expected a DID as a "
        'quoted string such as "0140001234", or "*", got \'01-40\'',
    ]


def test_display_reverse_names_only_defined_fields(tmp_path: pathlib.Path) -> None:
    [problem] = problems(tmp_path, "directories: {book: {display_reverse: '{db-company}'}}\n")
    assert problem == (
        f"{tmp_path}/50-site.yml: directories -> book -> display_reverse: expected {{db-<key>}} "
        "placeholders of keys under fields, or {xivo-directory}, got {db-company}"
    )


def test_backend_options_are_checked_by_the_backends_schema(tmp_path: pathlib.Path) -> None:
    site = "directories:\n  book: {delimiter: ';;', encodng: latin-1}\n"
    site += "  crm: {type: sql, url: 'postgresql+psycopg://ctid:hunter2@db/crm', table: t}\n"
    found = problems(tmp_path, site)
    assert found == [
        f"{tmp_path}/50-site.yml: directories -> book -> delimiter: expected one character (or "
        "tab), not a quote or a newline, got ';;'",
        f"{tmp_path}/50-site.yml: directories -> book -> encodng: unknown key (expected one of: "
        "columns, delimiter, display_reverse, encoding, fields, header, label, match_direct, "
        "match_reverse, max_bytes, max_rows, path, poll_interval, region, timeout, type)",
        f"{tmp_path}/50-site.yml: directories -> crm -> url: expected a URL without its "
        "password: put it under password:, got 'postgresql+psycopg://ctid:***@db/crm'",
    ]


def test_options_that_only_conflict_together_are_reported(tmp_path: pathlib.Path) -> None:
    site = "directories: {crm: {type: sql, url: 'sqlite://', table: t, "
    site += "reverse_query: 'select 1 where x in :numbers limit :limit'}}\n"
    [problem] = problems(tmp_path, site)
    assert (
        problem
        == f"{tmp_path}/50-site.yml: directories -> crm: expected table or queries, not both"
    )


def test_a_type_no_enabled_plugin_provides_is_refused(tmp_path: pathlib.Path) -> None:
    [problem] = problems(tmp_path, "directories: {book: {type: ldap}}\n", mem=MemoryDirectories())
    assert problem == (
        f"{tmp_path}/50-site.yml: directories -> book -> type: expected a backend type of an "
        "enabled plugin (memory), got 'ldap'"
    )


def test_a_reload_with_bad_backend_options_keeps_the_old_config() -> None:
    memory = MemoryDirectories()
    config: dict[str, Any] = {"directories": {"a": {"type": "memory", "match_direct": ["n"]}}}
    with make_daemon(config, {"mem": memory}) as daemon:
        config["directories"]["a"]["surprise"] = 1
        assert not daemon.reload()
        assert "surprise" not in daemon.config.data["directories"]["a"]
        assert memory.opened == ["a"]


@pytest.mark.parametrize("name", ["csv", "sql"])
def test_the_plugins_examples_pass_the_backend_checks(name: str) -> None:
    example = (
        pathlib.Path(__file__).resolve().parents[3] / "plugins" / f"ctid_{name}" / "example.yml"
    )
    raw = read_directory_of(example)
    loaded = load(lambda: raw, {"csv": CsvPlugin(), "sql": SqlPlugin()})
    assert loaded.config.data["directories"]


def read_directory_of(path: pathlib.Path) -> Any:
    return read_mapping(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
