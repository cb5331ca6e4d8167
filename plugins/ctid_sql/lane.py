"""A lane: one native thread (a gevent threadpool of one) that runs one engine's calls in turn.

Database drivers are C code that blocks (sqlite3, libpq when not green): run in a greenlet they
would stall AMI and every client. Each call therefore runs in a thread of gevent's threadpool
while the calling greenlet waits cooperatively (and can give up at its deadline). Confining an
engine to a single thread keeps SQLAlchemy's pool and its locks, which gevent has patched, out of
cross-thread contention; a source has one lane for reverse lookups and one for searches, so a slow
search never delays a caller's name. Calls queue in front of a lane up to a bound, after which
they fail at once; a call whose caller has already given up is skipped, not run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import gevent.threadpool

T = TypeVar("T")


class LaneBusy(Exception):
    """Too many calls already wait for this database: fail fast rather than queue forever."""


class Expired(Exception):
    """The call waited in the queue past its caller's deadline and was not run."""


class Lane:
    """Calls run one at a time on one native thread, with a bounded queue."""

    def __init__(self, name: str, queue: int) -> None:
        self.name = name
        self.queue = queue
        self.waiting = 0
        self._pool = gevent.threadpool.ThreadPool(1)

    def run(self, function: Callable[[], T], deadline: float) -> T:
        """Run `function` on the lane's thread; the calling greenlet waits cooperatively.

        :param deadline: `time.monotonic()` after which the call is not worth starting.
        :raises LaneBusy: when `queue` calls already wait.
        """
        if self.waiting >= self.queue:
            raise LaneBusy(f"{self.waiting} calls already wait for the {self.name} lane")
        self.waiting += 1
        result = self._pool.spawn(_unless_expired, function, deadline)
        result.rawlink(self._finished)
        outcome: T | Exception = result.get()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _finished(self, _result: Any) -> None:
        self.waiting -= 1

    def close(self, last: Callable[[], object], wait: float) -> None:
        """Run `last` (release the engine) after the calls in progress, waiting for it at most
        `wait` seconds (a call stuck on a dead database must not hold a reload), then let the
        thread end."""
        # wait() neither raises the call's error nor a timeout: closing goes on regardless.
        self._pool.spawn(last).wait(timeout=wait)
        self._pool.kill()


def _unless_expired(function: Callable[[], T], deadline: float) -> T | Exception:
    # Errors are returned, not raised: gevent prints what a pool thread raises on stderr,
    # past the log's formatter (and its secret masking), once per failed query.
    if time.monotonic() > deadline:
        return Expired("the caller gave up before the call could start")
    try:
        return function()
    except Exception as exc:  # a database driver's error: the calling greenlet raises it
        return exc
