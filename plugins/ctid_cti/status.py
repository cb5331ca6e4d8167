"""Status pushes: what changed in the lists, sent as `getlist` messages to the tenants concerned.

Anything that may change a list (an AMI event, a login, a presence or service change, a user
refresh) marks the list dirty; one flush shortly after (coalescing bursts) rebuilds the dirty
lists and compares them with what clients were last told:
- a new object: `addconfig {list: [id]}` then `updatestatus` with its whole status;
- a changed object: `updateconfig` / `updatestatus` with only the changed keys;
- a gone object (or one that moved to another tenant): `delconfig {list: [id]}`.
Each message goes through the hub with the object's contexts, so parting applies to all of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import Ctid
from ctid_cti.lists import MODEL_LISTS, SERVED, Catalog
from ctid_cti.sessions import Hub
from ctid_cti.views import Item

log = logging.getLogger(__name__)

_MISSING = object()
_WATCHED: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("phones",), ("DeviceStateChange", "ExtensionStatus")),
    (("phones", "channels"), ("Newchannel", "Hangup", "Rename", "LocalBridge")),
    (
        ("channels",),
        (
            "Newstate",
            "NewCallerid",
            "NewConnectedLine",
            "BridgeEnter",
            "BridgeLeave",
            "Hold",
            "Unhold",
            "DialBegin",
            "DialEnd",
        ),
    ),
    (("queues", "channels"), ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon")),
    (
        ("queues", "agents", "phones"),
        (
            "QueueMemberAdded",
            "QueueMemberRemoved",
            "QueueMemberPause",
            "QueueMemberStatus",
            "QueueMemberPenalty",
            "QueueMember",
            "QueueParams",
        ),
    ),
    (
        ("agents",),
        (
            "AgentLogin",
            "AgentLogoff",
            "AgentCalled",
            "AgentConnect",
            "AgentComplete",
            "AgentRingNoAnswer",
            "AgentDump",
            "Agents",
        ),
    ),
)
EVENT_LISTS = {event: lists for lists, events in _WATCHED for event in events}
"""AMI event name → the lists it may change."""


class StatusPusher:
    """Tracks what clients were told per list and pushes the differences."""

    def __init__(self, ctid: Ctid, catalog: Catalog, hub: Hub, spawn: Callable[..., Any]) -> None:
        self.ctid = ctid
        self.catalog = catalog
        self.hub = hub
        self._spawn = spawn
        self._told: dict[str, dict[str, Item]] = {}
        self._dirty: set[str] = set()
        self._scheduled = False
        self.pushed = 0

    def prime(self) -> None:
        """Take the current lists as known (at start: nothing to push about the past)."""
        self.catalog.invalidate()
        self._told = {name: dict(self.catalog.items(name)) for name in SERVED}

    def ami_event(self, event: Mapping[str, str]) -> None:
        """An AMI event is about to reach the call model (the flush runs after it has)."""
        self.catalog.invalidate(*MODEL_LISTS)
        lists = EVENT_LISTS.get(event.get("Event", ""))
        if lists:
            self.touch(*lists)

    def touch(self, *names: str) -> None:
        """These lists may have changed: push the differences soon."""
        self.catalog.invalidate(*names)
        self._dirty.update(names)
        if not self._scheduled:
            self._scheduled = True
            self._spawn(self.flush)

    def flush(self) -> None:
        """Push what changed in every dirty list."""
        self._scheduled = False
        dirty, self._dirty = self._dirty, set()
        for name in sorted(dirty):
            try:
                fresh = dict(self.catalog.items(name))
                self._push(name, self._told.get(name, {}), fresh)
            except Exception:
                # One list failing (a bug, odd model data) must not stop the others' pushes.
                log.exception("status push of %s failed", name)
                continue
            self._told[name] = fresh

    def _push(self, name: str, old: Mapping[str, Item], new: Mapping[str, Item]) -> None:
        for key, was in old.items():
            now = new.get(key)
            if now is None or now.contexts != was.contexts:
                self._send(name, "delconfig", was, list=[key])
        for key, item in new.items():
            before = old.get(key)
            if before is None or before.contexts != item.contexts:
                self._send(name, "addconfig", item, list=[key])
                self._send(name, "updatestatus", item, tid=key, status=item.status)
                continue
            config = _changed(before.config, item.config)
            status = _changed(before.status, item.status)
            if config:
                self._send(name, "updateconfig", item, tid=key, config=config)
            if status:
                self._send(name, "updatestatus", item, tid=key, status=status)

    def _send(self, name: str, function: str, item: Item, **fields: Any) -> None:
        message = {
            "class": "getlist",
            "function": function,
            "listname": name,
            "tipbxid": self.ctid.ipbx.id,
            **fields,
        }
        self.pushed += self.hub.send(message, contexts=item.contexts)


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in new.items() if old.get(key, _MISSING) != value}
