"""Schemas of `directories:` (sources), `contexts:` (which sources and display per context) and
`reverse:` (caller-number lookups), with the checks that span them.

A directory's own keys are checked here; the options of its backend type (`path`, `url`…) are
checked against that backend's schema once the plugins are registered (`ctid.directory.config`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers
import voluptuous as vol

from ctid.config.problems import ConfigProblem
from ctid.config.validators import between, duration, positive_duration, string_list

Opt = vol.Optional
Req = vol.Required
Origin = Callable[[tuple[str, ...]], str]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DID = re.compile(r"[0-9*#+]{1,40}")
_REGION_ALIASES = {"UK": "GB"}

CORE_KEYS = frozenset(
    {
        "type",
        "label",
        "match_direct",
        "match_reverse",
        "fields",
        "display_reverse",
        "timeout",
        "region",
    }
)
"""A directory's keys read by the core; every other key is an option of its backend."""


def name(value: Any) -> str:
    """A directory or field name: letters, digits, `_`, `.` and `-`."""
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        raise vol.Invalid("expected a name of letters, digits, _ . - (at most 64)")
    return value


def template(value: Any) -> str:
    """Text with `{name}` placeholders; braces must pair up."""
    if not isinstance(value, str):
        raise vol.Invalid("expected text with {placeholders}")
    rest = _PLACEHOLDER.sub("", value)
    if "{" in rest or "}" in rest or "{}" in value:
        raise vol.Invalid("expected text whose braces pair up around names, e.g. {sn}")
    return value


def display_format(value: Any) -> str:
    """A display column: placeholders are `db-<key>` fields or `xivo-directory`."""
    text = template(value)
    for item in _PLACEHOLDER.findall(text):
        if not (item.startswith("db-") or item == "xivo-directory"):
            raise vol.Invalid(
                f"expected {{db-<key>}} or {{xivo-directory}} placeholders, not {{{item}}}"
            )
    return text


def region(value: Any) -> str:
    """An ISO 3166 country code known to libphonenumber (FR, CH, GB, US…)."""
    code = str(value).strip().upper() if isinstance(value, str) else ""
    code = _REGION_ALIASES.get(code, code)
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise vol.Invalid("expected a country code such as FR, CH, GB or US")
    return code


def region_or_none(value: Any) -> str:
    """A country code, or "" for none."""
    return "" if value in ("", None) else region(value)


def did(value: Any) -> str:
    """A DID as dialled (quoted in YAML so that leading zeros survive) or `*`."""
    if not isinstance(value, str) or _DID.fullmatch(value) is None:
        raise vol.Invalid('expected a DID as a quoted string such as "0140001234", or "*"')
    return value


DIRECTORY = vol.Schema(
    {
        Req("type", description="backend type: csv, sql, ldap, or one a plugin registers"): name,
        Opt("label", default=None, description="shown as {xivo-directory} (default: the key)"): (
            vol.Any(None, str)
        ),
        Opt("match_direct", default=[], description="source fields a name search looks in"): (
            string_list
        ),
        Opt(
            "match_reverse",
            default=[],
            description="source fields holding phone numbers, for caller-number lookups",
        ): string_list,
        Opt(
            "fields",
            default={},
            description="db-<key> values: key: source field, or a template such as '{gn} {sn}'",
        ): {str: template},
        Opt(
            "display_reverse",
            default="{db-fullname}",
            description="the caller name a reverse lookup gives (dbr-display)",
        ): template,
        Opt("timeout", default=1.0, description="deadline of one call to this source"): (
            positive_duration
        ),
        Opt(
            "region",
            default=None,
            description="country of numbers stored without a prefix (default: "
            "reverse.default_region)",
        ): region_or_none,
        vol.Extra: object,  # the backend's options, checked by its own schema
    }
)

COLUMN = vol.Schema(
    {
        Req("title", description="column header"): str,
        Opt("type", default="", description="what the column holds for clients: name, phone…"): (
            str
        ),
        Opt("default", default="", description="shown when every placeholder is empty"): str,
        Req("format", description="text with {db-<key>} and {xivo-directory} placeholders"): (
            display_format
        ),
    }
)


def _did(value: Any) -> str:
    """A DID key: quoted in YAML, since an unquoted 0123 would lose its leading zero."""
    if not isinstance(value, str):
        raise vol.Invalid(
            'expected a quoted DID such as "0123" or "*" (a bare number loses its leading zeros)'
        )
    return value


DEFAULT_DISPLAY = [
    {"title": "Name", "type": "name", "default": "", "format": "{db-fullname}"},
    {"title": "Number", "type": "phone", "default": "", "format": "{db-phone}"},
    {"title": "Directory", "type": "", "default": "", "format": "{xivo-directory}"},
]

CONTEXT = vol.Schema(
    {
        Opt("directories", default=[], description="directories a search looks in, in order"): (
            [name]
        ),
        Opt("display", default=DEFAULT_DISPLAY, description="search result columns, in order"): (
            vol.All([COLUMN], vol.Length(min=1, msg="expected at least one column"))
        ),
        Opt(
            "reverse",
            default={},
            description='caller-number lookups by DID ("*": any other), directories in order',
        ): {_did: [name]},
    }
)


CACHE = vol.Schema(
    {
        Opt("positive_ttl", default=300.0, description="how long a found caller is remembered"): (
            duration
        ),
        Opt("negative_ttl", default=60.0, description="how long an unknown caller is remembered"): (
            duration
        ),
        Opt("max_entries", default=10000, description="numbers remembered at most (0: no cache)"): (
            between(0, 10_000_000)
        ),
    }
)

REVERSE = vol.Schema(
    {
        Opt(
            "default_region",
            default="",
            description="country calls are dialled from (ISO code such as FR); "
            "required once a context has reverse lookups",
        ): region_or_none,
        Opt("regions", default={}, description="country per dialplan context, when it differs"): (
            {str: region}
        ),
        Opt(
            "min_length",
            default=6,
            description="caller numbers with fewer digits (internal extensions) are not looked up",
        ): between(1, 20),
        Opt("deadline", default=1.0, description="a reverse lookup gives up after this"): (
            positive_duration
        ),
        Opt("cache", default={}, description="remembered answers, by normalized number"): CACHE,
    }
)

DIRECTORIES = {str: DIRECTORY}
CONTEXTS = {str: CONTEXT}


def directory_problems(data: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    """Problems between `directories`, `contexts` and `reverse` of a schema-valid config."""
    directories: Mapping[str, Any] = data["directories"]
    problems = _names(data, origin)
    for key, directory in directories.items():
        problems += _display_reverse(key, directory, origin)
    reverse_used = False
    for context, section in data["contexts"].items():
        for index, item in enumerate(section["directories"]):
            path: tuple[str, ...] = ("contexts", context, "directories", str(index))
            problems += _reference(directories, item, "match_direct", path, origin)
        for number, names in section["reverse"].items():
            reverse_used = reverse_used or bool(names)
            for index, item in enumerate(names):
                path = ("contexts", context, "reverse", number, str(index))
                problems += _reference(directories, item, "match_reverse", path, origin)
    if reverse_used and not data["reverse"]["default_region"]:
        where = ("reverse", "default_region")
        problems.append(
            ConfigProblem(
                origin(where),
                where,
                "expected a country code such as FR once reverse lookups are set",
                "",
            )
        )
    return problems


def _names(data: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    """Keys the schema takes as any string: directory and field names, DIDs."""
    checks: list[tuple[tuple[str, ...], Callable[[Any], str]]] = []
    for key, directory in data["directories"].items():
        checks.append((("directories", key), name))
        checks += [(("directories", key, "fields", field), name) for field in directory["fields"]]
    for context, section in data["contexts"].items():
        checks += [(("contexts", context, "reverse", number), did) for number in section["reverse"]]
    problems = []
    for path, check in checks:
        try:
            check(path[-1])
        except vol.Invalid as error:
            problems.append(ConfigProblem(origin(path), path, error.error_message, repr(path[-1])))
    return problems


def _reference(
    directories: Mapping[str, Any], item: str, needed: str, path: tuple[str, ...], origin: Origin
) -> list[ConfigProblem]:
    if item not in directories:
        known = ", ".join(sorted(directories)) or "none defined"
        expected = f"expected a directory defined under directories: ({known})"
        return [ConfigProblem(origin(path), path, expected, repr(item))]
    if not directories[item][needed]:
        expected = f"expected a directory with {needed} fields"
        return [ConfigProblem(origin(path), path, expected, f"{item!r}, which has none")]
    return []


def _display_reverse(key: str, directory: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    if not directory["match_reverse"]:
        return []  # a search-only directory never shows a caller name
    path = ("directories", key, "display_reverse")
    wanted = {f"db-{field}" for field in directory["fields"]} | {"xivo-directory"}
    for item in _PLACEHOLDER.findall(directory["display_reverse"]):
        if item not in wanted:
            expected = "expected {db-<key>} placeholders of keys under fields, or {xivo-directory}"
            return [ConfigProblem(origin(path), path, expected, f"{{{item}}}")]
    return []
