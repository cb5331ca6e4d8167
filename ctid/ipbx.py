"""The Asterisk as the core sees it: its link state, its call model, and the one action API.

The AMI plugin is the transport: it attaches itself, feeds events in, and answers actions. Every
other plugin sends actions through `Ipbx.send_action` (architecture §9: one request/reply API with
a deadline, that a bus could carry later) and never talks to AMI directly.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ctid.calls import CallModel
from ctid.plugins import Hooks

log = logging.getLogger(__name__)


class IpbxUnavailable(Exception):
    """No AMI link: the action was not sent."""


class ActionTimeout(Exception):
    """The action was sent but no response came within its deadline."""


@dataclasses.dataclass(frozen=True)
class ActionResult:
    """An AMI action's outcome: the response, and the events or output lines that belong to it."""

    response: str
    """`Success`, `Error`, `Follows` or `Goodbye`."""
    fields: Mapping[str, str]
    """The response's own fields (Message, ActionID, …)."""
    events: Sequence[Mapping[str, str]] = ()
    """The list items of an `EventList: start … Complete` response, without the closing event."""
    output: Sequence[str] = ()
    """Command output lines (`Output:` in Asterisk 14+, the body of `Response: Follows` before)."""

    @property
    def ok(self) -> bool:
        """Whether Asterisk accepted the action."""
        return self.response in ("Success", "Follows", "Goodbye")

    @property
    def message(self) -> str:
        """Asterisk's `Message:` text."""
        return self.fields.get("Message", "")


class ActionTransport(Protocol):
    """What carries actions to Asterisk (the AMI client)."""

    def send_action(
        self, action: str, fields: Mapping[str, str | Sequence[str]], timeout: float
    ) -> ActionResult:
        """Send an action and wait for its whole result; raise ActionTimeout past `timeout`."""


class LinkOwner(Protocol):
    """Who keeps the link up (the AMI client): asked to refresh when Asterisk restarts."""

    def refresh(self) -> None:
        """Reconnect now if the link is down, else resync the call model."""


class Ipbx:
    """One Asterisk: link state, call model, and the action API plugins use."""

    def __init__(self, ipbx_id: str, hooks: Hooks, model: CallModel) -> None:
        self.id = ipbx_id
        self.model = model
        self.link = "down"
        self.link_detail = ""
        """Why the link is in its state (the Asterisk banner when up, the error when not)."""
        self.version = ""
        self._hooks = hooks
        self._transport: ActionTransport | None = None
        self._owner: LinkOwner | None = None

    @property
    def connected(self) -> bool:
        """Whether an AMI link is up and logged in."""
        return self._transport is not None and self.link == "up"

    def own(self, owner: LinkOwner | None) -> None:
        """Name the component that keeps the link up (None when it stops)."""
        self._owner = owner

    def refresh(self) -> bool:
        """Asterisk restarted or reloaded (announce port, webi): reconnect or resync now.

        :returns: False when no component owns the link (no AMI plugin).
        """
        if self._owner is None:
            return False
        self._owner.refresh()
        return True

    def attach(self, transport: ActionTransport, version: str) -> None:
        """The AMI link is up and logged in: actions go through `transport` from now on."""
        self._transport, self.version = transport, version
        self._set_link("up", f"Asterisk Call Manager {version}")

    def detach(self, state: str, detail: str) -> None:
        """The AMI link is gone (`down`) or was refused (`auth_failed`)."""
        self._transport = None
        self._set_link(state, detail)

    def send_action(
        self,
        action: str,
        fields: Mapping[str, str | Sequence[str]] | None = None,
        *,
        timeout: float = 5.0,
    ) -> ActionResult:
        """Send an AMI action and wait for its result.

        :raises IpbxUnavailable: no AMI link.
        :raises ActionTimeout: no answer within `timeout` seconds.
        """
        transport = self._transport
        if transport is None:
            raise IpbxUnavailable(f"no AMI link to {self.id}")
        return transport.send_action(action, dict(fields or {}), timeout)

    def ingest(self, event: Mapping[str, str]) -> None:
        """Hand one AMI event to the hooks and the call model (the AMI reader's hot path)."""
        hooks = self._hooks
        hooks.notify("ctid_ami_event_received", ipbx_id=self.id, event=event)
        for call_event in self.model.feed(event):
            hooks.notify("ctid_call_event_emitted", event=call_event)

    def begin_resync(self) -> None:
        """A (re)connect's channel list is about to be read."""
        self.model.begin_resync()

    def end_resync(self, channels: Sequence[Mapping[str, str]]) -> None:
        """Reconcile the call model with Asterisk's live channels; emit the missed hangups.

        Each listed channel (a `CoreShowChannel` item) is an AMI event like the items of the
        other resync lists: plugins see it first, so that a channel that started while AMI
        was away, and will get no event of its own, still reaches the clients that show it.
        """
        for item in channels:
            self._hooks.notify("ctid_ami_event_received", ipbx_id=self.id, event=item)
        for call_event in self.model.end_resync(channels):
            self._hooks.notify("ctid_call_event_emitted", event=call_event)

    def dialplan_of(self, uniqueid: str) -> Mapping[str, str]:
        """The dp- values (dialplan2cti) of the call a channel belongs to; {} when unknown."""
        channel = self.model.get_channel(uniqueid)
        call = self.model.get_call(channel.linkedid) if channel is not None else None
        return dict(call.dialplan) if call is not None else {}

    def status(self) -> dict[str, Any]:
        """Link and model summary for status and the info console."""
        sizes = self.model.sizes()
        return {
            "id": self.id,
            "link": self.link,
            "detail": self.link_detail,
            "version": self.version,
            "channels": sizes["channels"],
            "calls": sizes["calls"],
            "bridges": sizes["bridges"],
        }

    def _set_link(self, state: str, detail: str) -> None:
        if state != self.link:
            log.info("AMI link to %s is %s (%s)", self.id, state, detail)
        self.link, self.link_detail = state, detail
        self._hooks.notify("ctid_ami_link_changed", ipbx_id=self.id, state=state, detail=detail)
