"""The `fagi` plugin: the FastAGI server on `listen.fagi` and the two bundled scripts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import Ctid, between, hookimpl, positive_duration, vol
from ctid_fagi import scripts
from ctid_fagi.protocol import AgiRequest
from ctid_fagi.server import FagiServer, Script
from ctid_fagi.session import AgiSession


class FagiPlugin:
    """Serves FastAGI; provides `callerid_forphones` and `callerid_extend`."""

    config_schema: ClassVar[dict[Any, Any]] = {
        vol.Optional(
            "deadline",
            default=1.5,
            description="one request may take this long, "
            "header and script together; keep it well under a ring",
        ): positive_duration,
        vol.Optional(
            "lookup_deadline",
            default=1.0,
            description="reverse lookup budget of callerid_forphones",
        ): positive_duration,
        vol.Optional("max_connections", default=500, description="requests served at once"): (
            between(1, 100_000)
        ),
    }

    def __init__(self) -> None:
        self.ctid: Ctid | None = None
        self.server: FagiServer | None = None

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid
        listen = ctid.settings["listen"]["fagi"]
        if not listen["enabled"]:
            return
        self.server = FagiServer(
            (listen["address"], listen["port"]),
            lambda: ctid.registry("fagi_scripts"),
            deadline=ctid.config["deadline"],
            max_connections=ctid.config["max_connections"],
        )
        self.server.start()

    @hookimpl
    def ctid_reload(self, ctid: Ctid) -> None:
        if self.server is not None:
            self.server.deadline = ctid.config["deadline"]

    @hookimpl
    def ctid_stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @hookimpl
    def ctid_register_fagi_scripts(self) -> Mapping[str, Script]:
        return {"callerid_forphones": self._forphones, "callerid_extend": self._extend}

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any] | None:
        return self.server.status() if self.server is not None else None

    def _forphones(self, session: AgiSession, request: AgiRequest) -> None:
        scripts.callerid_forphones(session, request, self._display)

    def _extend(self, session: AgiSession, request: AgiRequest) -> None:
        assert self.ctid is not None
        scripts.callerid_extend(session, request, self.ctid.ipbx.dialplan_of)

    def _display(self, number: str, context: str) -> str | None:
        assert self.ctid is not None
        found = self.ctid.query(
            "ctid_reverse_lookup",
            timeout=self.ctid.config["lookup_deadline"],
            number=number,
            context=context,
            did="",
        )
        return found.get("dbr-display") if found else None
