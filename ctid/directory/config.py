"""From the validated `directories:` section to source specs, with each backend's options checked
by that backend's own schema.

The core schema cannot check a directory's backend options: which backend types exist is known
only once the plugins are loaded. `check_backends` runs right after validation (in
`ctid.daemon.load`, so `check-config`, start and reload all see the same problems), and reports
them like every other config problem: file, key path, expected, found.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from ctid.config import Config, ConfigError, ConfigProblem
from ctid.config.directories import CORE_KEYS, DIRECTORY, Origin
from ctid.config.problems import from_invalid
from ctid.directory.sources import BackendFactory, SourceSpec
from ctid.plugins import Hooks, PluginError

log = logging.getLogger(__name__)

BACKENDS_HOOK = "ctid_register_directory_backends"


@dataclasses.dataclass(frozen=True)
class Directory:
    """One configured directory: what its backend gets, plus what only the core uses."""

    spec: SourceSpec
    label: str
    """Shown as `{xivo-directory}`."""
    region: str
    """Country of the numbers it stores without a prefix ("" when unknown)."""


def option_schema(factory: BackendFactory) -> dict[Any, Any]:
    """The `config_schema` a backend factory declares for its options (none: no options)."""
    declared = getattr(factory, "config_schema", None) or {}
    schema = declared.schema if isinstance(declared, vol.Schema) else declared
    return dict(schema)


def build(
    data: Mapping[str, Any], factories: Mapping[str, BackendFactory], origin: Origin
) -> tuple[dict[str, Directory], list[ConfigProblem]]:
    """Every directory whose backend options are valid, and the problems of the others."""
    directories: dict[str, Directory] = {}
    problems: list[ConfigProblem] = []
    default_region = data["reverse"]["default_region"]
    for key, section in data["directories"].items():
        options, found = _options(key, section, factories, origin)
        problems += found
        if options is None:
            continue
        spec = SourceSpec(
            name=key,
            type=section["type"],
            options=options,
            match_direct=tuple(section["match_direct"]),
            match_reverse=tuple(section["match_reverse"]),
            fields=dict(section["fields"]),
            display_reverse=section["display_reverse"],
            timeout=section["timeout"],
        )
        label = section["label"] or key
        directories[key] = Directory(spec, label, section["region"] or default_region)
    return directories, problems


def _options(
    key: str, section: Mapping[str, Any], factories: Mapping[str, BackendFactory], origin: Origin
) -> tuple[dict[str, Any] | None, list[ConfigProblem]]:
    prefix = ("directories", key)
    factory = factories.get(section["type"])
    if factory is None:
        path = (*prefix, "type")
        known = ", ".join(sorted(factories)) or "none: enable a directory plugin"
        expected = f"expected a backend type of an enabled plugin ({known})"
        return None, [ConfigProblem(origin(path), path, expected, repr(section["type"]))]
    own = option_schema(factory)
    clashes = sorted(
        str(getattr(k, "schema", k)) for k in own if getattr(k, "schema", k) in CORE_KEYS
    )
    if clashes:
        expected = f"expected a {section['type']} backend whose options do not reuse core keys"
        return None, [ConfigProblem(origin(prefix), prefix, expected, ", ".join(clashes))]
    options = {k: v for k, v in section.items() if k not in CORE_KEYS}
    schema = vol.Schema(own, extra=vol.PREVENT_EXTRA)
    try:
        checked = dict(schema(options))
    except vol.Invalid as error:
        # Name the core keys too when a key is unknown: they are allowed beside the options.
        shown = vol.Schema(
            {**{k: v for k, v in DIRECTORY.schema.items() if k is not vol.Extra}, **own}
        )
        return None, from_invalid(error, options, shown, origin, prefix)
    together = getattr(factory, "config_problems", None)
    found = [str(text) for text in together(checked)] if callable(together) else []
    if found:
        return None, [ConfigProblem(origin(prefix), prefix, text, "") for text in found]
    return checked, []


def registered_backends(objects: Mapping[str, Any]) -> dict[str, BackendFactory]:
    """The backend types the given plugin objects register, before the daemon registers them.

    A plugin that cannot register, or two plugins claiming one type, are left for the daemon to
    report (it refuses them at start); here they only mean fewer known types.
    """
    hooks = Hooks()
    for name, obj in objects.items():
        try:
            hooks.register(name, obj)
        except PluginError:
            continue
    try:
        return hooks.registry(BACKENDS_HOOK)
    except PluginError:
        return {}


def check_backends(config: Config, objects: Mapping[str, Any]) -> None:
    """Check every directory's backend options against its backend's schema.

    :raises ConfigError: an unknown backend type or invalid options, each as a problem.
    """
    if not config.data["directories"]:
        return
    _directories, problems = build(config.data, registered_backends(objects), config.raw.origin)
    if problems:
        raise ConfigError(problems)
