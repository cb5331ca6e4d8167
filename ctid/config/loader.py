"""Reading config.d: YAML drop-ins (*.yml, *.yaml) in lexical order, deep-merged, with provenance.

A later file wins per key; mappings merge, lists and scalars are replaced whole. Provenance maps
every key path to the file that set it last, so an error can name the file an operator must edit.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping
from typing import Any

import yaml

from ctid.config.problems import ConfigProblem

Path = tuple[str, ...]
MAX_FILE_BYTES = 4 * 1024 * 1024
"""A config drop-in larger than this is refused rather than parsed."""


@dataclasses.dataclass
class RawConfig:
    """The merged, not yet validated configuration of one config directory."""

    directory: pathlib.Path
    data: dict[str, Any]
    provenance: dict[Path, str]
    files: list[str]
    problems: list[ConfigProblem]

    def origin(self, path: Path) -> str:
        """The file that set `path` or its nearest parent; the directory when none did."""
        for end in range(len(path), 0, -1):
            found = self.provenance.get(tuple(path[:end]))
            if found:
                return found
        return self.files[-1] if self.files else str(self.directory)


def read_directory(directory: pathlib.Path) -> RawConfig:
    """Read and merge every `*.yml` and `*.yaml` of a config directory, by file name."""
    raw = RawConfig(directory=directory, data={}, provenance={}, files=[], problems=[])
    if not directory.is_dir():
        raw.problems.append(
            ConfigProblem(str(directory), (), "expected a config directory", "nothing there")
        )
        return raw
    drop_ins = [*directory.glob("*.yml"), *directory.glob("*.yaml")]
    for path in sorted(drop_ins, key=lambda item: item.name):
        label = _label(directory, path)
        raw.files.append(label)
        document = _read_one(path, label, raw.problems)
        if document is not None:
            merge(raw.data, document, raw.provenance, label, ())
    return raw


def read_mapping(data: Mapping[str, Any], label: str = "<memory>") -> RawConfig:
    """Wrap an in-memory config (tests, make_daemon) as if read from one file."""
    raw = RawConfig(
        directory=pathlib.Path(label), data={}, provenance={}, files=[label], problems=[]
    )
    merge(raw.data, dict(data), raw.provenance, label, ())
    return raw


def merge(
    target: dict[str, Any],
    update: Mapping[str, Any],
    provenance: dict[Path, str],
    label: str,
    prefix: Path,
) -> None:
    """Deep-merge `update` into `target`, recording `label` as the origin of each key path."""
    for key, value in update.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            provenance.setdefault(path, label)
            merge(target[key], value, provenance, label, path)
            continue
        for stale in [p for p in provenance if p[: len(path)] == path]:
            del provenance[stale]
        target[key] = _copy(value)
        _record(provenance, value, label, path)


def _record(provenance: dict[Path, str], value: Any, label: str, path: Path) -> None:
    provenance[path] = label
    if isinstance(value, Mapping):
        for key, item in value.items():
            _record(provenance, item, label, (*path, str(key)))


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _read_one(path: pathlib.Path, label: str, problems: list[ConfigProblem]) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(
                ConfigProblem(
                    label,
                    (),
                    f"expected a file under {MAX_FILE_BYTES} bytes",
                    f"{path.stat().st_size} bytes",
                )
            )
            return None
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(label, (), "expected a readable UTF-8 file", str(exc)))
        return None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        problems.append(
            ConfigProblem(
                label, (), "expected valid YAML", f"{line}{getattr(exc, 'problem', None) or exc}"
            )
        )
        return None
    if document is None:
        return None
    if not isinstance(document, dict) or not all(isinstance(k, str) for k in document):
        problems.append(
            ConfigProblem(
                label, (), "expected a mapping of section names at the top", type(document).__name__
            )
        )
        return None
    return document


def _label(directory: pathlib.Path, path: pathlib.Path) -> str:
    return str(directory / path.name) if str(directory) != "." else path.name
