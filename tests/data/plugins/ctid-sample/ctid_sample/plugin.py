"""Counts call events and contributes a sheet variable family, as a site's CRM plugin would."""

from __future__ import annotations

from typing import Any

from ctid.api import CallEvent, Ctid, hookimpl, vol


class SamplePlugin:
    """Greets at start, remembers every call event, provides `sample-*` sheet variables."""

    config_schema = {
        vol.Optional("greeting", default="hello", description="logged at start"): str,
        vol.Optional("crm_url", default="http://crm.invalid/", description="CRM base URL"): str,
    }

    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self.greeting = ""

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.greeting = ctid.config["greeting"]
        ctid.log.info("sample plugin says %s", self.greeting)

    @hookimpl
    def ctid_call_event_emitted(self, event: CallEvent) -> None:
        self.events.append(event)

    @hookimpl
    def ctid_register_sheet_variables(self) -> dict[str, Any]:
        return {"sample": lambda event: {"sample-caller": event.caller_num}}

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        return {"events_seen": len(self.events)}
