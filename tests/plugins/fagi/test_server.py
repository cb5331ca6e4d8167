"""The FastAGI plugin on a real socket, driven by the fake Asterisk AGI client."""

import socket
import time
from typing import Any

import gevent

from ctid.api import hookimpl
from ctid.testing import make_daemon
from ctid.testing.fagiclient import FakeAgiClient
from ctid_fagi.plugin import FagiPlugin


class Scripts:
    def __init__(self) -> None:
        self.finished = False

    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        def sleepy(session: Any, request: Any) -> None:
            session.verbose("thinking", 1)
            gevent.sleep(30)
            self.finished = True

        def broken(session: Any, request: Any) -> None:
            raise RuntimeError("handler bug")

        return {"sleepy": sleepy, "broken": broken}


class Directory:
    @hookimpl
    def ctid_reverse_lookup(self, number: str) -> dict[str, str] | None:
        return {"dbr-display": "Martin Dupont"} if number == "0612345678" else None


def test_callerid_forphones_sends_exactly_the_expected_commands() -> None:
    with make_daemon({}, {"fagi": FagiPlugin(), "dir": Directory()}) as daemon:
        client = FakeAgiClient(
            daemon.objects["fagi"].server.address,
            script="callerid_forphones",
            calleridname="0612345678",
        )
        commands = client.run()
    assert commands == ['SET VARIABLE CALLERID(name) "Martin Dupont"']


def test_callerid_forphones_keeps_a_real_name() -> None:
    with make_daemon({}, {"fagi": FagiPlugin(), "dir": Directory()}) as daemon:
        client = FakeAgiClient(
            daemon.objects["fagi"].server.address,
            script="callerid_forphones",
            calleridname="Outside Caller",
        )
        assert client.run() == []


def test_a_handler_sleeping_past_the_deadline_releases_the_call_at_the_deadline() -> None:
    scripts = Scripts()
    config = {"plugins": {"fagi": {"deadline": "300ms"}}}
    with make_daemon(config, {"fagi": FagiPlugin(), "scripts": scripts}) as daemon:
        client = FakeAgiClient(daemon.objects["fagi"].server.address, script="sleepy")
        started = time.monotonic()
        commands = client.run()
        elapsed = time.monotonic() - started
        assert commands == ['VERBOSE "thinking" 1']
        assert 0.25 <= elapsed < 1.5
        assert not scripts.finished
        assert daemon.objects["fagi"].server.status()["timeouts"] == 1
        # the server still serves the next call
        again = FakeAgiClient(daemon.objects["fagi"].server.address, script="callerid_extend")
        assert again.run() == ['SET VARIABLE XIVO_SRCTON "0"']


def test_an_unknown_script_gets_a_verbose_and_a_clean_close() -> None:
    with make_daemon({}, {"fagi": FagiPlugin()}) as daemon:
        client = FakeAgiClient(daemon.objects["fagi"].server.address, script="no_such_thing")
        assert client.run() == ['VERBOSE "ctid: no FastAGI script named no_such_thing" 1']
        assert daemon.objects["fagi"].server.status()["unknown"] == 1


def test_a_raising_handler_is_logged_and_the_call_goes_on() -> None:
    with make_daemon({}, {"fagi": FagiPlugin(), "scripts": Scripts()}) as daemon:
        client = FakeAgiClient(daemon.objects["fagi"].server.address, script="broken")
        assert client.run() == []
        assert daemon.objects["fagi"].server.status()["script_failures"] == 1


def test_garbage_instead_of_a_header_is_refused_and_the_socket_closed() -> None:
    with make_daemon({}, {"fagi": FagiPlugin()}) as daemon:
        with socket.create_connection(daemon.objects["fagi"].server.address, timeout=5) as sock:
            sock.sendall(b"\xff\xfe GET / HTTP/1.0\r\n" + b"x" * 100_000 + b"\n\n")
            sock.settimeout(5)
            received = b""
            try:
                while chunk := sock.recv(4096):
                    received += chunk
            except ConnectionResetError:
                pass  # closed with unread input: the kernel resets instead of a FIN
        assert received == b""
        healthy = FakeAgiClient(daemon.objects["fagi"].server.address, script="callerid_extend")
        assert healthy.run() == ['SET VARIABLE XIVO_SRCTON "0"']
