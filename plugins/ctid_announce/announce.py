"""Announce notices: a UDP datagram saying Asterisk restarted or reloaded its dialplan.

XiVO's Asterisk sent `asterisk-1.4` to UDP 5006. Any short datagram from an allowed source counts;
a burst of them (a reload sends several) is coalesced into one refresh after `delay`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence

import gevent

log = logging.getLogger(__name__)

MAX_DATAGRAM = 512


class Announcer:
    """Turns allowed datagrams into at most one pending refresh at a time."""

    def __init__(
        self, refresh: Callable[[], object], *, delay: float, allowed: Sequence[str]
    ) -> None:
        self.refresh = refresh
        self.delay = delay
        self.allowed = [ipaddress.ip_network(item, strict=False) for item in allowed]
        self.received = 0
        self.dropped = 0
        self.refreshes = 0
        self._pending: gevent.Greenlet | None = None

    def datagram(self, data: bytes, source: str) -> bool:
        """Handle one datagram; True when it was accepted (a refresh is or was scheduled)."""
        if not self._allowed(source) or len(data) > MAX_DATAGRAM:
            self.dropped += 1
            if self.dropped <= 5 or self.dropped % 1000 == 0:
                log.warning(
                    "announce: dropped a datagram from %s (%d dropped so far)", source, self.dropped
                )
            return False
        self.received += 1
        log.info("announce from %s: %r", source, data[:64])
        if self._pending is None or self._pending.dead:
            self._pending = gevent.spawn_later(self.delay, self._fire)
        return True

    def cancel(self) -> None:
        """Forget a scheduled refresh (plugin stopping)."""
        if self._pending is not None:
            self._pending.kill(block=False)

    def _fire(self) -> None:
        self.refreshes += 1
        self.refresh()

    def _allowed(self, source: str) -> bool:
        try:
            address = ipaddress.ip_address(source)
        except ValueError:
            return False
        return any(address in network for network in self.allowed)
