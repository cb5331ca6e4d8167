"""The `sql` plugin: registers the `sql` directory backend type (any database SQLAlchemy reaches).
It does nothing until a `directories:` entry says `type: sql` (see its example.yml and
docs/directories.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import BackendFactory, hookimpl
from ctid_sql.source import SqlDirectory


class SqlPlugin:
    """No options of its own: each directory carries its database's options."""

    config_schema: ClassVar[dict[Any, Any]] = {}

    @hookimpl
    def ctid_register_directory_backends(self) -> Mapping[str, BackendFactory]:
        return {"sql": SqlDirectory}
