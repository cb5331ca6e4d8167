"""The `ami` plugin: keeps the AMI link to `ipbx.ami` up and carries the core's action API."""

from __future__ import annotations

from typing import Any, ClassVar

from ctid.api import Ctid, hookimpl
from ctid_ami.client import AmiClient, Settings
from ctid_ami.schema import SCHEMA


class AmiPlugin:
    """One AMI client per daemon, in its own greenlet."""

    config_schema: ClassVar[dict[Any, Any]] = SCHEMA

    def __init__(self) -> None:
        self.client: AmiClient | None = None

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.client = AmiClient(ctid.ipbx, _settings(ctid))
        ctid.ipbx.own(self.client)
        ctid.spawn(self.client.run)

    @hookimpl
    def ctid_stop(self, ctid: Ctid) -> None:
        ctid.ipbx.own(None)
        if self.client is not None:
            self.client.stop()

    @hookimpl
    def ctid_reload(self, ctid: Ctid, changed: frozenset[str]) -> None:
        if self.client is None or not changed & {"ipbx", "plugins"}:
            return
        settings = _settings(ctid)
        if settings != self.client.settings:
            ctid.log.info("AMI settings changed: reconnecting")
            self.ctid_stop(ctid)
            self.ctid_start(ctid)

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any] | None:
        return self.client.status() if self.client is not None else None


def _settings(ctid: Ctid) -> Settings:
    ami = ctid.settings["ipbx"]["ami"]
    return Settings(
        host=ami["host"],
        port=ami["port"],
        username=ami["username"],
        secret=ami["secret"],
        auth=ami["auth"],
        **ctid.config,
    )
