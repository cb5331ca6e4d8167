"""The demo's simulated PBX: the fake Asterisk of `ctid.testing`, on loopback, playing the demo's
calls in turn (a DID call, an internal call, a queue call) with a pause between two calls,
until it has played the number asked for or the demo stops.

It speaks real AMI on a free loopback port with a secret made at start, so ctid's own `ami`
plugin connects to it exactly as it would to Asterisk: login, resync, events.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import secrets
from collections.abc import Callable

import gevent
import gevent.event

from ctid.demo.calls import DEMO_NAME, DEMO_PHONE, QUEUE, Calls, Stopped, Timing
from ctid.testing.amiscript import SimMember
from ctid.testing.fakeami import FakeAmi

log = logging.getLogger(__name__)

USERNAME = "ctid"


@dataclasses.dataclass(frozen=True)
class Scene:
    """One call of the loop: a name for scripts, what happens for people, and how to play it."""

    name: str
    story: str
    play: Callable[[Calls], None]


SCENES = (
    Scene(
        "did",
        "an outside caller, 06 39 98 12 34, dials the main number 01 99 00 01 00: "
        "your phone (1001) rings",
        Calls.did_call,
    ),
    Scene("internal", "your colleague Bob Martin (1002) calls you", Calls.internal_call),
    Scene(
        "queue",
        "+33 1 99 00 12 34 dials the support number 01 99 00 02 00: the support queue rings you",
        Calls.queue_call,
    ),
)

Announce = Callable[[int, Scene], None]


class DemoPbx:
    """A fake Asterisk on loopback that plays the demo's calls on a loop."""

    def __init__(self, *, calls: int | None, timing: Timing, gap: float) -> None:
        self.secret = secrets.token_urlsafe(16)
        self.calls = calls
        self.timing = timing
        self.gap = gap
        member = SimMember(DEMO_PHONE, DEMO_NAME, "static")
        self.fake = FakeAmi(username=USERNAME, secret=self.secret, queues={QUEUE: [member]})
        self.played = 0
        """Calls started so far (the last one may have been cut short by a stop)."""
        self.finished = gevent.event.Event()
        """Set when the loop is over (all calls played, or stopped)."""
        self._stopping = gevent.event.Event()
        self._player: gevent.Greenlet | None = None

    @property
    def port(self) -> int:
        return self.fake.port

    def start(self) -> None:
        """Listen for ctid's AMI connection (calls wait for `play`)."""
        self.fake.start()
        log.info("simulated PBX listening on %s:%s", *self.fake.address)

    def play(self, announce: Announce) -> None:
        """Start the loop of calls; `announce(number, scene)` is told before each one."""
        self._player = gevent.spawn(self._loop, announce)

    def _loop(self, announce: Announce) -> None:
        calls = Calls(self.fake, self._pause, self.timing)
        try:
            for number in itertools.count(1):
                scene = SCENES[(number - 1) % len(SCENES)]
                announce(number, scene)
                self.played = number
                scene.play(calls)
                if self.calls is not None and number >= self.calls:
                    return
                self._pause(self.gap)
        except Stopped:
            log.debug("simulated PBX stopped after %d call(s)", self.played)
        finally:
            self.finished.set()

    def _pause(self, seconds: float) -> None:
        if self._stopping.wait(seconds):
            raise Stopped

    def stop(self) -> None:
        """End the loop (the call in progress is abandoned) and stop listening."""
        self._stopping.set()
        if self._player is not None:
            self._player.join(timeout=1)
            self._player.kill(block=False)
        self.fake.stop()
