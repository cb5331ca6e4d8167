"""Reading config.d: YAML drop-ins (*.yml, *.yaml) in lexical order, deep-merged, with provenance.

A later file wins per key; mappings merge, lists and scalars are replaced whole. Provenance maps
every key path to the file that set it last, so an error can name the file an operator must edit.
A drop-in that sets a secret while any local user may read it earns a warning (`warnings`),
which `check-config` prints and the daemon logs at start and at each reload.
"""

from __future__ import annotations

import dataclasses
import pathlib
import stat
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from ctid.config.problems import ConfigProblem, shown
from ctid.config.validators import is_secret

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
    warnings: list[str] = dataclasses.field(default_factory=list)
    """Things that work but should not be so (a drop-in holding secrets that anyone can read)."""

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
            warning = exposed_secrets(path, label, document)
            if warning:
                raw.warnings.append(warning)
    return raw


def exposed_secrets(path: pathlib.Path, label: str, document: Any) -> str | None:
    """A warning when a drop-in sets a secret and its mode lets any local user read it."""
    keys = sorted(set(_secret_keys(document)))
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # gone since it was read: nothing to tell about it
    if not keys or not mode & stat.S_IROTH:
        return None
    return (
        f"{label} sets {', '.join(keys)} and every user of this machine can read it "
        f"(mode {stat.S_IMODE(mode):04o}): chmod 640 {label} (owner root, group ctid)"
    )


def _secret_keys(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if is_secret(key) and value not in (None, ""):
                yield str(key)
            else:
                yield from _secret_keys(value)
    elif isinstance(data, list):
        for item in data:
            yield from _secret_keys(item)


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
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                ConfigProblem(
                    label, (), f"expected a file under {MAX_FILE_BYTES} bytes", f"{size} bytes"
                )
            )
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(label, (), "expected a readable UTF-8 file", str(exc)))
        return None
    document, problem = _parse(text, label)
    sections = isinstance(document, dict) and all(isinstance(k, str) for k in document)
    if problem is None and document is not None and not sections:
        expected = "expected a mapping of section names at the top"
        problem = ConfigProblem(label, (), expected, type(document).__name__)
    if problem is not None:
        problems.append(problem)
        return None
    return document


def _parse(text: str, label: str) -> tuple[Any, ConfigProblem | None]:
    """The YAML document of a drop-in, or the problem that stops it."""
    try:
        document = yaml.safe_load(text)
        oddity = _oddity(document, (), frozenset())
    except RecursionError:
        return None, ConfigProblem(label, (), "expected valid YAML", "nested too deeply")
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        reason = f"{line}{getattr(exc, 'problem', None) or exc}"
        return None, ConfigProblem(label, (), "expected valid YAML", reason)
    except (ValueError, LookupError, AttributeError) as exc:
        # PyYAML's constructors fail so on a scalar they cannot build: a date that is no date
        # (`at: 2001-13-45`) or a bad explicit tag (`!!int x`, `!!timestamp x`).
        return None, ConfigProblem(label, (), "expected valid YAML", str(exc) or repr(exc))
    return document, (ConfigProblem(label, *oddity) if oddity is not None else None)


def _oddity(value: Any, path: Path, outer: frozenset[int]) -> tuple[Path, str, str] | None:
    """(path, expected, found) of the first thing YAML can build but no config may hold: a
    collection inside itself (a recursive alias, which merging would copy forever) or a string
    with a lone surrogate (a `"\\ud800"` escape: no UTF-8 file or wire can carry it)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path, "expected text (a YAML escape made a lone surrogate)", shown(path, value)
        return None
    if not isinstance(value, dict | list):
        return None
    if id(value) in outer:
        return path, "expected a value that does not contain itself (a recursive alias)", "..."
    outer |= {id(value)}
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        where = (*path, str(key))
        found = _oddity(key, where, outer) or _oddity(item, where, outer)
        if found is not None:
            return found
    return None


def _label(directory: pathlib.Path, path: pathlib.Path) -> str:
    return str(directory / path.name) if str(directory) != "." else path.name
