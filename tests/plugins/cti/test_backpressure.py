"""Bounded queues and idle connections: a client that stops reading is cut off, the others
never notice; hundreds of unauthenticated connections do not slow a logged-in client."""

import logging
import socket
import time
from typing import Any

import pytest

from ctid.testing import wait_until


def test_a_client_that_stops_reading_is_cut_off_while_another_gets_everything(
    cti: Any, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    cti.start([make_user("slow"), make_user("fast", number="1002")], limits={"client_queue": 10})
    slow, fast = cti.client("slow"), cti.client("fast")
    hub = cti.plugin.service.hub
    sent = 0
    # Sheet-sized broadcasts through the one send function; `slow` never reads again.
    with caplog.at_level(logging.INFO, logger="ctid.net"):
        # Closed is asked of the connections: a client with room in its socket gets each
        # message at once, so this loop may never yield to let the hub detach the slow one.
        while not any(session.connection.closed for session in hub.sessions()):
            assert sent < 2000, "the slow client was never disconnected"
            sent += 1
            message = {"class": "sheet", "seq": sent, "payload": "x" * 65536}
            assert hub.send(message, contexts={"default"}) >= 1
            fast.expect(lambda m, n=sent: m.get("seq") == n)
    seqs = [m["seq"] for m in fast.received if m["class"] == "sheet"]
    assert seqs == list(range(1, sent + 1))
    assert "client too slow" in caplog.text
    assert fast.request({"class": "keepalive"})["class"] == "keepalive"
    assert slow.wait_closed(10)
    got = [m["seq"] for m in slow.received if m["class"] == "sheet"]
    assert got == list(range(1, len(got) + 1)) and len(got) < sent  # a prefix, in order


def test_200_unauthenticated_connections_do_not_slow_a_logged_in_client(
    cti: Any, make_user: Any
) -> None:
    cti.start([make_user("alice")])
    alice = cti.client("alice")
    idle = []
    try:
        for n in range(200):
            sock = socket.create_connection(cti.address, timeout=5)
            if n % 2:
                sock.sendall(b'{"class": "login_id", "userlogin": "x')  # never finished
            idle.append(sock)
        hub = cti.plugin.service.hub
        wait_until(lambda: len(hub.connections) == 201, message="200 idle connections accepted")
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            assert alice.request({"class": "keepalive"}, timeout=5)["class"] == "keepalive"
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < 1.0
        assert alice.request({"class": "getlist", "function": "listid", "listname": "users"})[
            "list"
        ] == ["alice"]
    finally:
        for sock in idle:
            sock.close()
