"""CTI clients that misbehave: one that never reads during a burst of sheets, one that trickles
half a line forever, one that goes quiet after login, and a thousand connections that never
log in. Each costs at most its own bounds (queue, line, login timeout), is cut off or replaced
by itself, and the well-behaved clients get every message with fast round trips meanwhile."""

import itertools
import resource
import socket
import time
from collections.abc import Iterable, Iterator
from typing import Any

import gevent
import pytest

from ctid.net import LineConnection, LineServer
from ctid.testing import wait_until
from ctid.testing.cticlient import CtiTestClient

from .conftest import ROUND_TRIP, Site, round_trip, sheet_for

pytestmark = pytest.mark.timeout(30)

BIG_NAME = "N" * 32_000
"""A caller name that makes every sheet and channel push about 32 kB (kernel buffers fill fast)."""
BURST = 20
LOGIN_ID = b'{"class": "login_id", "userlogin": "alice", "xivoversion": "1.2", "commandid": 1}\n'


def burst_sheets() -> dict[str, Any]:
    return {
        "variables_deadline": "600ms",
        "events": {"dial": ["burst"]},
        "definitions": {
            "burst": {
                "conditions": {"whom": "all"},
                "sheet_info": [["Caller", "text", "", "{xivo-calleridname}"]],
            }
        },
    }


def test_a_client_that_never_reads_is_cut_at_its_queue_bound_the_other_gets_every_sheet(
    site: Site,
) -> None:
    daemon = site.start(
        users=(("slow", "1001"), ("fast", "1002")),
        sheets=burst_sheets(),
        limits={"client_queue": 50},
    )
    slow, fast = site.client("slow"), site.client("fast")
    hub = daemon.objects["cti"].service.hub
    slow_connection = connection_of(site, slow)
    expected: list[str] = []

    def one_burst() -> None:
        for _ in range(BURST):
            caller = site.fake.add_channel("PJSIP/trunk", state=4, caller_name=BIG_NAME)
            callee = site.fake.add_channel("PJSIP/1002", state=5, linkedid=caller.uniqueid)
            dest = [(f"Dest{key}", value) for key, value in callee.snapshot()]
            site.fake.emit("DialBegin", [*caller.snapshot(), *dest, ("DialString", "1002")])
            site.hang_up(callee, caller)
            expected.append(caller.channel)
        for channel in expected[-BURST:]:
            fast.expect(sheet_for(channel))

    # `slow` never reads again: its kernel buffers fill, then its queue, then it is cut off.
    while len(hub.sessions()) == 2:
        assert len(expected) < 2000, "the client that never reads was never disconnected"
        one_burst()
    assert slow_connection.reason == "client too slow: 50 messages queued"
    assert slow.wait_closed(10)
    # After the cut, more bursts: the reader loses nothing, before, during or after.
    one_burst()
    one_burst()
    got = [m["channel"] for m in fast.received if m.get("class") == "sheet"]
    # Every one, once (calls render side by side: only each call's own sheets keep their order).
    assert sorted(got) == sorted(expected)
    assert len(set(expected)) == len(expected)
    status = daemon.status()
    assert status["plugins"]["sheets"]["dropped"] == 0
    assert status["plugins"]["ami"]["connects"] == 1
    assert round_trip(fast) < ROUND_TRIP


def connection_of(site: Site, client: CtiTestClient) -> LineConnection:
    """The server side of a client's connection."""
    port = client.sock.getsockname()[1]
    connections = site.running.objects["cti"].servers["cti"].connections
    [found] = [connection for connection in connections if connection.peer[1] == port]
    return found  # type: ignore[no-any-return]


def test_a_half_line_trickled_forever_is_cut_at_max_line(site: Site) -> None:
    site.start(limits={"max_line": 8192})
    alice, bob = site.client("alice"), site.client("bob")
    trickler = connection_of(site, alice)
    slowest = 0.0
    sent = 0
    alice.send_raw(b'{"class": "keepalive", "pad": "')
    while not trickler.closed:
        alice.send_raw(b"x" * 16)
        sent += 16
        if sent % 1024 == 0:
            slowest = max(slowest, round_trip(bob))
        assert sent < 1_000_000, "the half line was never cut"
        gevent.sleep(0)  # one piece at a time, as a patient client sends them
    assert 8192 - 32 <= sent < 8192 + 65536  # what the client got out before the server read
    assert trickler.reason == "line longer than 8192 bytes"
    assert alice.wait_closed(5)
    assert {"class": "error", "error_string": "line_too_long"}.items() <= alice.received[-1].items()
    assert slowest < ROUND_TRIP
    assert round_trip(bob) < ROUND_TRIP


class _Feed:
    """A socket stand-in whose `recv` returns the given pieces, then the end of the stream."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self.pieces = iter(pieces)
        self.sent: list[bytes] = []

    def recv(self, _size: int) -> bytes:
        return next(self.pieces, b"")

    def sendall(self, data: bytes) -> None:
        self.sent.append(data)

    def shutdown(self, _how: int) -> None:
        pass

    def close(self) -> None:
        pass


class _Sink:
    """A line handler that keeps the lines."""

    def __init__(self, _connection: object = None) -> None:
        self.lines: list[bytes] = []

    def connected(self) -> None:
        pass

    def line_received(self, line: bytes) -> None:
        self.lines.append(line)

    def line_too_long(self) -> bytes | None:
        return b"too long\n"

    def closed(self, reason: str) -> None:
        pass


def serve(pieces: Iterable[bytes], max_line: int) -> tuple[LineConnection, _Sink, _Feed]:
    """Run one connection over `pieces` to its end."""
    server = LineServer(
        name="t", address="127.0.0.1", port=0, handler_factory=_Sink, max_line=max_line
    )
    feed, sink = _Feed(pieces), _Sink()
    connection = LineConnection(server, feed, ("127.0.0.1", 1))  # type: ignore[arg-type]
    connection.serve(lambda _connection: sink)
    return connection, sink, feed


def test_reading_a_trickled_line_costs_time_linear_in_its_length() -> None:
    # Regression: each recv used to copy and re-scan the whole partial line, so a 2 MB line
    # in 1 kB pieces cost gigabytes of copying (seconds of a shared CPU) before the cut.
    limit = 2 * 1024 * 1024
    started = time.process_time()
    connection, sink, feed = serve(itertools.repeat(b"x" * 1024, limit // 1024 + 1), limit)
    assert time.process_time() - started < 0.5
    assert connection.reason == f"line longer than {limit} bytes"
    assert (sink.lines, feed.sent) == ([], [b"too long\n"])


def test_lines_split_across_reads_are_still_whole() -> None:
    pieces = [b'{"a"', b": 1}\nsec", b"ond\r", b"\nthird"]
    connection, sink, _feed = serve(pieces, max_line=16)
    assert sink.lines == [b'{"a": 1}', b"second", b"third"]
    assert connection.reason == "closed by peer"


def test_a_client_quiet_after_login_stays_served_and_is_replaced_by_its_next_login(
    site: Site,
) -> None:
    daemon = site.start(timeouts={"login": "300ms"})
    quiet, bob = site.client("alice"), site.client("bob")
    hub = daemon.objects["cti"].service.hub
    # Well past the login timeout, it sends nothing: a listener is legitimate, it stays.
    wait_until(lambda: time.monotonic() - hub.sessions()[0].started > 0.6, message="quiet")
    assert len(hub.sessions()) == 2
    assert bob.request({"class": "chitchat", "to": "xivo/alice", "text": "hi"})["status"] == "ok"
    assert quiet.expect("chitchat")["text"] == "hi"
    # Its user comes back from elsewhere (the quiet one's network died): the new session
    # replaces the old one, which is told and closed; nobody else notices.
    again = site.client("alice")
    assert quiet.expect("disconnect")["type"] == "force"
    assert quiet.wait_closed(5)
    assert [s.user.login for s in hub.sessions() if s.user] == ["bob", "alice"]
    assert round_trip(again) < ROUND_TRIP
    assert round_trip(bob) < ROUND_TRIP


@pytest.fixture
def many_files() -> Iterator[None]:
    """Room for 2,000 descriptors (both ends of 1,000 loopback connections, in-process)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096
    if soft != resource.RLIM_INFINITY and soft < wanted:
        top = wanted if hard == resource.RLIM_INFINITY else max(hard, wanted)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, top))  # above hard: root only
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_thousand_connections_that_never_log_in_are_reclaimed_at_the_login_timeout(
    site: Site, many_files: None
) -> None:
    login_timeout = 4.0
    daemon = site.start(timeouts={"login": f"{login_timeout}s"})
    alice = site.client("alice")
    hub = daemon.objects["cti"].service.hub

    def hold(sock: socket.socket, connected: float) -> tuple[float, bytes]:
        """How long the server kept the connection, and what it said."""
        data = read_to_end(sock, timeout=login_timeout + 5)
        return time.monotonic() - connected, data

    idle: list[socket.socket] = []
    holders: list[gevent.Greenlet] = []
    slowest = 0.0
    try:
        started = time.monotonic()
        for n in range(1000):
            sock = socket.create_connection(site.cti_address, timeout=5)
            connected = time.monotonic()
            if n % 3 == 1:
                sock.sendall(b'{"class": "login_id", "userlogin": "ali')  # never finished
            elif n % 3 == 2:
                sock.sendall(LOGIN_ID)  # the first step, then nothing
            idle.append(sock)
            holders.append(gevent.spawn(hold, sock, connected))
            if n % 50 == 49:
                slowest = max(slowest, round_trip(alice))
        # Opened faster than they time out: at some point, all 1,000 are held at once.
        assert time.monotonic() - started < login_timeout
        # While they are held (and reclaimed), the logged-in client is served as usual.
        while not all(holder.ready() for holder in holders):
            slowest = max(slowest, round_trip(alice))
        assert slowest < ROUND_TRIP
        # Each was held its whole login timeout, then told and closed.
        for holder in holders:
            lived, said = holder.get()
            assert login_timeout - 0.05 <= lived < login_timeout + 1.5
            assert b'{"class":"disconn"' in said
        wait_until(lambda: len(hub.connections) == 1, message="all reclaimed")
        assert [s.user.login for s in hub.sessions() if s.user] == ["alice"]
        assert round_trip(alice) < ROUND_TRIP
    finally:
        gevent.killall(holders)
        for sock in idle:
            sock.close()


def read_to_end(sock: socket.socket, timeout: float = 5) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def keepalive_of(sock: socket.socket) -> tuple[int, int, int, int, int]:
    """The dead-peer options of a socket: keepalive on, idle, interval, probes, user timeout."""
    return (
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
        sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
        sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
    )


def test_a_client_whose_host_vanishes_is_left_to_the_kernel_to_detect_within_dead_peer(
    site: Site,
) -> None:
    # A desktop unplugged sends no FIN and a listening client sends nothing: only TCP keepalive
    # (and the user timeout on unacknowledged pushes) can tell. Loopback never loses a peer, so
    # the test checks what the kernel was asked: probes from half the time on, dropped within it.
    daemon = site.start(timeouts={"dead_peer": "40s"})
    site.client("alice")
    hub = daemon.objects["cti"].service.hub
    server = daemon.objects["cti"].servers["cti"]
    wait_until(lambda: len(hub.sessions()) == 1 and server.connections, message="logged in")
    (connection,) = server.connections
    assert keepalive_of(connection.sock) == (1, 20, 5, 4, 40_000)
    # A reload applies to the connections accepted after it.
    site.config["timeouts"] = {"dead_peer": "2m"}
    assert daemon.reload() is True
    site.client("bob")
    wait_until(lambda: len(server.connections) == 2, message="second client")
    (newer,) = server.connections - {connection}
    assert keepalive_of(newer.sock) == (1, 60, 15, 4, 120_000)
    assert keepalive_of(connection.sock) == (1, 20, 5, 4, 40_000)
