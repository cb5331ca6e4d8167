"""The client's urlauto actions (a sheet's `action_info` lines), run through the handler plugins.

The handlers are the ones the daemon uses for its server-side actions: whatever installed plugin
answers `ctid_register_urlauto_handlers` (the bundled `urlauto` plugin: http and https GET the
URL, tcp and udp send the query string, exec runs a command line without a shell). They are
found the way the daemon finds plugins, through the `ctid.plugins` entry points and a plugin
manager, once, on the first action (a client that never gets one loads nothing).

The server has substituted the values already (escaped for the component they land in), so a
request carries `values=None`. A command line runs only when the user started the client with
`--allow-exec`: it is refused here before any handler sees it, and the exec handler refuses it
again on its own.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping

import gevent
import gevent.pool

from ctid import plugins
from ctid.client.output import Output
from ctid.client.render import clean
from ctid.sheets.urlauto import EXEC, UrlautoError, UrlautoHandler, UrlautoRequest, scheme_of

log = logging.getLogger(__name__)

HOOK = "ctid_register_urlauto_handlers"
RUNNING = 4
"""Actions running at once; more are dropped (a flood of sheets must not fork a flood)."""


@dataclasses.dataclass(frozen=True)
class ActionResult:
    """What happened to one action: `ok`, `refused`, `failed` or `dropped`, and why."""

    urlauto: str
    status: str
    detail: str = ""


def load_handlers() -> dict[str, UrlautoHandler]:
    """Every installed plugin's urlauto handlers, by scheme (through a plugin manager)."""
    found = plugins.discover()
    objects, errors = plugins.load(sorted(found))
    for name, error in errors.items():
        log.debug("plugin %s not loaded for urlauto: %s", name, error)
    hooks = plugins.Hooks()
    for name, obj in objects.items():
        try:
            hooks.register(name, obj)
        except plugins.PluginError as exc:
            log.debug("plugin %s not registered for urlauto: %s", name, exc)
    return hooks.registry(HOOK)


class Actions:
    """Runs a sheet's urlauto lines beside the session, bounded, reporting each outcome."""

    def __init__(
        self,
        output: Output,
        *,
        allow_exec: bool = False,
        timeout: float = 5.0,
        handlers: Callable[[], Mapping[str, UrlautoHandler]] = load_handlers,
    ) -> None:
        self.output = output
        self.allow_exec = allow_exec
        self.timeout = timeout
        self._load = handlers
        self._handlers: Mapping[str, UrlautoHandler] | None = None
        self._pool = gevent.pool.Pool(RUNNING)

    def handlers(self) -> Mapping[str, UrlautoHandler]:
        if self._handlers is None:
            try:
                self._handlers = dict(self._load())
            except plugins.PluginError as exc:
                log.warning("urlauto handlers unavailable: %s", exc)
                self._handlers = {}
        return self._handlers

    def start(self, urlauto: str) -> None:
        """Run one action in the background (its outcome goes to `report`)."""
        if self._pool.full():
            self.report(ActionResult(urlauto, "dropped", f"{RUNNING} actions already running"))
            return
        self._pool.spawn(lambda: self.report(self.run(urlauto)))

    def report(self, result: ActionResult) -> None:
        """Tell how an action went."""
        text = f"action {clean(result.urlauto)}: {result.status}"
        self.output.record(
            "action",
            f"{text} ({clean(result.detail)})" if result.detail else text,
            urlauto=result.urlauto,
            status=result.status,
            detail=result.detail,
        )

    def run(self, urlauto: str) -> ActionResult:
        """Run one action now and tell what happened (never raises)."""
        text = urlauto.strip()
        if not text:
            return ActionResult(urlauto, "refused", "empty action")
        scheme = scheme_of(text)
        if scheme == EXEC and not self.allow_exec:
            return ActionResult(urlauto, "refused", "running commands needs --allow-exec")
        handler = self.handlers().get(scheme)
        if handler is None:
            return ActionResult(urlauto, "refused", f"no urlauto handler for {scheme}")
        request = UrlautoRequest(
            urlauto=text, values=None, timeout=self.timeout, allow_exec=self.allow_exec
        )
        try:
            with gevent.Timeout(self.timeout + 1, UrlautoError("timed out")):
                handler(request)
        except UrlautoError as exc:
            return ActionResult(urlauto, "failed", str(exc))
        except Exception as exc:  # a handler is plugin code: report, never crash the client
            log.debug("urlauto handler for %s raised", scheme, exc_info=exc)
            return ActionResult(urlauto, "failed", f"{type(exc).__name__}: {exc}")
        return ActionResult(urlauto, "ok")

    def wait(self, timeout: float) -> bool:
        """Wait until no action runs; False if some still do after `timeout` seconds."""
        return bool(self._pool.join(timeout=timeout))

    def stop(self) -> None:
        """Cut the actions still running (the client is leaving)."""
        self._pool.kill(block=True, timeout=1)
