"""When sheets are rendered: off the AMI reader, in event order per channel, all of it bounded.

`ChannelQueues` gives each channel with pending events one worker greenlet from a bounded pool;
the events of a channel wait behind it in a bounded queue, so a slow provider delays only that
channel's next sheet, and the AMI reader never waits: when the pool or a queue is full, the
event is dropped with a log line.

`DialplanWaits` covers the order of XiVO's dialplan: the call enters the DID context (the
`incomingdid` event) before its `UserEvent(dialplan2cti)` attaches the `dp-` values. An
`incomingdid` sheet waits for them, at most `dialplan_wait` seconds: the wait ends at the call's
next event that carries values (or its hangup), and in any case the call model's current values
are read when it ends.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType

import gevent
import gevent.event
import gevent.pool

from ctid.callevents import CallEvent
from ctid.calls.events import RDNIS_KEY, TON_KEY

log = logging.getLogger(__name__)

_LOUD_DROPS = 10
"""Every drop is logged up to this many, then one line per 1000."""


class ChannelQueues:
    """Runs `handle(event)` in event order per channel, channels in parallel, never blocking."""

    def __init__(self, handle: Callable[[CallEvent], None], workers: int, per_channel: int) -> None:
        self._handle = handle
        self._pool = gevent.pool.Pool(workers)
        self._per_channel = per_channel
        self._queues: dict[str, collections.deque[CallEvent]] = {}
        self.dropped = 0

    def resize(self, workers: int, per_channel: int) -> None:
        """Apply new bounds; running workers finish under the old pool."""
        self._per_channel = per_channel
        if workers != self._pool.size:
            self._pool = gevent.pool.Pool(workers)

    def put(self, event: CallEvent) -> bool:
        """Queue an event behind its channel's earlier ones; False when it was dropped."""
        queue = self._queues.get(event.channel)
        if queue is not None:
            if len(queue) > self._per_channel:  # queue[0] is the one being handled
                return self._drop(event, "too many events queued for its channel")
            queue.append(event)
            return True
        if self._pool.full():
            return self._drop(event, "every sheet worker is busy")
        self._queues[event.channel] = collections.deque([event])
        self._pool.spawn(self._drain, event.channel)
        return True

    def _drain(self, channel: str) -> None:
        queue = self._queues[channel]
        try:
            while queue:
                try:
                    self._handle(queue[0])
                except Exception:
                    log.exception("sheet for %s %s failed", queue[0].where, channel)
                queue.popleft()
        finally:
            # no switch between the last check and this pop: put() never appends to a dead queue
            self._queues.pop(channel, None)

    def _drop(self, event: CallEvent, why: str) -> bool:
        self.dropped += 1
        if self.dropped <= _LOUD_DROPS or self.dropped % 1000 == 0:
            log.warning("sheet for %s %s dropped: %s", event.where, event.channel, why)
        return False

    @property
    def pending(self) -> int:
        """Events queued or being handled."""
        return sum(len(queue) for queue in self._queues.values())

    def join(self, timeout: float) -> None:
        """Wait until the workers are done (tests, stop)."""
        self._pool.join(timeout=timeout)

    def kill(self) -> None:
        """Abandon every pending sheet."""
        self._pool.kill(block=False)
        self._queues.clear()


class DialplanWaits:
    """`incomingdid` sheets waiting for their call's dialplan values, by Linkedid."""

    def __init__(self) -> None:
        self._waiting: dict[str, gevent.event.AsyncResult] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def seen(self, event: CallEvent) -> None:
        """Every call event passes here (the AMI reader): a later event of a waiting call that
        carries values, or its hangup, ends the wait."""
        waiting = self._waiting.get(event.linkedid)
        if waiting is not None and (event.dialplan or event.where == "hangup"):
            waiting.set(event.dialplan)

    def wait(
        self, event: CallEvent, timeout: float, current: Callable[[str], Mapping[str, str]]
    ) -> CallEvent:
        """The event with its call's dialplan values, waiting at most `timeout` for them.

        :param current: uniqueid → the call model's values now (`Ipbx.dialplan_of`).
        """
        values: Mapping[str, str] = event.dialplan or current(event.uniqueid)
        if not values and timeout > 0:
            waiting = self._waiting.setdefault(event.linkedid, gevent.event.AsyncResult())
            try:
                values = waiting.get(timeout=timeout) or {}
            except gevent.Timeout:
                values = {}
            finally:
                self._waiting.pop(event.linkedid, None)
            values = values or current(event.uniqueid)
        if not values or values is event.dialplan:
            return event
        return dataclasses.replace(
            event,
            dialplan=MappingProxyType(dict(values)),
            caller_rdnis=event.caller_rdnis or values.get(RDNIS_KEY, ""),
            caller_ton=event.caller_ton or values.get(TON_KEY, ""),
        )
