"""The reverse-lookup cache: answers by normalized number, found callers and unknown ones alike.

Unknown callers are remembered too (a shorter TTL), so that a caller missing from every directory
does not cost a directory round trip on each of their calls. The cache is bounded (least recently
used entries go first) and flushed whenever the configuration is reloaded.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Hashable, Mapping

Answer = Mapping[str, str] | None
"""A reverse-lookup answer: the caller's fields, or None for "in no directory"."""


class ReverseCache:
    """A bounded LRU of answers, each with its own expiry."""

    def __init__(
        self,
        positive_ttl: float,
        negative_ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.positive_ttl = positive_ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: collections.OrderedDict[Hashable, tuple[float, Answer]] = (
            collections.OrderedDict()
        )
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[bool, Answer]:
        """(True, answer) when a live answer is cached, (False, None) otherwise."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return False, None
        self._entries.move_to_end(key)
        self.hits += 1
        return True, entry[1]

    def put(self, key: Hashable, answer: Answer) -> None:
        """Remember an answer; the oldest entries go when the cache is full."""
        ttl = self.positive_ttl if answer is not None else self.negative_ttl
        if ttl <= 0 or self.max_entries <= 0:
            return
        self._entries[key] = (self._clock() + ttl, answer)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def flush(self) -> None:
        """Forget everything (the configuration changed)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        """Entries, hits and misses, for status."""
        return {"entries": len(self._entries), "hits": self.hits, "misses": self.misses}
