"""The client's session against a scripted CTI server: a lost link is retried with backoff, a
server that goes silent is detected by the keepalives, a forced disconnect is final, a refused
login or an unreachable server ends the client with a status that says which, and the password
never appears in the output."""

import contextlib
import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from gevent.server import StreamServer

from ctid.client.output import Output
from ctid.client.session import (
    EXIT_FAILURE,
    EXIT_NOPERM,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    ClientSession,
    Settings,
)
from ctid.testing import wait_until

PASSWORD = "s3cret-pass"


class FakeCti:
    """A CTI server that logs `alice` in, then does what `after_login` says: `answer`
    (keepalives and getlist), `silent`, `close`, or `kick`."""

    def __init__(self) -> None:
        self.after_login = "answer"
        self.connections = 0
        self.logins = 0
        self.received: list[dict[str, Any]] = []
        self.server = StreamServer(("127.0.0.1", 0), self._handle)

    def _handle(self, sock: socket.socket, _address: Any) -> None:
        self.connections += 1
        reader = sock.makefile("rb")

        def send(message: dict[str, Any]) -> None:
            sock.sendall(json.dumps(message).encode() + b"\n")

        sock.sendall(b"XiVO CTI Server Version 1.2 (fake)\n")
        with contextlib.suppress(OSError):
            for line in reader:
                message = json.loads(line)
                self.received.append(message)
                if not self._answer(message, send):
                    break
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _answer(self, message: dict[str, Any], send: Any) -> bool:
        kind, reply = message["class"], {"replyid": message.get("commandid")}
        if kind == "login_id":
            send({"class": kind, "sessionid": "abc", **reply})
        elif kind == "login_pass" and message.get("password") != PASSWORD:
            send({"class": kind, "error_string": "login_password", **reply})
            return False
        elif kind == "login_pass":
            send({"class": kind, "capalist": ["agent"], **reply})
        elif kind == "login_capas":
            self.logins += 1
            send({"class": kind, "userid": "alice", "ipbxid": "xivo", "presence": "available",
                  **reply})  # fmt: skip
            if self.after_login == "close":
                return False
            if self.after_login == "kick":
                send({"class": "disconnect", "type": "force"})
        elif kind == "logout":
            send({"class": kind, "status": "ok", **reply})
            return False
        elif self.after_login == "answer":
            send({"class": kind, **reply})
        return True


@pytest.fixture
def fake() -> Iterator[FakeCti]:
    server = FakeCti()
    server.server.start()
    try:
        yield server
    finally:
        server.server.stop(timeout=1)


def session(
    fake: FakeCti, password: str = PASSWORD, **settings: Any
) -> tuple[ClientSession, io.StringIO]:
    stream = io.StringIO()
    options: dict[str, Any] = {"keepalive": 60.0, "backoff_min": 0.05, "backoff_max": 0.2}
    options["timeout"] = 2.0
    options.update(settings)
    port = fake.server.server_port
    client = ClientSession(
        Settings(host="127.0.0.1", port=port, login="alice", **options),
        password,
        Output(stream, json_lines=True),
        None,
    )
    return client, stream


def records(stream: io.StringIO, kind: str | None = None) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [record for record in found if kind is None or record.get("client") == kind]


def test_a_lost_link_is_retried_until_the_server_is_back(fake: FakeCti) -> None:
    fake.after_login = "close"
    client, stream = session(fake)
    runner = gevent.spawn(client.run)
    wait_until(lambda: fake.logins >= 3, 5, "three logins")
    fake.after_login = "answer"
    client.stop()
    assert runner.get(timeout=5) == EXIT_OK
    assert len(records(stream, "reconnecting")) >= 2
    assert PASSWORD not in stream.getvalue()


def test_a_silent_server_is_left_after_one_unanswered_keepalive(fake: FakeCti) -> None:
    fake.after_login = "silent"
    client, stream = session(fake, keepalive=0.1)
    runner = gevent.spawn(client.run)
    wait_until(lambda: fake.connections >= 2, 5, "a reconnection")
    client.stop()
    runner.get(timeout=5)
    assert [m["class"] for m in fake.received].count("keepalive") >= 1
    assert records(stream, "disconnected")


def test_a_forced_disconnect_is_final(fake: FakeCti) -> None:
    fake.after_login = "kick"
    client, stream = session(fake)
    assert gevent.spawn(client.run).get(timeout=5) == EXIT_FAILURE
    assert fake.connections == 1
    assert records(stream, "disconnected")[-1]["reason"] == "force"


def test_a_refused_login_ends_the_client(fake: FakeCti) -> None:
    client, stream = session(fake, password="wrong")
    assert gevent.spawn(client.run).get(timeout=5) == EXIT_NOPERM
    [error] = records(stream, "error")
    assert error["code"] == "login_password"
    assert "wrong login or password" in error["error"]
    assert fake.connections == 1


def test_an_unreachable_server_ends_the_client(fake: FakeCti) -> None:
    client, stream = session(fake)
    fake.server.stop(timeout=1)
    assert gevent.spawn(client.run).get(timeout=5) == EXIT_UNAVAILABLE
    assert "connection refused" in records(stream, "error")[0]["error"]


def test_typed_commands_get_their_results_and_stop_logs_out(fake: FakeCti) -> None:
    client, stream = session(fake)
    runner = gevent.spawn(client.run)
    wait_until(client.logged_in.is_set, 5, "login")
    client.type("presence away")
    client.drain()
    client.type("quit")
    assert runner.get(timeout=5) == EXIT_OK
    [result] = records(stream, "result")
    assert (result["command"], result["ok"]) == ("presence", True)
    wait_until(lambda: fake.received[-1]["class"] == "logout", 5, "the logout")


def test_a_command_waiting_when_the_link_drops_fails(fake: FakeCti) -> None:
    fake.after_login = "silent"
    client, stream = session(fake, keepalive=0.2)
    runner = gevent.spawn(client.run)
    wait_until(client.logged_in.is_set, 5, "login")
    client.type("dial 1002")
    wait_until(lambda: records(stream, "result"), 5, "a result")
    client.stop()
    runner.get(timeout=5)
    [result] = records(stream, "result")
    assert result["ok"] is False and "connection lost" in result["detail"]
