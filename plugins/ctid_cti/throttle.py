"""Failed-login throttling: at most N failures per key (address, login) in a sliding window.

Pure and bounded: each key keeps at most N timestamps, and at most `capacity` keys are kept
(the least recently touched is forgotten first). A key is blocked while it has N failures
younger than the window; it unblocks as they age out. Blocking is by the login *asked for*,
whether or not it exists, so the throttle itself reveals nothing about accounts.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Hashable


class Throttle:
    """Counts failures per key; `blocked` says whether a key has used up its window."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self._clock = clock
        self._failures: collections.OrderedDict[Hashable, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._failures)

    def blocked(self, *keys: Hashable) -> bool:
        """Whether any of `keys` has `limit` failures within the window."""
        now = self._clock()
        return any(self._recent(key, now) >= self.limit for key in keys)

    def failed(self, *keys: Hashable) -> None:
        """Count one failure against each key."""
        now = self._clock()
        for key in keys:
            stamps = self._failures.get(key)
            if stamps is None:
                stamps = self._failures[key] = collections.deque(maxlen=self.limit)
            stamps.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        """Clear a key (a login that just succeeded)."""
        self._failures.pop(key, None)

    def _recent(self, key: Hashable, now: float) -> int:
        stamps = self._failures.get(key)
        if stamps is None:
            return 0
        while stamps and now - stamps[0] >= self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
            return 0
        return len(stamps)
