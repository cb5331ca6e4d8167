"""The `info` plugin: the operators' console on `listen.info`, its built-in commands, and the
commands other plugins register with `ctid_register_info_commands`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import Ctid, InfoHandler, LineConnection, LineServer, hookimpl
from ctid_info.commands import Builtins
from ctid_info.console import Console, Settings
from ctid_info.dump import AmiDump
from ctid_info.schema import SCHEMA


class InfoPlugin:
    """Serves `listen.info`; one `Console` per connection."""

    config_schema: ClassVar[dict[Any, Any]] = SCHEMA

    def __init__(self) -> None:
        self.ctid: Ctid | None = None
        self.server: LineServer | None = None
        self.settings = Settings()
        self.dump = AmiDump()
        self.builtins = Builtins(self.dump, self._handle)

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid
        self.settings = _settings(ctid)

        def console(connection: LineConnection) -> Console:
            return Console(
                connection, self.settings, lambda: ctid.registry("info_commands"), self.dump
            )

        self.server = ctid.listen("info", console)

    @hookimpl
    def ctid_reload(self, ctid: Ctid) -> None:
        # Consoles already authenticated stay; the next ones need the new token.
        self.settings = _settings(ctid)

    @hookimpl
    def ctid_register_info_commands(self) -> Mapping[str, InfoHandler]:
        return self.builtins.table()

    @hookimpl
    def ctid_ami_event_received(self, ipbx_id: str, event: Mapping[str, str]) -> None:
        self.dump.publish(ipbx_id, event)

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any] | None:
        if self.server is None:
            return None
        return {
            "address": "{}:{}".format(*self.server.address),
            "consoles": len(self.server.connections),
            "dumping": len(self.dump),
            "events_dumped": self.dump.events_dumped,
        }

    def _handle(self) -> Ctid:
        if self.ctid is None:
            raise RuntimeError("the info plugin has not started")
        return self.ctid


def _settings(ctid: Ctid) -> Settings:
    return Settings(token=ctid.config["token"], token_timeout=ctid.config["token_timeout"])
