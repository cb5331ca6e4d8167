"""The sheet engine: call events in, rendered sheets out through `ctid_sheet_rendered`.

A core hook implementation the daemon registers as `sheets`. On the AMI reader it only queues
the events some sheet is configured for (ctid.sheets.ordering); a worker then waits for the
dialplan values of an `incomingdid`, asks the variable providers once per event, resolves the
destination users, renders each configured definition, records it in the sheet state, tells the
delivery side (`ctid_sheet_rendered`) and starts the definition's server actions. A hangup
releases the channel's sheet state after its own sheets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from ctid.callevents import CallEvent
from ctid.hookspecs import PROJECT
from ctid.sheets.actions import ActionRunner
from ctid.sheets.commands import CtiSheetCommand, InfoSheetCommand
from ctid.sheets.conditions import dest_users, recipients
from ctid.sheets.model import DEST, Sheet
from ctid.sheets.ordering import ChannelQueues, DialplanWaits
from ctid.sheets.render import Definition, build_sheet, compile_book
from ctid.sheets.state import SheetState, provide_sheet_state
from ctid.sheets.variables import ProviderEntry, gather

if TYPE_CHECKING:
    from ctid.handle import Ctid
    from ctid.plugins import Hooks

log = logging.getLogger(__name__)

hookimpl = pluggy.HookimplMarker(PROJECT)

VARIABLES_HOOK = "ctid_register_sheet_variables"
LOCAL_HALVES = (";1", ";2")


def local_halves(channel: str) -> tuple[str, ...]:
    """A channel and, for half of a Local pair, the other half: one logical leg."""
    if channel.endswith(LOCAL_HALVES):
        other = channel[:-1] + ("2" if channel.endswith("1") else "1")
        return channel, other
    return (channel,)


class SheetEngine:
    """Renders the configured sheets of each call event; see the module docstring."""

    NAME = "sheets"
    """The name the daemon registers the engine under (its failures show in status there)."""

    def __init__(self, ctid: Ctid, hooks: Hooks) -> None:
        self._ctid = ctid
        self._hooks = hooks
        self.book = compile_book(ctid.settings["sheets"])
        limits = self.book.limits
        self.state = SheetState(
            ctid.users,
            channels=limits["channels"],
            notes=limits["notes"],
            note_length=limits["note_length"],
        )
        self._queues = ChannelQueues(self._handle, limits["workers"], limits["queued_per_channel"])
        self._actions = ActionRunner(
            limits["server_actions"], lambda: ctid.registry("urlauto_handlers")
        )
        self._waits = DialplanWaits()
        self._providers = self._provider_table()
        self.rendered = 0
        provide_sheet_state(ctid.users, self.state)

    def apply(self) -> None:
        """Take the current config (after a reload): definitions, forms, limits, providers."""
        self.book = compile_book(self._ctid.settings["sheets"])
        limits = self.book.limits
        self.state.configure(
            channels=limits["channels"], notes=limits["notes"], note_length=limits["note_length"]
        )
        self._queues.resize(limits["workers"], limits["queued_per_channel"])
        self._actions.resize(limits["server_actions"])
        self._providers = self._provider_table()
        log.info(
            "sheets: %d event(s) pop sheets; variable families: %s",
            len(self.book.events),
            ", ".join(sorted(entry.family for entry in self._providers)) or "none",
        )

    def stop(self, timeout: float) -> None:
        """Abandon pending sheets and actions; forget the sheet state."""
        self._queues.kill()
        self._actions.kill()
        self._ctid.shutdown(timeout)
        provide_sheet_state(self._ctid.users, None)

    def join(self, timeout: float = 5.0) -> None:
        """Wait for queued sheets and running server actions (tests)."""
        self._queues.join(timeout)
        self._actions.join(timeout)

    # --- hooks ----------------------------------------------------------------------------

    @hookimpl
    def ctid_call_event_emitted(self, event: CallEvent) -> None:
        self._waits.seen(event)
        if event.where in self.book.events or (
            event.where == "hangup" and any(map(self.state.knows, local_halves(event.channel)))
        ):
            self._queues.put(event)

    @hookimpl
    def ctid_register_info_commands(self) -> Mapping[str, Any]:
        return {"sheet": InfoSheetCommand(self, self._ctid)}

    @hookimpl
    def ctid_register_cti_commands(self) -> Mapping[str, Any]:
        return {"sheet": CtiSheetCommand(self.state, self._ctid)}

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        return {
            "rendered": self.rendered,
            "pending": self._queues.pending,
            "waiting_for_dialplan": len(self._waits),
            "dropped": self._queues.dropped,
            "tracked": len(self.state),
            "server_actions": self._actions.status(),
        }

    # --- rendering ------------------------------------------------------------------------

    def _handle(self, event: CallEvent) -> None:
        definitions = self.book.events.get(event.where, ())
        if definitions:
            self.fire(event, definitions)
        if event.where == "hangup":
            for channel in local_halves(event.channel):
                self.state.release(channel)

    def fire(self, event: CallEvent, definitions: Sequence[Definition]) -> list[Sheet]:
        """Render, record, deliver and act on each definition for one event (in this greenlet)."""
        definitions = [definition for definition in definitions if definition.takes(event)]
        if not definitions:
            return []
        if event.where == "incomingdid":
            event = self._waits.wait(event, self.book.dialplan_wait, self._ctid.ipbx.dialplan_of)
        values = gather(
            self._providers,
            event,
            self.book.variables_deadline,
            self._provider_failed,
            spawn=self._ctid.spawn,
        )
        wanted = any(definition.whom == DEST for definition in definitions)
        dest = dest_users(event, self._ctid.users, self._queue_members) if wanted else []
        sheets = []
        for definition in definitions:
            spec = recipients(
                definition.whom, definition.contexts, definition.profiles, event, dest
            )
            sheet = build_sheet(definition, event, values, spec, self._ctid.users.contexts)
            self.state.rendered(sheet)
            self._hooks.notify("ctid_sheet_rendered", sheet=sheet)
            self._actions.run(definition.server_actions, values, definition.name)
            sheets.append(sheet)
        self.rendered += len(sheets)
        return sheets

    def _provider_table(self) -> list[ProviderEntry]:
        return [
            ProviderEntry(plugin=plugin, family=str(family), provider=provider)
            for plugin, provided in self._hooks.gather(VARIABLES_HOOK)
            for family, provider in dict(provided).items()
            if callable(provider)
        ]

    def _provider_failed(self, entry: ProviderEntry, exc: Exception) -> None:
        self._hooks.charge(entry.plugin, f"sheet variables {entry.family}", exc)

    def _queue_members(self, queue: str) -> list[str]:
        return [
            member.interface
            for info in self._ctid.ipbx.model.queues()
            if info.name == queue
            for member in info.members
            if member.paused not in ("1", "true")
        ]
