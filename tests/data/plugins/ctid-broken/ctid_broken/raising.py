"""A plugin that loads fine and then raises in every hook it implements."""

from __future__ import annotations

from typing import Any

from ctid.api import CallEvent, hookimpl


class RaisingPlugin:
    """Raises at run time; must be isolated from the other plugins."""

    @hookimpl
    def ctid_call_event_emitted(self, event: CallEvent) -> None:
        raise RuntimeError(f"broken on purpose ({event.where})")

    @hookimpl
    def ctid_ami_event_received(self, event: Any) -> None:
        raise RuntimeError("broken on purpose")

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        raise RuntimeError("broken on purpose")
