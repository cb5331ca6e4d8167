"""Failed-login throttling on a fake clock: limits, sliding window, bounded memory."""

from ctid_cti.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_blocked_after_the_limit_until_failures_age_out() -> None:
    clock = Clock()
    throttle = Throttle(limit=3, window=60, capacity=100, clock=clock)
    for _ in range(2):
        throttle.failed("1.2.3.4")
        assert not throttle.blocked("1.2.3.4")
    throttle.failed("1.2.3.4")
    assert throttle.blocked("1.2.3.4")
    assert throttle.blocked("someone else", "1.2.3.4")
    clock.now += 59.9
    assert throttle.blocked("1.2.3.4")
    clock.now += 0.1
    assert not throttle.blocked("1.2.3.4")
    assert len(throttle) == 0


def test_the_window_slides_failure_by_failure() -> None:
    clock = Clock()
    throttle = Throttle(limit=2, window=10, capacity=100, clock=clock)
    throttle.failed("k")
    clock.now += 6
    throttle.failed("k")
    assert throttle.blocked("k")
    clock.now += 5  # the first failure is 11 s old, the second 5 s
    assert not throttle.blocked("k")


def test_forget_clears_a_key_and_memory_stays_bounded() -> None:
    throttle = Throttle(limit=2, window=60, capacity=10, clock=Clock())
    throttle.failed("login")
    throttle.failed("login")
    throttle.forget("login")
    assert not throttle.blocked("login")
    for n in range(1000):
        throttle.failed(("address", f"10.0.{n // 256}.{n % 256}"))
    assert len(throttle) == 10
