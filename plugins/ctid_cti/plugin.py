"""The `cti` plugin: serves CTI clients on `listen.cti` and `listen.ctis` (see docs/cti.md)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ctid.api import (
    CallEvent,
    Ctid,
    CtiHandler,
    CtiSession,
    InfoHandler,
    LineServer,
    Sheet,
    User,
    hookimpl,
    provide_cti_hub,
)
from ctid_cti import info, tls
from ctid_cti.schema import SCHEMA
from ctid_cti.service import COMMANDS, CtiService


class CtiPlugin:
    """The CTI listeners in front of a CtiService."""

    config_schema: ClassVar[dict[Any, Any]] = SCHEMA

    def __init__(self) -> None:
        self.service: CtiService | None = None
        self.servers: dict[str, LineServer] = {}
        self.certificates: tls.Certificates | None = None

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        certificates = self.certificates = tls.Certificates(ctid)
        service = self.service = CtiService(ctid, starttls=tls.starttls_policy(ctid, certificates))
        provide_cti_hub(ctid, service.hub)
        server = ctid.listen("cti", service.connection)
        if server is not None:
            self.servers["cti"] = server
        ctis = ctid.settings["listen"]["ctis"]
        if ctis["enabled"]:  # the config check made sure it has a certificate and key
            context = certificates.context("ctis")
            self.servers["ctis"] = ctid.line_server(
                "ctis", ctis["address"], ctis["port"], service.connection, ssl_context=context
            )

    @hookimpl
    def ctid_stop(self, ctid: Ctid) -> None:
        provide_cti_hub(ctid, None)
        self.servers.clear()  # the handle stops them, closing every connection

    @hookimpl
    def ctid_reload(self) -> None:
        if self.service is None or self.certificates is None:
            return
        self.service.reloaded()
        # Renewed certificates serve the next handshakes; encrypted connections keep theirs.
        ctis, cti = self.certificates.renewed("ctis"), self.certificates.renewed("cti")
        if ctis is not None and "ctis" in self.servers:
            self.servers["ctis"].ssl_context = ctis
        if cti is not None:
            self.service.starttls = dataclasses.replace(self.service.starttls, context=cti)

    @hookimpl
    def ctid_register_cti_commands(self) -> Mapping[str, CtiHandler]:
        # Registered before ctid_start builds the service: each name forwards to it.
        return {name: functools.partial(self._command, name) for name in COMMANDS}

    def _command(self, name: str, session: CtiSession, message: Mapping[str, Any]) -> None:
        assert self.service is not None  # commands arrive on listeners ctid_start opened
        self.service.handlers[name](session, message)

    @hookimpl
    def ctid_register_info_commands(self) -> Mapping[str, InfoHandler]:
        return info.commands(lambda: self.service.hub if self.service is not None else None)

    @hookimpl
    def ctid_users_changed(self, removed: Sequence[User], changed: Sequence[User]) -> None:
        if self.service is not None:  # the first refresh comes before ctid_start
            self.service.users_changed(removed, changed)

    @hookimpl
    def ctid_ami_event_received(self, event: Mapping[str, str]) -> None:
        if self.service is not None:
            self.service.pusher.ami_event(event)

    @hookimpl
    def ctid_call_event_emitted(self, event: CallEvent) -> None:
        if self.service is not None:
            self.service.call_event(event)

    @hookimpl
    def ctid_sheet_rendered(self, sheet: Sheet) -> None:
        if self.service is not None:
            self.service.sheet_rendered(sheet)

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any] | None:
        return self.service.status() if self.service is not None else None
