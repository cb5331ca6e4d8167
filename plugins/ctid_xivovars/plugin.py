"""The `xivovars` plugin: the `xivo-*` sheet variables (`ctid_register_sheet_variables`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import CallEvent, Ctid, between, hookimpl, vol
from ctid_xivovars.pictures import Pictures
from ctid_xivovars.xivo import xivo_variables

DEFAULT_PICTURE_BYTES = 256 * 1024


class XivoVarsPlugin:
    """Provides the `xivo` family."""

    config_schema: ClassVar[dict[Any, Any]] = {
        vol.Optional(
            "date_format", default="%Y-%m-%d", description="strftime format of {xivo-date}"
        ): str,
        vol.Optional(
            "time_format", default="%H:%M:%S", description="strftime format of {xivo-time}"
        ): str,
        vol.Optional(
            "picture_max_bytes",
            default=DEFAULT_PICTURE_BYTES,
            description="largest picture file sent as {xivo-callerpicture}",
        ): between(1, 16 * 1024 * 1024),
    }

    def __init__(self) -> None:
        self.ctid: Ctid | None = None
        self.pictures = Pictures(DEFAULT_PICTURE_BYTES)

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid
        self.pictures.max_bytes = ctid.config["picture_max_bytes"]

    @hookimpl
    def ctid_reload(self, ctid: Ctid) -> None:
        self.pictures.max_bytes = ctid.config["picture_max_bytes"]

    @hookimpl
    def ctid_register_sheet_variables(self) -> Mapping[str, Any]:
        return {"xivo": self.variables}

    def variables(self, event: CallEvent) -> dict[str, str]:
        """The `xivo-*` values of one event (nothing before the plugin started)."""
        if self.ctid is None:
            return {}
        options = self.ctid.config
        return xivo_variables(
            event,
            self.ctid.users,
            self.pictures.get,
            options["date_format"],
            options["time_format"],
        )
