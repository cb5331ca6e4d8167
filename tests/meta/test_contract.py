"""Meta-tests: the hook contract is documented and exercised, plugins keep to ctid.api, every
schema key is described, every example and the shipped config.d validate."""

import ast
import importlib
import importlib.metadata
import inspect
import pathlib
import re
from typing import Any

import pytest
import voluptuous as vol
import yaml

from ctid import hookspecs
from ctid.config import read_directory, read_mapping, validate
from ctid.config.schema import CORE
from ctid.hookdoc import render
from ctid.plugins import discover

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUNDLED = sorted(path.name.removeprefix("ctid_") for path in (ROOT / "plugins").glob("ctid_*"))
ALLOWED_IMPORTS = ("ctid.api", "ctid.testing")


def hook_docs() -> list[tuple[str, Any]]:
    return [(name, getattr(hookspecs, name)) for name in hookspecs.hook_names()]


@pytest.mark.parametrize(("name", "function"), hook_docs())
def test_every_hookspec_is_documented_in_the_house_shape(name: str, function: Any) -> None:
    doc = inspect.getdoc(function) or ""
    assert doc.split("\n", 1)[0].strip(), f"{name} has no summary line"
    for parameter in inspect.signature(function).parameters:
        assert f":param {parameter}:" in doc, f"{name}: :param {parameter}: missing"
    assert ":returns:" in doc
    kind = re.search(r"^Kind: (\w+)\.$", doc, re.MULTILINE)
    assert kind and kind.group(1) == hookspecs.kind_of(function), f"{name}: Kind line"
    for label in ("Called from:", "May block:", "Since:"):
        assert re.search(rf"^{label} \S", doc, re.MULTILINE), f"{name}: {label} missing"


def test_hook_names_follow_the_grammar_of_their_kind() -> None:
    for name, function in hook_docs():
        kind = hookspecs.kind_of(function)
        if kind == hookspecs.REGISTRATION:
            assert name.startswith("ctid_register_")
        if kind == hookspecs.NOTIFICATION:
            assert re.search(r"_(received|changed|emitted|[a-z]+ed)$", name), name


def test_every_hook_is_exercised_by_a_test_named_after_it() -> None:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for hook, _function in hook_docs():
        assert any(name.startswith(f"test_hook_{hook}") for name in names), hook


def test_the_hooks_reference_is_fresh() -> None:
    assert (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8") == render(), (
        "docs/hooks.md is stale: run `ctid hooks-doc > docs/hooks.md`"
    )


@pytest.mark.parametrize("path", sorted((ROOT / "plugins").rglob("*.py")), ids=str)
def test_bundled_plugins_import_only_the_public_api(path: pathlib.Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        for module in modules:
            if module == "ctid" or module.startswith("ctid."):
                assert module in ALLOWED_IMPORTS, f"{path}: imports {module}"


def test_one_name_in_five_places() -> None:
    entry_points = discover()
    for name in BUNDLED:
        assert name in entry_points, f"no entry point for {name}"
        assert entry_points[name].value.startswith(f"ctid_{name}.plugin:")
        assert (ROOT / "plugins" / f"ctid_{name}" / "example.yml").is_file()
        assert (ROOT / "tests" / "plugins" / name).is_dir(), f"tests/plugins/{name} missing"
    shipped = read_directory(ROOT / "config.d").data["plugins"]
    assert sorted(shipped) == BUNDLED


def undescribed(schema: Any, path: str = "") -> list[str]:
    node = schema.schema if isinstance(schema, vol.Schema) else schema
    missing = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key is str or key is vol.Extra or not isinstance(key, vol.Marker | str):
                missing += undescribed(value, f"{path}.*")
                continue
            label = f"{path}.{getattr(key, 'schema', key)}"
            if not getattr(key, "description", None):
                missing.append(label)
            missing += undescribed(value, label)
    return missing


def bundled_plugin(name: str) -> Any:
    entry = discover()[name]
    return entry.load()


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_schema_key_has_a_description(name: str) -> None:
    assert undescribed(getattr(bundled_plugin(name), "config_schema", {})) == []


def test_every_core_schema_key_has_a_description() -> None:
    assert undescribed(CORE) == []


@pytest.mark.parametrize("name", BUNDLED)
def test_every_example_validates(name: str) -> None:
    example = yaml.safe_load((ROOT / "plugins" / f"ctid_{name}" / "example.yml").read_text())
    assert example["plugins"][name]["enabled"] is True
    plugin = bundled_plugin(name)
    config = validate(read_mapping(example, "example.yml"), {name: plugin()})
    assert config.plugin_names == [name]


def test_the_shipped_config_validates_with_every_bundled_plugin() -> None:
    raw = read_directory(ROOT / "config.d")
    enabled = [name for name, section in raw.data["plugins"].items() if section["enabled"]]
    config = validate(raw, {name: bundled_plugin(name)() for name in enabled})
    assert config.plugin_names == enabled
    assert set(BUNDLED) - set(enabled) == {"webusers"}  # needs a URL: off until configured


def test_importing_a_bundled_plugin_does_not_import_ctid_internals_first() -> None:
    for name in BUNDLED:
        module = importlib.import_module(f"ctid_{name}.plugin")
        assert module.__doc__, f"ctid_{name}.plugin has no module docstring"
