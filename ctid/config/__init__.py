"""The validated configuration: core sections by the core schema, plugin sections by theirs.

`validate()` reports every problem of a config directory in one go (file parse errors, core
schema errors, plugins that cannot load, plugin schema errors) and raises ConfigError with all of
them; nothing is half-applied.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from ctid.config.crosscheck import cross_check, cross_warnings
from ctid.config.loader import RawConfig, read_directory, read_mapping
from ctid.config.problems import EXIT_CONFIG, ConfigError, ConfigProblem, from_invalid
from ctid.config.schema import CORE

DEFAULT_DIRECTORY = "/etc/ctid/config.d"
ENVIRONMENT_VARIABLE = "CTID_CONFIG_DIR"

__all__ = [
    "EXIT_CONFIG",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "RawConfig",
    "config_directory",
    "enabled_plugins",
    "plugin_schema",
    "read_directory",
    "read_mapping",
    "validate",
]


@dataclasses.dataclass(frozen=True)
class Config:
    """A valid configuration, defaults filled in."""

    data: Mapping[str, Any]
    raw: RawConfig
    plugin_schemas: Mapping[str, vol.Schema]

    @property
    def plugin_names(self) -> list[str]:
        """Enabled plugins, in the order `plugins:` lists them."""
        return [name for name, section in self.data["plugins"].items() if section["enabled"]]

    def plugin(self, name: str) -> dict[str, Any]:
        """A plugin's validated options, without the core's `enabled` flag."""
        section = dict(self.data["plugins"].get(name, {}))
        section.pop("enabled", None)
        return section


def config_directory(option: str | None) -> pathlib.Path:
    """`-c/--config-dir`, then CTID_CONFIG_DIR, then /etc/ctid/config.d."""
    return pathlib.Path(option or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_DIRECTORY)


def enabled_plugins(raw: RawConfig) -> list[str]:
    """Plugin names whose section says `enabled: true`, read before validation to load them."""
    section = raw.data.get("plugins")
    if not isinstance(section, Mapping):
        return []
    return [
        str(name)
        for name, options in section.items()
        if isinstance(options, Mapping) and options.get("enabled") is True
    ]


def plugin_schema(plugin: Any) -> vol.Schema:
    """The schema a plugin declares as `config_schema` (none: it takes no options)."""
    declared = getattr(plugin, "config_schema", None) or {}
    schema = declared if isinstance(declared, vol.Schema) else vol.Schema(declared)
    return vol.Schema(schema.schema, extra=vol.PREVENT_EXTRA)


def validate(
    raw: RawConfig,
    plugins: Mapping[str, Any] | None = None,
    plugin_errors: Mapping[str, str] | None = None,
) -> Config:
    """Validate a merged config against the core schema and each enabled plugin's schema.

    :param plugins: the loaded plugin objects by name (their `config_schema` is used).
    :param plugin_errors: why the other enabled plugins could not be loaded.
    :raises ConfigError: with every problem found.
    """
    problems = list(raw.problems)
    data: dict[str, Any] = {}
    try:
        data = CORE(raw.data)
    except vol.Invalid as error:
        problems += from_invalid(error, raw.data, CORE, raw.origin)
    else:
        problems += cross_check(data, raw.origin)
        raw.warnings.extend(
            warning for warning in cross_warnings(data, raw.origin) if warning not in raw.warnings
        )
    for name, why in (plugin_errors or {}).items():
        path = ("plugins", name)
        problems.append(ConfigProblem(raw.origin(path), path, "a plugin that loads", why))
    schemas = {name: plugin_schema(obj) for name, obj in (plugins or {}).items()}
    declared = raw.data.get("plugins")
    sections: dict[str, Any] = declared if isinstance(declared, dict) else {}
    for name, schema in schemas.items():
        options = dict(sections.get(name) or {})
        options.pop("enabled", None)
        try:
            checked = schema(options)
        except vol.Invalid as error:
            problems += from_invalid(error, options, schema, raw.origin, ("plugins", name))
            continue
        if data:
            data["plugins"][name] = {"enabled": True, **checked}
    if problems:
        raise ConfigError(problems)
    return Config(data=data, raw=raw, plugin_schemas=schemas)
