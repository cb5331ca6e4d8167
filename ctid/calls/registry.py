"""The live channels and calls: creation, snapshot updates, Linkedid moves, Local pairs, removal.

No call events are made here; the model decides what each AMI event means. A channel unknown
to the registry is created from any snapshot that names it (ctid may connect in the middle of a
call), and a call exists exactly as long as one of its channels does. `max_calls` bounds the
number of calls: past it the oldest call is dropped, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from ctid.calls.channels import PLAIN, Call, Channel, SnapshotKeys

log = logging.getLogger(__name__)

_PAIR_SUFFIXES = {";1": ";2", ";2": ";1"}


class Registry:
    """Channels by Uniqueid, calls by Linkedid, Uniqueids by channel name."""

    def __init__(self, max_calls: int, release: Callable[[Channel], None]) -> None:
        """`release` is called for every channel dropped to respect `max_calls`."""
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, Call] = {}
        self._names: dict[str, str] = {}
        self._max_calls = max(1, max_calls)
        self._release = release
        self._seen: set[str] | None = None

    def __len__(self) -> int:
        return len(self.channels)

    @property
    def names(self) -> int:
        """How many channel names are indexed (for the bounded-state checks)."""
        return len(self._names)

    def touch(self, event: Mapping[str, str], keys: SnapshotKeys = PLAIN) -> Channel | None:
        """The channel a snapshot describes, with every field updated (created if unknown)."""
        channel = self.seen(event, keys)
        if channel is not None:
            channel.update(event, keys)
        return channel

    def seen(self, event: Mapping[str, str], keys: SnapshotKeys = PLAIN) -> Channel | None:
        """The channel a snapshot describes, its Linkedid checked (created if unknown).

        The light path, for the many events whose other fields the model does not need.
        """
        uniqueid = event.get(keys.uniqueid)
        if not uniqueid:
            return None
        channel = self.channels.get(uniqueid)
        if channel is None:
            return self._adopt(event, keys, uniqueid)
        if self._seen is not None:
            self._seen.add(uniqueid)
        linkedid = event.get(keys.linkedid)
        if linkedid and linkedid != channel.call.linkedid:
            self._rehome(channel, linkedid)
        return channel

    def known(self, event: Mapping[str, str], keys: SnapshotKeys = PLAIN) -> Channel | None:
        """Like `touch`, for a channel already known; None for an unknown one."""
        if event.get(keys.uniqueid, "") not in self.channels:
            return None
        return self.touch(event, keys)

    def _adopt(self, event: Mapping[str, str], keys: SnapshotKeys, uniqueid: str) -> Channel | None:
        name = event.get(keys.channel)
        if not name:
            return None
        call = self._call_for(event.get(keys.linkedid) or uniqueid)
        channel = Channel(uniqueid, name, call)
        channel.rename(name)
        call.channels[uniqueid] = channel
        self.channels[uniqueid] = channel
        self._names[name] = uniqueid
        if self._seen is not None:
            self._seen.add(uniqueid)
        channel.update(event, keys)
        self._pair_by_name(channel)
        return channel

    def _call_for(self, linkedid: str) -> Call:
        call = self.calls.get(linkedid)
        if call is None:
            while len(self.calls) >= self._max_calls:
                self._evict(next(iter(self.calls.values())))
            call = self.calls[linkedid] = Call(linkedid)
        return call

    def _evict(self, call: Call) -> None:
        log.warning(
            "more than %d calls: dropping the oldest one, %s (%d channels)",
            self._max_calls,
            call.linkedid,
            len(call.channels),
        )
        for channel in list(call.channels.values()):
            self._release(channel)
            self.forget(channel)
        if self.calls.get(call.linkedid) is call:
            del self.calls[call.linkedid]

    def _rehome(self, channel: Channel, linkedid: str) -> None:
        # A transfer or bridge merge rewrote this channel's Linkedid: it now belongs to the
        # older call. Leave the old call first, so that evicting for room cannot drop it.
        log.debug("channel %s moves from call %s to %s", channel.name, channel.linkedid, linkedid)
        self._detach(channel)
        call = self._call_for(linkedid)
        call.channels[channel.uniqueid] = channel
        channel.call = call
        call.add_context(channel.context)

    def _detach(self, channel: Channel) -> None:
        call = channel.call
        call.channels.pop(channel.uniqueid, None)
        if not call.channels and self.calls.get(call.linkedid) is call:
            del self.calls[call.linkedid]

    def _pair_by_name(self, channel: Channel) -> None:
        # `Local/x@ctx-00000001;1` and `;2` are one logical leg, even before LocalBridge says so.
        if not channel.is_local:
            return
        other = _PAIR_SUFFIXES.get(channel.name[-2:])
        if other is not None:
            partner = self.channels.get(self._names.get(channel.name[:-2] + other, ""))
            if partner is not None:
                self.pair(channel, partner)

    def pair(self, one: Channel, two: Channel) -> None:
        """Join the two halves of a Local channel into one logical leg."""
        if one is not two:
            one.partner = two.uniqueid
            two.partner = one.uniqueid

    def rename(self, uniqueid: str, name: str) -> None:
        """Rename: the channel keeps its Uniqueid and takes a new name."""
        channel = self.channels.get(uniqueid)
        if channel is None or not name:
            return
        if self._names.get(channel.name) == uniqueid:
            del self._names[channel.name]
        channel.rename(name)
        self._names[name] = uniqueid

    def forget(self, channel: Channel) -> None:
        """Remove a channel, and its call with its last channel."""
        uniqueid = channel.uniqueid
        self.channels.pop(uniqueid, None)
        if self._names.get(channel.name) == uniqueid:
            del self._names[channel.name]
        self._detach(channel)

    def watch(self) -> None:
        """Start noting every channel an event touches (a resync is running)."""
        self._seen = set()

    def unwatch(self) -> set[str]:
        """Stop noting; the Uniqueids touched since `watch()`."""
        seen, self._seen = self._seen or set(), None
        return seen
