"""The `dpvars` plugin: the `dp-*` sheet variables (`ctid_register_sheet_variables`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import hookimpl
from ctid_dpvars.dialplan import dp_variables


class DpVarsPlugin:
    """Provides the `dp` family; it takes no options."""

    config_schema: ClassVar[dict[Any, Any]] = {}

    @hookimpl
    def ctid_register_sheet_variables(self) -> Mapping[str, Any]:
        return {"dp": dp_variables}
