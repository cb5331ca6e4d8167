"""The `csv` plugin: registers the `csv` directory backend type. It does nothing until a
`directories:` entry says `type: csv` (see its example.yml and docs/directories.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import BackendFactory, hookimpl
from ctid_csv.source import CsvDirectory


class CsvPlugin:
    """No options of its own: each directory carries its file's options."""

    config_schema: ClassVar[dict[Any, Any]] = {}

    @hookimpl
    def ctid_register_directory_backends(self) -> Mapping[str, BackendFactory]:
        return {"csv": CsvDirectory}
