"""`ctid demo`: the daemon, a simulated PBX and the reference client, in one process.

The startup story: the simulated PBX listens; the demo site is made (ports, a fresh password);
the daemon starts with the demo's config.d and connects to the PBX over AMI like it would to
Asterisk; the reference client logs in as the demo user; then the PBX plays its calls and the
client shows each screen pop with what the phone book knows of the caller. SIGINT or SIGTERM
(Ctrl-C) stops the client, the daemon and the PBX in that order, and the demo exits 0.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
import time
from typing import TextIO

import gevent
import gevent.event

from ctid import logs, plugins
from ctid.client.actions import Actions
from ctid.client.commands import HELP
from ctid.client.output import Output, silence_stdout
from ctid.client.prompt import LineReader
from ctid.client.session import ClientSession, Settings
from ctid.config import ConfigError
from ctid.ctisession import cti_hub
from ctid.daemon import Daemon, StartError, load
from ctid.demo.calls import Timing
from ctid.demo.pbx import SCENES, DemoPbx, Scene
from ctid.demo.site import DIRECTORY, LOGIN, Site, make_site

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
GAP = 3.0
"""Seconds between two calls (at speed 1)."""
READY = 10.0
"""Seconds the daemon, the AMI link and the client's login may take to come up."""
LOGIN_POLL = 0.1
"""Seconds between two looks for the demo user's session."""
SETTLE = 0.5
"""Seconds left, after the last call, for its last status pushes to reach the client."""


class DemoError(Exception):
    """The demo cannot run; the message says why."""


@dataclasses.dataclass(frozen=True)
class DemoOptions:
    """`ctid demo`'s options."""

    calls: int | None = None
    """Stop after this many calls (None: until Ctrl-C)."""
    json: bool = False
    client: bool = True
    cti_port: int | None = None
    """None: 5003 when free, else any free port; 0: any free port."""
    speed: float = 1.0


def run(options: DemoOptions, stdout: TextIO | None = None) -> int:
    """Run the demo until its calls are played or SIGINT/SIGTERM; returns the exit status."""
    output = Output(stdout or sys.stdout, json_lines=options.json)
    stopping = gevent.event.Event()
    output.closed.rawlink(lambda _closed: stopping.set())  # nobody reads us any more (`| head`)
    handlers = [gevent.signal_handler(sig, stopping.set) for sig in (signal.SIGINT, signal.SIGTERM)]
    timing = Timing().faster(options.speed)
    pbx = DemoPbx(calls=options.calls, timing=timing, gap=GAP / options.speed)
    try:
        pbx.start()
        site = make_site(pbx.port, pbx.secret, options.cti_port)
        logs.configure({"level": "warning"}, foreground=True, secrets=[site.password, pbx.secret])
        daemon = _start_daemon(site, pbx)
        try:
            return _show(options, output, site=site, daemon=daemon, pbx=pbx, stopping=stopping)
        finally:
            daemon.stop()
    except DemoError as exc:
        print(f"ctid demo: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        pbx.stop()
        for handler in handlers:
            handler.cancel()
        if output.closed.is_set() and stdout is None:
            silence_stdout()


def _start_daemon(site: Site, pbx: DemoPbx) -> Daemon:
    """Start ctid on the demo site and wait until its AMI link to the PBX is synchronized."""
    try:
        daemon = Daemon(load(site.read), site.read)
    except ConfigError as error:
        problems = "; ".join(map(str, error.problems))
        raise DemoError(f"the demo's configuration is invalid: {problems}") from None
    except plugins.PluginError as exc:
        raise DemoError(str(exc)) from None
    try:
        daemon.start()
    except (StartError, plugins.PluginError, OSError) as exc:
        raise DemoError(f"cannot start ctid: {exc}") from None
    try:
        # The resync's last action: calls played before it could be mistaken for stale ones.
        pbx.fake.wait_for_action("ExtensionStateList", timeout=READY)
    except AssertionError:
        daemon.stop()
        raise DemoError("ctid did not connect to the simulated PBX") from None
    return daemon


def _show(
    options: DemoOptions,
    output: Output,
    *,
    site: Site,
    daemon: Daemon,
    pbx: DemoPbx,
    stopping: gevent.event.Event,
) -> int:
    """Wait for a client (ours, or the user's with --no-client), play the calls, wind down
    when they are played or on a signal."""
    _banner(options, output, site)
    session, runner = _client(output, site) if options.client else (None, None)
    if not options.client:
        output.emit({"demo": "waiting"}, f"waiting for a client to log in as {LOGIN}...")
    logged_in = _wait_for_login(daemon, stopping, READY if options.client else None)
    if options.client and not logged_in and not stopping.is_set():
        _stop_client(session, runner)
        raise DemoError("the demo client could not log in")
    typing = _typing(session, stopping) if session is not None and not options.json else None
    if logged_in:
        pbx.play(lambda number, scene: _announce(output, options.calls, number, scene))
        gevent.wait([stopping, pbx.finished], count=1)
        stopping.wait(SETTLE)
    if typing is not None:
        typing.kill(block=False)
    _stop_client(session, runner)
    said = f"demo stopped after {pbx.played} call(s)"
    output.emit({"demo": "stopped", "calls": pbx.played}, said)
    return EXIT_OK


def _wait_for_login(daemon: Daemon, stopping: gevent.event.Event, timeout: float | None) -> bool:
    """Whether a session of the demo user is logged in before `timeout` (None: no limit)."""
    hub = cti_hub(daemon.handles["cti"])
    deadline = None if timeout is None else time.monotonic() + timeout
    while not stopping.is_set():
        if hub is not None and hub.sessions_of(LOGIN):
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        stopping.wait(LOGIN_POLL)
    return False


def _typing(session: ClientSession, stopping: gevent.event.Event) -> gevent.Greenlet | None:
    """On a terminal, the demo's client takes commands too (`dial 1002`, `hangup`…; the
    simulated PBX answers them); `quit` or Ctrl-D ends the demo."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    reader = LineReader(sys.stdin.fileno())
    session.output.record("note", f"type a command ({HELP})", text=HELP)

    def read() -> None:
        while not session.stopping.is_set() and (line := reader.readline()) is not None:
            session.type(line)
        stopping.set()

    return gevent.spawn(read)


def _stop_client(session: ClientSession | None, runner: gevent.Greenlet | None) -> None:
    if session is None or runner is None:
        return
    session.stop()
    runner.join(timeout=2)
    runner.kill(block=False)
    if session.actions is not None:
        session.actions.stop()


def _client(output: Output, site: Site) -> tuple[ClientSession, gevent.Greenlet]:
    """The reference client, in this process, logged in as the demo user."""
    settings = Settings(host="127.0.0.1", port=site.cti_port, login=LOGIN, timeout=READY)
    session = ClientSession(settings, site.password, output, Actions(output))
    return session, gevent.spawn(session.run)


def _banner(options: DemoOptions, output: Output, site: Site) -> None:
    address = f"127.0.0.1:{site.cti_port}"
    count = f"{options.calls} call(s)" if options.calls else "on a loop until Ctrl-C"
    text = [
        "ctid demo: ctid with a simulated Asterisk, on this machine only (Ctrl-C stops it)",
        f"  CTI server   {address}",
        f"  log in as    {LOGIN}, password {site.password}",
        f"  phone book   {DIRECTORY}",
        f"  calls        {', '.join(scene.name for scene in SCENES)}, in turn, {count}",
        f"  connect      ctid-client --port {site.cti_port} --login {LOGIN}",
        f"               or the Qt client: server 127.0.0.1, port {site.cti_port}, encryption off",
    ]
    data = {
        "demo": "started",
        "cti": address,
        "login": LOGIN,
        "password": site.password,
        "directory": str(DIRECTORY),
        "calls": options.calls,
    }
    output.emit(data, "\n".join(text))


def _announce(output: Output, calls: int | None, number: int, scene: Scene) -> None:
    of = f"/{calls}" if calls else ""
    said = f"--- call {number}{of} ({scene.name}): {scene.story} ---"
    data = {"demo": "call", "number": number, "call": scene.name, "story": scene.story}
    output.emit({**data, "time": round(time.time(), 3)}, said)
