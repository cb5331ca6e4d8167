"""Status pushes: what changed in the lists, sent as `getlist` messages to the tenants concerned.

Anything that may change a list (an AMI event, a login, a presence or service change, a user
refresh) marks the list dirty; one flush shortly after rebuilds the dirty lists and compares
them with what clients were last told. Flushes are at least `push_interval` apart, so a burst
of changes becomes one push (and one write per client) rather than one per AMI event; after a
push that took long (thousands of clients), the pause is twice as long, so pushes never take
more than a third of the daemon's time:
- a new object: `addconfig {list: [id]}` then `updatestatus` with its whole status;
- a changed object: `updateconfig` / `updatestatus` with only the changed keys;
- a gone object (or one that moved to another tenant): `delconfig {list: [id]}`.
Each message goes through the hub with the object's contexts, so parting applies to all of it;
the messages of one flush go as one batch, each client getting its share in one write.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import gevent
import gevent.lock

from ctid.api import Ctid
from ctid_cti.lists import MODEL_LISTS, SERVED, Catalog
from ctid_cti.sessions import Hub
from ctid_cti.views import Item

log = logging.getLogger(__name__)

_MISSING = object()
YIELD_EVERY = 64
"""Writes of a push between two waits for an idle loop (a millisecond or two of sends)."""
SLICE = 0.005
"""Seconds of list building after which a push waits for an idle loop before the next list."""
_WATCHED: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("phones",), ("DeviceStateChange", "ExtensionStatus")),
    # CoreShowChannel: a resync's list item, the only news of a channel that started while
    # the AMI link was down.
    (
        ("phones", "channels"),
        ("Newchannel", "Hangup", "Rename", "LocalBridge", "CoreShowChannel"),
    ),
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

    def __init__(
        self,
        ctid: Ctid,
        catalog: Catalog,
        hub: Hub,
        spawn: Callable[..., Any],
        *,
        interval: Callable[[], float] = lambda: 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctid = ctid
        self.catalog = catalog
        self.hub = hub
        self._spawn = spawn
        self._told: dict[str, dict[str, Item]] = {}
        self._dirty: set[str] = set()
        self._scheduled = False
        self._interval = interval
        self._clock = clock
        self._next = -math.inf
        """The earliest time of the next flush."""
        self._flushing = gevent.lock.Semaphore()
        self._batch: list[tuple[dict[str, Any], frozenset[str]]] = []
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
            self._spawn(self._flush_soon)

    def _flush_soon(self) -> None:
        # At most one push per interval: a burst of changes (a busy call centre, a login storm)
        # costs one rebuild and one write per client per interval, not one per AMI event.
        with self._flushing:  # a push yields while it writes: the next one waits for it
            wait = self._next - self._clock()
            if wait > 0:
                gevent.sleep(wait)
            self.flush()

    @property
    def delay(self) -> float:
        """Seconds before a change now would be pushed (0: at once)."""
        return max(0.0, self._next - self._clock())

    def flush(self) -> None:
        """Push what changed in every dirty list, as one batch through the hub."""
        self._scheduled = False
        started = self._clock()
        dirty, self._dirty = self._dirty, set()
        resumed = started
        for name in sorted(dirty):
            if self._clock() - resumed > SLICE:
                # Thousands of users make each list a few ms of work: what waits (the AMI
                # reader, sheets) goes first, once the loop has polled sockets and timers.
                gevent.idle()
                resumed = self._clock()
            kept = len(self._batch)
            try:
                fresh = dict(self.catalog.items(name))
                self._push(name, self._told.get(name, {}), fresh)
            except Exception:
                # One list failing (a bug, odd model data) must not stop the others' pushes;
                # its half-made messages are dropped, and the next push diffs it again.
                log.exception("status push of %s failed", name)
                del self._batch[kept:]
                continue
            self._told[name] = fresh
        batch, self._batch = self._batch, []
        if batch:
            self.pushed += self.hub.send_batch(batch, yield_every=YIELD_EVERY)
        ended, interval = self._clock(), self._interval()
        if interval > 0:  # 0: every change at once, however long pushes take
            self._next = max(started + interval, ended + 2 * (ended - started))

    def _push(self, name: str, old: Mapping[str, Item], new: Mapping[str, Item]) -> None:
        for key, was in old.items():
            now = new.get(key)
            if now is None or now.contexts != was.contexts:
                self._send(name, "delconfig", was, list=[key])
        for key, item in new.items():
            before = old.get(key)
            if before is item:  # rebuilt from the same facts (views.phones): nothing to tell
                continue
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
        self._batch.append((message, item.contexts))


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in new.items() if old.get(key, _MISSING) != value}
