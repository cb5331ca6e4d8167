"""The reverse cache: positive and negative TTLs, LRU bound, flush."""

from ctid.directory.cache import ReverseCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_found_callers_live_for_the_positive_ttl_unknown_ones_for_the_negative() -> None:
    clock = Clock()
    cache = ReverseCache(positive_ttl=300, negative_ttl=60, max_entries=10, clock=clock)
    cache.put("+33612345678", {"dbr-display": "Zoé"})
    cache.put("+33700000000", None)
    assert cache.get("+33612345678") == (True, {"dbr-display": "Zoé"})
    assert cache.get("+33700000000") == (True, None)
    clock.now += 61
    assert cache.get("+33700000000") == (False, None)
    assert cache.get("+33612345678")[0]
    clock.now += 240
    assert cache.get("+33612345678") == (False, None)
    assert cache.stats() == {"entries": 0, "hits": 3, "misses": 2}


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache = ReverseCache(positive_ttl=300, negative_ttl=60, max_entries=2)
    cache.put("a", None)
    cache.put("b", None)
    cache.get("a")
    cache.put("c", None)
    assert [cache.get(key)[0] for key in ("a", "b", "c")] == [True, False, True]


def test_zero_ttl_or_size_caches_nothing_and_flush_forgets() -> None:
    assert len(_filled(ReverseCache(0, 0, 10))) == 0
    assert len(_filled(ReverseCache(300, 60, 0))) == 0
    cache = _filled(ReverseCache(300, 60, 10))
    assert len(cache) == 2
    cache.flush()
    assert len(cache) == 0


def _filled(cache: ReverseCache) -> ReverseCache:
    cache.put("a", {"x": "y"})
    cache.put("b", None)
    return cache
