"""Load benchmark: N logged-in CTI clients, R calls per second, sheet latency, daemon CPU and RSS.

Run from the repository root:

    python bench/load.py                          # 1,000 clients, 50 calls/s, 20 s of calls
    python bench/load.py --clients 10000 --rate 0  # 10,000 idle connections: RSS per connection
    python bench/load.py --did                    # also the shipped DID sheet, to every client

Three kinds of process share the machine, all on loopback:
- the daemon, alone in its process (`python -m ctid run -c <generated config.d>`), so that
  /proc/<pid>/stat and /proc/<pid>/status show its CPU and memory only;
- this process: it writes the config, runs the fake Asterisk (ctid.testing.FakeAmi) the daemon
  logs in to, places the calls and reads /proc;
- the clients: raw gevent sockets in one or more worker processes (this script with
  `--worker`). Each logs in as its own user with the real password (scrypt at the shipped cost:
  a worker keeps at most `--login-window` logins in flight, so a connect storm is spread over
  time rather than cut by the login timeout), then only reads.

Call i rings user i mod N: a burst of AMI events (a DID call entering `from-extern`, its
dialplan2cti values, the Dial to the user's line) that pops the `dest` sheet at that user's
client, then the answer and, later, the hangup. The caller's channel name carries the time the
burst was written (`PJSIP/trunk-<microseconds in hex>`); a client that receives a sheet for it
computes the AMI-event-to-sheet latency from that (one clock: same machine).

Measured: RSS at rest (AMI linked, no client), RSS with the N clients logged in and idle, hence
RSS per idle connection; the login rate; during calls, the latency p50/p99/max, sheets
received against expected, the CPU of the daemon, clients and this process. The run stops by
itself and ends every process it started; its last line is the one to compare across commits.

Open files: the daemon holds one descriptor per client, and each worker one per client it
runs. The script raises its soft limit (`RLIMIT_NOFILE`) to what it needs, and the hard limit
too when run as root; otherwise `ulimit -Hn` must allow clients + 1024.
"""

from gevent import monkey

monkey.patch_all()

# ruff: noqa: E402  (every import below must come after patch_all)
import argparse
import collections
import contextlib
import ctypes
import hashlib
import json
import math
import os
import pathlib
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import Any

import gevent
import gevent.event
import gevent.fileobject
import gevent.lock
import gevent.pool

from ctid.passwords import hash_password
from ctid.testing.amiscript import format_message
from ctid.testing.fakeami import SECRET, USERNAME, FakeAmi

PASSWORD = "bench-password"
PROFILE = "agent"
CONTEXT = "default"
INCOMING = "from-extern"
TRUNK = "PJSIP/trunk-"
"""Caller channel prefix; the rest of the name is the burst's send time in microseconds, hex."""
FIRST_NUMBER = 10000
EVENTS_PER_CALL = 22
TICK = os.sysconf("SC_CLK_TCK")


def login_of(index: int) -> str:
    return f"u{index:05d}"


def number_of(index: int) -> str:
    return str(FIRST_NUMBER + index)


# --- the daemon's config ----------------------------------------------------------------------


SHEET_LINES = {
    "ringing": {
        "conditions": {"whom": "dest"},
        "options": {"focus": True, "zip": True},
        "sheet_info": [
            ["", "title", "Call", "Call for {xivo-calledidname}"],
            ["Caller name", "text", "", "{xivo-calleridname}"],
            ["Caller number", "phone", "", "{xivo-calleridnum}"],
            ["DID", "text", "", "{xivo-did}"],
            ["Account", "text", "", "{dp-account}"],
        ],
        "systray_info": [
            ["", "title", "Call", "{xivo-calleridname}"],
            ["", "body", "", "{xivo-calleridnum}"],
        ],
    },
    # As shipped in config.d/30-sheets.yml: `all` narrowed to the tenant's context, because at
    # incomingdid the call has only been in the incoming context (all-context would reach no one).
    "incoming_call": {
        "conditions": {"whom": "all", "contexts": [CONTEXT]},
        "options": {"focus": False, "zip": True},
        "sheet_info": [
            ["", "title", "Incoming call", "Incoming call on {xivo-did}"],
            ["Number", "phone", "", "{xivo-calleridnum}"],
            ["Received", "text", "", "{xivo-date} {xivo-time}"],
        ],
        "systray_info": [["", "title", "Incoming call", "Call from {xivo-calleridnum}"]],
    },
}


def write_config(
    directory: pathlib.Path, args: argparse.Namespace, ami_port: int, cti_port: int
) -> None:
    """One drop-in (JSON is YAML): N users with one line each, one profile, the sheets."""
    hashed = hash_password(PASSWORD)  # the real cost; one hash shared by every user (salt too)
    users = [
        {
            "login": login_of(index),
            "password": hashed,
            "profile": PROFILE,
            "firstname": "Agent",
            "lastname": str(index),
            **({"legacy_secret": PASSWORD} if args.login == "legacy" else {}),
            "lines": [
                {
                    "context": CONTEXT,
                    "number": number_of(index),
                    "interface": f"PJSIP/{number_of(index)}",
                }
            ],
        }
        for index in range(args.clients)
    ]
    events = {"dial": ["ringing"]} | ({"incomingdid": ["incoming_call"]} if args.did else {})
    definitions = {name: SHEET_LINES[name] for names in events.values() for name in names}
    config = {
        "ipbx": {
            "id": "bench",
            "ami": {"host": "127.0.0.1", "port": ami_port, "username": USERNAME, "secret": SECRET},
        },
        "listen": {
            "cti": {"address": "127.0.0.1", "port": cti_port},
            **{name: {"enabled": False} for name in ("ctis", "fagi", "webi", "info", "announce")},
        },
        "incoming_contexts": [INCOMING],
        "logging": {"level": args.log_level, "loggers": dict.fromkeys(args.debug, "debug")},
        "profiles": {PROFILE: {"sheets": True, "sheet_serial": "xml"}},
        "users": users,
        "sheets": {"events": events, "definitions": definitions},
        "plugins": {
            **{name: {"enabled": True} for name in ("ami", "xivovars", "dpvars")},
            "cti": {
                "enabled": True,
                **({"push_interval": args.push_interval} if args.push_interval is not None else {}),
            },
        },
    }
    path = directory / "50-bench.yml"
    path.touch(mode=0o600)  # it holds secrets: the daemon warns about a file others can read
    path.write_text(json.dumps(config))


# --- measuring a process through /proc --------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime: fields 14 and 15


def runqueue_seconds(pid: int) -> float:
    """Seconds the process's main thread (the gevent hub) spent runnable but waiting for a CPU."""
    return int(pathlib.Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores, every process), from /proc/stat."""
    fields = [int(value) for value in pathlib.Path("/proc/stat").read_text().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / TICK  # minus idle and iowait


def memory_kib(pid: int, key: str = "VmRSS") -> int:
    """A /proc/<pid>/status figure in KiB (VmRSS: resident now, VmHWM: peak)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def settle(pid: int, *, quiet: float = 0.03, window: float = 1.0, limit: float = 120.0) -> float:
    """Wait until the process uses less than `quiet` of a core over `window`; the seconds spent.

    Pushes and log lines that follow a burst of logins must be done before RSS means anything.
    """
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        gevent.sleep(window)
        if cpu_seconds(pid) - before < quiet * window:
            break
    return time.monotonic() - started


def die_with_parent() -> None:
    """Get SIGTERM when the parent process dies, even by SIGKILL: no daemon or client outlives
    a killed bench. (The flag survives exec; it is set in the child, not in a preexec_fn.)"""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


ORPHAN_PROOF = (
    "import ctypes, os, sys; ctypes.CDLL(None).prctl(1, 15); "  # PR_SET_PDEATHSIG, SIGTERM
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
"""`python -c ORPHAN_PROOF <args>` becomes `python <args>` (same pid) that dies with us."""


def raise_open_files(needed: int) -> None:
    """Raise RLIMIT_NOFILE (soft, and hard when allowed); exit with advice when impossible."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return
        except (ValueError, OSError):
            sys.exit(f"need {needed} open files, hard limit is {hard}: run `ulimit -Hn {needed}`")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def prioritize(nice: int, *pids: int) -> None:
    """Give these processes and this one the priority `nice` (threads they start inherit it).

    With autogroup scheduling (`/proc/sys/kernel/sched_autogroup_enabled`), the CPU is shared
    between sessions first: the daemon and the workers run in sessions of their own, and the
    nice value of each session's group is what counts against the machine's other work.
    """
    if nice:
        for pid in (os.getpid(), *pids):
            os.setpriority(os.PRIO_PROCESS, pid, nice)
            with contextlib.suppress(OSError):  # no autogroup support: process nice only
                pathlib.Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the daemon -------------------------------------------------------------------------------


class Daemon:
    """`python -m ctid run -c <directory>` in its own process, stderr to a log file; from
    another source tree when `source` is given (a checkout of an older commit, to compare)."""

    def __init__(self, directory: pathlib.Path, source: str | None = None) -> None:
        self.log_path = directory.parent / "ctid.log"
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-c", ORPHAN_PROOF, "-m", "ctid", "run", "-c", str(directory)]
        environment = dict(os.environ)
        if source:
            tree = pathlib.Path(source).resolve()
            path = [str(tree), str(tree / "plugins"), environment.get("PYTHONPATH", "")]
            environment["PYTHONPATH"] = os.pathsep.join(filter(None, path))
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment,
        )
        self.pid = self.process.pid

    def wait_for_port(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ctid exited with {self.process.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            gevent.sleep(0.1)
        raise RuntimeError(f"ctid did not listen on {port} within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# --- the clients (parent side) ----------------------------------------------------------------


class Workers:
    """The client processes: start them, follow their progress, collect their latencies."""

    def __init__(self, args: argparse.Namespace, port: int) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        self.status: list[dict[str, Any]] = []
        self.reports: list[gevent.event.AsyncResult] = []
        per = math.ceil(args.clients / args.processes)
        for first in range(0, args.clients, per):
            count = min(per, args.clients - first)
            command = [sys.executable, __file__, "--worker", "--port", str(port)]
            command += ["--first", str(first), "--count", str(count)]
            command += ["--login-window", str(args.login_window), "--login", args.login]
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
            )
            self.processes.append(process)
            self.status.append({"logged": 0, "failed": 0, "ready": False, "errors": {}})
            self.reports.append(gevent.event.AsyncResult())
            gevent.spawn(self._follow, len(self.processes) - 1, process)

    def _follow(self, index: int, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            message = json.loads(line)
            if "latencies" in message:
                self.reports[index].set(message)
            else:
                self.status[index].update(message)
        self.status[index]["ready"] = True
        if not self.reports[index].ready():
            self.reports[index].set({"latencies": [], "sheets": 0, "closed": 0, "exited": True})

    def total(self, key: str) -> int:
        return sum(int(status[key]) for status in self.status)

    def errors(self) -> dict[str, int]:
        found: collections.Counter[str] = collections.Counter()
        for status in self.status:
            found.update(status["errors"])
        return dict(found)

    @property
    def ready(self) -> bool:
        return all(status["ready"] for status in self.status)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes if p.poll() is None)

    def report(self, timeout: float) -> list[dict[str, Any]]:
        """Ask each worker for its sheets and latencies."""
        for process in self.processes:
            self._tell(process, b"report\n")
        return [result.get(timeout=timeout) for result in self.reports]

    def _tell(self, process: subprocess.Popen[bytes], line: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert process.stdin is not None
            process.stdin.write(line)
            process.stdin.flush()

    def stop(self) -> None:
        for process in self.processes:
            self._tell(process, b"exit\n")
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the calls --------------------------------------------------------------------------------


def _snapshot(
    channel: str,
    uniqueid: str,
    linkedid: str,
    state: int,
    context: str,
    exten: str,
    caller: tuple[str, str],
    prefix: str = "",
) -> list[tuple[str, str]]:
    states = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
    fields = [
        ("Channel", channel),
        ("ChannelState", str(state)),
        ("ChannelStateDesc", states[state]),
        ("CallerIDNum", caller[0]),
        ("CallerIDName", caller[1]),
        ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", context),
        ("Exten", exten),
        ("Priority", "1"),
        ("Uniqueid", uniqueid),
        ("Linkedid", linkedid),
    ]
    return [(prefix + key, value) for key, value in fields]


class Call:
    """One call from the trunk to a user's line, as the AMI events Asterisk 22 writes."""

    def __init__(self, fake: FakeAmi, serial: int, user: int) -> None:
        self.fake = fake
        self.number = number_of(user)
        self.did = f"0140{serial % 1000000:06d}"
        self.caller = (f"06{serial % 100000000:08d}", f"Caller {serial}")
        self.a, _ = fake.ids.next()
        self.b, suffix = fake.ids.next()
        self.callee = f"PJSIP/{self.number}-{suffix}"
        self.channel = ""
        self.bridge = f"bridge-{serial}"

    def _a(self, state: int, context: str, exten: str, prefix: str = "") -> list[tuple[str, str]]:
        caller = self.caller
        return _snapshot(self.channel, self.a, self.a, state, context, exten, caller, prefix)

    def _b(self, state: int, prefix: str = "") -> list[tuple[str, str]]:
        caller = (self.caller[0], self.caller[1])
        return _snapshot(self.callee, self.b, self.a, state, CONTEXT, "s", caller, prefix)

    def _device(self, state: str) -> list[tuple[str, str]]:
        device = ("Device", f"PJSIP/{self.number}")
        return [("Event", "DeviceStateChange"), device, ("State", state)]

    def _send(self, *messages: Sequence[tuple[str, str]]) -> None:
        head = [("Privilege", "call,all"), ("Timestamp", f"{time.time():.6f}")]
        data = b"".join(format_message([fields[0], *head, *fields[1:]]) for fields in messages)
        self.fake.broadcast(data, logged_in=True)

    def ring(self) -> None:
        """Enter the DID context, attach dialplan values, dial the user: the sheet's trigger."""
        self.channel = f"{TRUNK}{int(time.time() * 1e6):x}"  # the send time: just before writing
        a_did, a_user = self._a(4, INCOMING, self.did), self._a(4, CONTEXT, self.number)
        account = [("VARIABLE", "account"), ("VALUE", f"ACME-{self.did}")]
        dial = [("Extension", self.number), ("Application", "Dial")]
        dial.append(("AppData", f"PJSIP/{self.number},30"))
        self._send(
            [("Event", "Newchannel"), *a_did],
            [("Event", "VarSet"), *a_did, ("Variable", "XIVO_DID"), ("Value", self.did)],
            [("Event", "UserEvent"), *a_did, ("UserEvent", "dialplan2cti"), *account],
            [("Event", "Newexten"), *a_user, *dial],
            [("Event", "Newchannel"), *self._b(0)],
            [("Event", "DialBegin"), *a_user, *self._b(0, "Dest"), ("DialString", self.number)],
            [("Event", "Newstate"), *self._b(5)],
            self._device("RINGING"),
        )

    def answer(self) -> None:
        a_up, b_up = self._a(6, CONTEXT, self.number), self._b(6)
        bridge = [("BridgeUniqueid", self.bridge), ("BridgeType", "basic")]
        bridge += [("BridgeTechnology", "simple_bridge"), ("BridgeCreator", "<unknown>")]
        self._send(
            [("Event", "Newstate"), *b_up],
            [("Event", "DialEnd"), *a_up, *self._b(6, "Dest"), ("DialStatus", "ANSWER")],
            [("Event", "Newstate"), *a_up],
            [("Event", "BridgeCreate"), *bridge, ("BridgeNumChannels", "0")],
            [("Event", "BridgeEnter"), *bridge, ("BridgeNumChannels", "1"), *b_up],
            [("Event", "BridgeEnter"), *bridge, ("BridgeNumChannels", "2"), *a_up],
            self._device("INUSE"),
        )

    def hangup(self) -> None:
        a_up, b_up = self._a(6, CONTEXT, self.number), self._b(6)
        bridge = [("BridgeUniqueid", self.bridge), ("BridgeType", "basic")]
        bridge += [("BridgeTechnology", "simple_bridge"), ("BridgeCreator", "<unknown>")]
        cause = [("Cause", "16"), ("Cause-txt", "Normal Clearing")]
        self._send(
            [("Event", "HangupRequest"), *b_up, ("Cause", "16")],
            [("Event", "BridgeLeave"), *bridge, ("BridgeNumChannels", "1"), *b_up],
            [("Event", "Hangup"), *b_up, *cause],
            [("Event", "BridgeLeave"), *bridge, ("BridgeNumChannels", "0"), *a_up],
            [("Event", "BridgeDestroy"), *bridge, ("BridgeNumChannels", "0")],
            [("Event", "Hangup"), *a_up, *cause],
            self._device("NOT_INUSE"),
        )


def place_calls(fake: FakeAmi, args: argparse.Namespace) -> tuple[int, float]:
    """`--rate` calls per second for `--duration` seconds, each answered and hung up later.

    :returns: the calls placed and the seconds it took to place them (the tail of answers and
        hangups is waited for, not counted).
    """
    group = gevent.pool.Group()
    started = time.monotonic()
    count = 0
    while count < args.rate * args.duration:
        delay = started + count / args.rate - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        call = Call(fake, count, count % args.clients)
        call.ring()
        group.add(gevent.spawn_later(args.answer, call.answer))
        group.add(gevent.spawn_later(args.answer + args.talk, call.hangup))
        count += 1
    placing = time.monotonic() - started
    group.join()
    return count, placing


# --- the run ----------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def say(text: str) -> None:
    print(text, flush=True)


@contextlib.contextmanager
def environment(args: argparse.Namespace) -> Iterator[tuple[pathlib.Path, FakeAmi]]:
    """A scratch directory and a fake Asterisk, both gone afterwards."""
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="ctid-load-"))
    fake = FakeAmi(nodelay=True).start()  # as Asterisk: no Nagle on the manager socket
    try:
        yield scratch, fake
    finally:
        fake.stop()
        if args.keep:
            say(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace) -> str:
    """The whole benchmark; returns the result line."""
    with environment(args) as (scratch, fake):
        config = scratch / "config.d"
        config.mkdir()
        cti_port = free_port()
        write_config(config, args, fake.port, cti_port)
        started = time.monotonic()
        daemon = Daemon(config, args.source)
        prioritize(args.nice - 5 if args.nice else 0, daemon.pid)
        workers: Workers | None = None
        try:
            daemon.wait_for_port(cti_port, timeout=120)
            fake.wait_for_action("ExtensionStateList", timeout=60)
            say(f"daemon: pid {daemon.pid}, up in {time.monotonic() - started:.1f} s")
            settle(daemon.pid)
            rest = memory_kib(daemon.pid)
            say(f"rest: RSS {rest / 1024:.1f} MiB (AMI linked, {args.clients} users, no client)")
            workers = Workers(args, cti_port)
            prioritize(args.nice, *(process.pid for process in workers.processes))
            rss_per_conn = log_in(args, daemon, workers, rest)
            p50 = p99 = math.nan
            if args.rate > 0:
                p50, p99 = calls(args, fake, daemon, workers)
        except BaseException:
            say(f"daemon log (last lines):\n{daemon.tail()}")
            raise
        finally:
            if workers is not None:
                workers.stop()
            daemon.stop()
    return (
        f"clients={args.clients} calls_per_s={args.rate:g} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"rss_per_conn_kib={rss_per_conn:.1f}"
    )


def log_in(args: argparse.Namespace, daemon: Daemon, workers: Workers, rest: int) -> float:
    """Every client logs in; returns the daemon's RSS per idle connection (KiB)."""
    started = time.monotonic()
    cpu = cpu_seconds(daemon.pid)
    last, last_change, shown = 0, started, started
    while not workers.ready:
        gevent.sleep(0.2)
        done = workers.total("logged") + workers.total("failed")
        now = time.monotonic()
        if done != last:
            last, last_change = done, now
        elif now - last_change > 60:
            raise RuntimeError(f"logins stalled at {done}/{args.clients}")
        if now - shown >= 10:
            shown = now
            say(f"logins: {workers.total('logged')}/{args.clients} after {now - started:.0f} s")
    elapsed = time.monotonic() - started
    logged, failed = workers.total("logged"), workers.total("failed")
    busy = (cpu_seconds(daemon.pid) - cpu) / elapsed
    say(
        f"logins: {logged} in {elapsed:.1f} s ({logged / elapsed:.1f}/s), {failed} failed "
        f"{workers.errors() or ''}; daemon CPU {busy:.0%} of a core meanwhile"
    )
    settled = settle(daemon.pid)
    idle = memory_kib(daemon.pid)
    per = (idle - rest) / max(logged, 1)
    say(
        f"idle: RSS {idle / 1024:.1f} MiB with {logged} connections (settled in {settled:.1f} s)"
        f": {per:.1f} KiB per connection; peak RSS {memory_kib(daemon.pid, 'VmHWM') / 1024:.1f} MiB"
    )
    return per


def calls(
    args: argparse.Namespace, fake: FakeAmi, daemon: Daemon, workers: Workers
) -> tuple[float, float]:
    """Place the calls; returns (p50, p99) of the sheet latency in ms."""
    cpu = (cpu_seconds(daemon.pid), workers.cpu_seconds(), time.process_time(), machine_busy())
    waited = runqueue_seconds(daemon.pid)
    started = time.monotonic()
    placed, placing = place_calls(fake, args)
    elapsed = time.monotonic() - started
    used = [
        cpu_seconds(daemon.pid) - cpu[0],
        workers.cpu_seconds() - cpu[1],
        time.process_time() - cpu[2],
    ]
    # Whatever else runs on the machine competes for the same cores: shown, not hidden.
    used.append(machine_busy() - cpu[3] - sum(used))
    waited = runqueue_seconds(daemon.pid) - waited
    settle(daemon.pid, limit=30)
    reports = workers.report(timeout=120)
    latencies = sorted(value for report in reports for value in report["latencies"])
    closed = sum(int(report["closed"]) for report in reports)
    expected = placed * (1 + (workers.total("logged") if args.did else 0))
    say(
        f"calls: {placed} in {placing:.1f} s ({placed / placing:.1f}/s, "
        f"{EVENTS_PER_CALL} AMI events each); sheets received {len(latencies)}/{expected}; "
        f"connections lost {closed}"
    )
    shares = zip(CPU_NAMES, used, strict=True)
    say(
        f"cpu (share of one core over the {elapsed:.0f} s of calls, {os.cpu_count()} cores): "
        + ", ".join(f"{who} {value / elapsed:.0%}" for who, value in shares)
        + f"; the daemon waited for a CPU {waited / elapsed:.0%} of the time"
        + f"; daemon RSS {memory_kib(daemon.pid) / 1024:.1f} MiB"
    )
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    mean = statistics.fmean(latencies) if latencies else math.nan
    top = latencies[-1] if latencies else math.nan
    say(f"latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms, mean {mean:.1f} ms")
    return p50, p99


CPU_NAMES = ("daemon", "clients", "fake Asterisk + bench", "other processes")


# --- the clients (worker side) ----------------------------------------------------------------


class LoginRefused(Exception):
    """A login step answered an error_string."""


class _Lines:
    """Line reader over a socket, for the login exchange."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.rest = b""

    def next(self) -> bytes:
        while b"\n" not in self.rest:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during login")
            self.rest += chunk
        line, self.rest = self.rest.split(b"\n", 1)
        return line


class Worker:
    """Some of the clients, in one process: log in within a window, then read and time sheets."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.address = ("127.0.0.1", args.port)
        self.window = gevent.lock.BoundedSemaphore(args.login_window)
        self.logged = self.failed = self.closed = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.latencies: list[float] = []
        self.sockets: list[socket.socket] = []

    def run(self) -> None:
        die_with_parent()
        clients = gevent.pool.Group()
        for index in range(self.args.first, self.args.first + self.args.count):
            clients.spawn(self.client, index)
        while self.logged + self.failed < self.args.count:
            gevent.sleep(0.5)
            self.send({"logged": self.logged, "failed": self.failed, "errors": self.errors})
        self.send({"logged": self.logged, "failed": self.failed, "errors": self.errors})
        self.send({"ready": True})
        stdin = gevent.fileobject.FileObjectPosix(sys.stdin.fileno(), "rb", close=False)
        for line in stdin:
            if line.strip() == b"report":
                self.send({"latencies": self.latencies, "closed": self.closed})
            else:
                break
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        clients.kill(block=False)

    def send(self, message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def client(self, index: int) -> None:
        with self.window:
            try:
                sock = socket.create_connection(self.address, timeout=60)
                self.sockets.append(sock)
                lines = _Lines(sock)
                lines.next()  # the banner
                login = login_of(index)
                reply = self.step(sock, lines, "login_id", userlogin=login, xivoversion="1.2")
                if self.args.login == "legacy":
                    digest = f"{reply['sessionid']}:{PASSWORD}".encode()
                    secret = {"hashedpassword": hashlib.sha1(digest).hexdigest()}
                else:
                    secret = {"password": PASSWORD}
                capas = self.step(sock, lines, "login_pass", **secret)["capalist"]
                self.step(sock, lines, "login_capas", capaid=capas[0], state="available")
            except (OSError, LoginRefused) as exc:
                self.failed += 1
                self.errors[type(exc).__name__ + ": " + str(exc)[:60]] += 1
                return
        sock.settimeout(None)
        self.logged += 1
        self.read(sock, lines.rest)

    def step(self, sock: socket.socket, lines: _Lines, kind: str, **fields: str) -> Any:
        sock.sendall(json.dumps({"class": kind, "commandid": 1, **fields}).encode() + b"\n")
        while True:
            reply = json.loads(lines.next())
            if reply.get("class") == kind:
                if "error_string" in reply:
                    raise LoginRefused(f"{kind}: {reply['error_string']}")
                return reply

    def read(self, sock: socket.socket, tail: bytes) -> None:
        """Read until the server closes; time the sheets about the bench's calls."""
        marker, channel_key = b'"displaysheet"', b'"channel":"'
        try:
            while True:
                chunk = sock.recv(262144)
                if not chunk:
                    break
                now = time.time()
                data = tail + chunk
                end = data.rfind(b"\n") + 1
                tail = data[end:]
                if data.find(marker, 0, end) < 0:
                    continue
                for line in data[:end].split(b"\n"):
                    start = line.find(channel_key)
                    if start < 0 or marker not in line:
                        continue
                    start += len(channel_key)
                    channel = line[start : line.find(b'"', start)].decode()
                    if channel.startswith(TRUNK):
                        sent = int(channel[len(TRUNK) :], 16) / 1e6
                        self.latencies.append(round((now - sent) * 1000, 3))
        except OSError:
            pass
        self.closed += 1


# --- command line -----------------------------------------------------------------------------


def options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="logged-in CTI clients")
    parser.add_argument("--rate", type=float, default=50, help="calls per second (0: idle only)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of new calls")
    parser.add_argument("--answer", type=float, default=1.0, help="ringing time of a call (s)")
    parser.add_argument("--talk", type=float, default=2.0, help="talk time of a call (s)")
    parser.add_argument("--did", action="store_true", help="also pop the DID sheet at everyone")
    parser.add_argument(
        "--processes", type=int, default=0, help="client processes (0: 2, or one per 5,000)"
    )
    parser.add_argument(
        "--login-window", type=int, default=8, help="logins in flight per client process"
    )
    parser.add_argument(
        "--login",
        choices=("password", "legacy"),
        default="password",
        help="password: the clear password against the scrypt hash (real cost, the default); "
        "legacy: the old clients' sha1 challenge with a legacy_secret (no scrypt: for quick "
        "runs of the call path only, never for the figures of logins)",
    )
    parser.add_argument("--log-level", default="info", help="the daemon's logging.level")
    parser.add_argument(
        "--push-interval", type=float, help="plugins.cti.push_interval (default: the shipped one)"
    )
    parser.add_argument(
        "--debug", action="append", default=[], help="a logger of the daemon to log at debug"
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of every process of the bench (negative: above the rest of "
        "a shared machine; root only)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the config and daemon log")
    parser.add_argument(
        "--source",
        help="run the daemon from this source tree (e.g. `git archive` of an older commit)",
    )
    worker = parser.add_argument_group("worker (internal)")
    worker.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    worker.add_argument("--port", type=int, help=argparse.SUPPRESS)
    worker.add_argument("--first", type=int, help=argparse.SUPPRESS)
    worker.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.processes <= 0:
        args.processes = max(2, math.ceil(args.clients / 5000))
    return args


def main() -> None:
    args = options()
    if args.worker:
        Worker(args).run()
        return
    # The daemon and each worker inherit this: the daemon needs one descriptor per client.
    raise_open_files(args.clients + 1024)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl-C
    line = run(args)
    print(line, flush=True)


if __name__ == "__main__":
    main()
