"""`ctid dump-config`: the effective configuration as YAML, defaults included, secrets masked,
each key followed by its schema description as a comment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import voluptuous as vol
import yaml

from ctid.config import Config
from ctid.config.problems import MASK
from ctid.config.schema import CORE, PLUGIN_SECTION
from ctid.config.validators import is_secret


def dump(config: Config) -> str:
    """The whole effective configuration, ready to print."""
    lines = ["# effective ctid configuration (defaults included, secrets masked)"]
    for file in config.raw.files:
        lines.append(f"# read: {file}")
    lines += list(_mapping(config.data, CORE.schema, 0, config))
    return "\n".join(lines) + "\n"


def _mapping(data: Mapping[str, Any], schema: Any, depth: int, config: Config) -> Iterator[str]:
    indent = "  " * depth
    for key in _ordered(data, schema):
        value = data[key]
        marker, child = _find(schema, key)
        if depth == 0 and key == "plugins":
            yield f"{indent}plugins:{_comment(marker)}"
            yield from _plugins(value, config)
            continue
        yield from _entry(
            indent, key, value, marker=marker, child=child, depth=depth, config=config
        )


def _entry(
    indent: str, key: str, value: Any, *, marker: Any, child: Any, depth: int, config: Config
) -> Iterator[str]:
    comment = _comment(marker)
    if is_secret(marker) or is_secret(key):
        # quoted: a bare *** reads as a YAML alias, and the dump must stay valid YAML
        yield f"{indent}{_scalar(key)}: {_scalar(MASK if value else value)}{comment}"
    elif isinstance(value, Mapping) and value:
        yield f"{indent}{_scalar(key)}:{comment}"
        yield from _mapping(value, child, depth + 1, config)
    elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        yield f"{indent}{_scalar(key)}:{comment}"
        for item in value:
            yield f"{indent}  - {_scalar(_masked(item))}"
    else:
        yield f"{indent}{_scalar(key)}: {_scalar(_masked(value))}{comment}"


def _plugins(sections: Mapping[str, Any], config: Config) -> Iterator[str]:
    for name, section in sections.items():
        yield f"  {name}:"
        schema = dict(PLUGIN_SECTION.schema)
        plugin = config.plugin_schemas.get(name)
        if plugin is not None:
            schema.update(plugin.schema)
        yield from _mapping(section, schema, 2, config)


def _ordered(data: Mapping[str, Any], schema: Any) -> list[str]:
    """Keys in schema order (stable across runs), then any the schema does not name."""
    node = schema.schema if isinstance(schema, vol.Schema) else schema
    named = [getattr(marker, "schema", marker) for marker in node] if isinstance(node, dict) else []
    first = [key for key in named if isinstance(key, str) and key in data]
    return first + [key for key in data if key not in first]


def _masked(value: Any) -> Any:
    """A copy with every value under a secret key replaced by the mask."""
    if isinstance(value, Mapping):
        return {k: (MASK if is_secret(k) and v else _masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _find(schema: Any, key: str) -> tuple[Any, Any]:
    if isinstance(schema, vol.Schema):
        schema = schema.schema
    if not isinstance(schema, dict):
        return None, None
    for marker, child in schema.items():
        if getattr(marker, "schema", marker) == key:
            return marker, child
    for marker, child in schema.items():
        if marker is str:
            return None, child
    return None, None


def _comment(marker: Any) -> str:
    text = getattr(marker, "description", None)
    return f"  # {text}" if text else ""


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()
