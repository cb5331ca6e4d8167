"""Server-side urlauto actions: the webhooks an operator attaches to a sheet, run by ctid itself.

Each action runs in a bounded pool under its timeout (plus a short grace for the handler to
clean up, e.g. kill a process); past the pool's size, an action is dropped with a log line.
Actions fail open: a refused, slow or failing target is logged and counted, never retried, and
never delays a sheet. Logs name the action's template, not the substituted string, so caller
data stays out of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gevent
import gevent.pool

from ctid.sheets.render import ServerAction
from ctid.sheets.urlauto import UrlautoRequest, scheme_of
from ctid.sheets.variables import Values

log = logging.getLogger(__name__)

GRACE = 1.0
"""Seconds a handler gets past an action's timeout before it is abandoned."""

Handlers = Callable[[], Mapping[str, Any]]


class ActionRunner:
    """Runs server actions, at most `size` at once."""

    def __init__(self, size: int, handlers: Handlers) -> None:
        self._pool = gevent.pool.Pool(size)
        self._handlers = handlers
        self.done = 0
        self.failed = 0
        self.dropped = 0

    def resize(self, size: int) -> None:
        """Apply a new limit to the actions started from now on."""
        if size != self._pool.size:
            self._pool = gevent.pool.Pool(size)

    def run(self, actions: Sequence[ServerAction], values: Values, sheet: str) -> None:
        """Start every action of a sheet (never blocks)."""
        for action in actions:
            if self._pool.full():
                self.dropped += 1
                log.warning(
                    "sheet %s: server action %s dropped: too many running", sheet, action.urlauto
                )
                continue
            self._pool.spawn(self._run_one, action, values, sheet)

    def _run_one(self, action: ServerAction, values: Values, sheet: str) -> None:
        scheme = scheme_of(action.urlauto)
        handler = self._handlers().get(scheme)
        if handler is None:
            self.failed += 1
            log.warning("sheet %s: no urlauto handler for %s (is urlauto enabled?)", sheet, scheme)
            return
        request = UrlautoRequest(
            urlauto=action.urlauto,
            values=values,
            method=action.method,
            timeout=action.timeout,
            allow_exec=action.allow_exec,
        )
        try:
            with gevent.Timeout(action.timeout + GRACE):
                handler(request)
        except (Exception, gevent.Timeout) as exc:  # a handler is plugin code; fail open
            self.failed += 1
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            log.warning("sheet %s: server action %s failed: %s", sheet, action.urlauto, why)
        else:
            self.done += 1

    def join(self, timeout: float) -> None:
        """Wait for the running actions (tests, stop)."""
        self._pool.join(timeout=timeout)

    def kill(self) -> None:
        """Abandon every running action."""
        self._pool.kill(block=False)

    def status(self) -> dict[str, int]:
        """Counters for the status summary."""
        return {
            "running": len(self._pool),
            "done": self.done,
            "failed": self.failed,
            "dropped": self.dropped,
        }
