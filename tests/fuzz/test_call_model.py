"""Fuzzing the call model: random sequences of the AMI events it knows, with random fields. It
never raises (nor logs a swallowed error), its state stays bounded, and a resync empties it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given
from hypothesis import strategies as st

from ctid.calls import CallModel
from ctid.testing.strategies import call_events, call_fields, fuzz_settings
from ctid.testing.wire import ErrorRecords


@contextmanager
def no_errors_logged() -> Iterator[None]:
    # feed() logs and swallows a handler's exception: an error record is the failure.
    handler = ErrorRecords()
    logger = logging.getLogger("ctid.calls")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage() for record in handler.records] == []


@fuzz_settings(300)
@given(
    events=st.lists(call_events(), max_size=40),
    listed=st.lists(call_fields(max_size=10), max_size=4),
    max_calls=st.integers(min_value=1, max_value=5),
)
def test_garbage_never_raises_stays_bounded_and_resync_leaves_no_ghost(
    events: list[dict[str, str]], listed: list[dict[str, str]], max_calls: int
) -> None:
    model = CallModel(
        ipbx_id="xivo",
        incoming_contexts={"default"},
        outgoing_contexts={"ctx"},
        custom_events={"Pop"},
        max_calls=max_calls,
    )
    with no_errors_logged():
        told = []
        for ami in events:
            told += model.feed(ami)
            sizes = model.sizes()
            assert sizes["calls"] <= max_calls
            # Nothing is created from nothing: at most one channel and bridge per event.
            assert sizes["channels"] <= len(events) * 2
            assert sizes["bridges"] <= len(events)
        model.channels(), model.queues(), model.agents(), model.phones()
        model.begin_resync()
        told += model.end_resync(listed)
        told += model.end_resync([])
    assert [e.sequence for e in told] == list(range(1, len(told) + 1))
    assert model.sizes() == {"channels": 0, "calls": 0, "bridges": 0, "names": 0}
    assert all(queue.callers == () for queue in model.queues())
