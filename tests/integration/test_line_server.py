"""The line server on real sockets: framing, bounds, slow readers, half-closed peers, TLS."""

import contextlib
import pathlib
import socket
import ssl
import subprocess
import tracemalloc
from collections.abc import Iterator

import pytest

from ctid.net import LineConnection, LineServer, tls_server_context
from ctid.testing import wait_until
from ctid.testing.certs import self_signed


class Echo:
    """Answers every line with `echo <line>`; `flood` queues many messages."""

    def __init__(self, connection: LineConnection) -> None:
        self.connection = connection

    def connected(self) -> None:
        self.connection.send(b"hello\n")

    def line_received(self, line: bytes) -> None:
        if line == b"flood":
            for _ in range(10_000):
                if not self.connection.send(b"x" * 1024 + b"\n"):
                    return
            return
        self.connection.send(b"echo " + line + b"\n")

    def line_too_long(self) -> bytes | None:
        return b"error line too long\n"

    def closed(self, reason: str) -> None:
        CLOSED.append(reason)


CLOSED: list[str] = []


@pytest.fixture
def server() -> Iterator[LineServer]:
    CLOSED.clear()
    line_server = LineServer(
        name="test",
        address="127.0.0.1",
        port=0,
        handler_factory=Echo,
        max_line=1024,
        queue_size=50,
        socket_timeout=2.0,
    )
    line_server.start()
    try:
        yield line_server
    finally:
        line_server.stop()


def read_all(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    sock.settimeout(5)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before {marker!r}; got {data!r}"
        data += chunk
    return data


def test_lines_in_any_chunking_and_crlf(server: LineServer) -> None:
    with socket.create_connection(server.address) as sock:
        sock.sendall(b"a\r\nb")
        sock.sendall(b"c\nd\n")
        sock.shutdown(socket.SHUT_WR)
        assert read_all(sock) == b"hello\necho a\necho bc\necho d\n"


def test_connections_write_without_nagle(server: LineServer) -> None:
    # The writer batches on its own; Nagle would hold a push behind the client's delayed ACK.
    with socket.create_connection(server.address) as sock:
        read_until(sock, b"hello\n")
        (connection,) = wait_until(lambda: list(server.connections))
        assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_an_idle_connection_is_written_at_once_and_the_rest_follows_in_order(
    server: LineServer,
) -> None:
    with socket.create_connection(server.address) as sock:
        read_until(sock, b"hello\n")
        (connection,) = wait_until(lambda: list(server.connections))
        assert connection.send(b"now\n")
        assert connection.queued == 0  # handed to the kernel, not to the writer
        assert read_until(sock, b"now\n") == b"now\n"
        big = bytes(range(256)) * 65536  # 16 MB: more than the socket buffers take at once
        assert connection.send(big) and connection.send(b"after\n")
        assert connection.queued >= 1  # what the kernel could not take waits for the writer
        received = bytearray()
        while not received.endswith(b"after\n"):
            chunk = sock.recv(1 << 20)
            assert chunk, "closed early"
            received += chunk
        assert received == big + b"after\n"


def test_what_the_kernel_does_not_take_is_queued_without_a_copy(server: LineServer) -> None:
    # One push to many clients that read slowly must stay one buffer, not one copy each.
    with contextlib.ExitStack() as stack:
        for _ in range(8):
            sock = stack.enter_context(socket.create_connection(server.address))
            read_until(sock, b"hello\n")  # then never read again
        connections = wait_until(lambda: len(server.connections) == 8 and list(server.connections))
        push = bytes(16 * 1024 * 1024)
        tracemalloc.start()
        try:
            assert all(connection.send(push) for connection in connections)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert all(connection.queued == 1 for connection in connections)
        assert peak < len(push)  # without views: 8 copies of what the kernel left, ~100 MB


def test_a_half_closed_peer_gets_its_answers_and_its_last_line_counts(server: LineServer) -> None:
    with socket.create_connection(server.address) as sock:
        sock.sendall(b"last line without newline")
        sock.shutdown(socket.SHUT_WR)
        assert read_all(sock) == b"hello\necho last line without newline\n"
    wait_until(lambda: CLOSED == ["closed by peer"])


def test_a_line_over_the_bound_gets_an_error_and_closes_only_that_client(
    server: LineServer,
) -> None:
    with (
        socket.create_connection(server.address) as good,
        socket.create_connection(server.address) as bad,
    ):
        bad.sendall(b"y" * 5000)
        assert read_all(bad) == b"hello\nerror line too long\n"
        good.sendall(b"still here\n")
        assert read_until(good, b"echo still here\n") == b"hello\necho still here\n"
    wait_until(lambda: "line longer than 1024 bytes" in CLOSED)


def test_a_client_that_stops_reading_is_disconnected_others_are_not(server: LineServer) -> None:
    with (
        socket.create_connection(server.address) as slow,
        socket.create_connection(server.address) as fast,
    ):
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"flood\n")
        wait_until(lambda: any("client too slow" in reason for reason in CLOSED), timeout=10)
        fast.sendall(b"ping\n")
        assert read_until(fast, b"echo ping\n") == b"hello\necho ping\n"


def test_tls_12_is_served_and_tls_10_refused(tmp_path: pathlib.Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = tls_server_context(str(cert), str(key), "1.2")
    assert context.options & ssl.OP_NO_COMPRESSION
    line_server = LineServer(
        name="tls",
        address="127.0.0.1",
        port=0,
        handler_factory=Echo,
        ssl_context=context,
        socket_timeout=2.0,
    )
    line_server.start()
    try:
        client = ssl.create_default_context(cafile=str(cert))
        client.check_hostname = False
        with socket.create_connection(line_server.address) as raw, client.wrap_socket(raw) as sock:
            assert sock.version() in ("TLSv1.2", "TLSv1.3")
            sock.settimeout(5)
            assert sock.recv(100) == b"hello\n"
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1  # the old client
        old.set_ciphers("DEFAULT:@SECLEVEL=0")
        with socket.create_connection(line_server.address) as raw, pytest.raises(ssl.SSLError):
            old.wrap_socket(raw)
    finally:
        line_server.stop()


class Upgrader(Echo):
    """Answers `starttls` with `go` and upgrades; echoes anything else as `clear …`/`tls …`."""

    context: ssl.SSLContext

    def line_received(self, line: bytes) -> None:
        if line == b"starttls":
            self.connection.send(b"go\n")
            self.connection.start_tls(self.context)
            return
        kind = b"tls " if self.connection.is_tls else b"clear "
        self.connection.send(kind + line + b"\n")


@pytest.fixture
def upgrading(tmp_path: pathlib.Path) -> Iterator[tuple[LineServer, ssl.SSLContext]]:
    certfile, keyfile = self_signed(tmp_path)
    CLOSED.clear()
    Upgrader.context = tls_server_context(certfile, keyfile)
    line_server = LineServer(
        name="starttls",
        address="127.0.0.1",
        port=0,
        handler_factory=Upgrader,
        socket_timeout=2.0,
    )
    line_server.start()
    client = ssl.create_default_context(cafile=certfile)
    try:
        yield line_server, client
    finally:
        line_server.stop()


def test_start_tls_upgrades_the_same_connection_after_the_answer(
    upgrading: tuple[LineServer, ssl.SSLContext],
) -> None:
    server, client = upgrading
    with socket.create_connection(server.address) as raw:
        raw.sendall(b"ping\n")
        assert read_until(raw, b"clear ping\n") == b"hello\nclear ping\n"
        raw.sendall(b"starttls\n")
        assert read_until(raw, b"go\n") == b"go\n"  # in clear, before the handshake
        with client.wrap_socket(raw, server_hostname="localhost") as sock:
            assert sock.version() in ("TLSv1.2", "TLSv1.3")
            sock.sendall(b"ping\n")
            assert read_until(sock, b"tls ping\n") == b"tls ping\n"
            assert [connection.is_tls for connection in server.connections] == [True]


def test_bytes_sent_in_clear_behind_the_request_close_the_connection(
    upgrading: tuple[LineServer, ssl.SSLContext],
) -> None:
    server, _ = upgrading
    with socket.create_connection(server.address) as raw:
        raw.sendall(b"starttls\nlogin_pass injected\n")
        read_all(raw)  # the server closes; nothing of the injected line is answered
    wait_until(lambda: CLOSED, message="the connection closed")
    assert CLOSED == ["data sent in clear after asking for TLS"]


def test_a_failed_handshake_closes_only_that_connection(
    upgrading: tuple[LineServer, ssl.SSLContext],
) -> None:
    server, _ = upgrading
    with socket.create_connection(server.address) as raw:
        raw.sendall(b"starttls\n")
        read_until(raw, b"go\n")
        raw.sendall(b"\x16\x03\x01\x00\x05hello")  # a TLS record that holds no ClientHello
        with contextlib.suppress(ConnectionResetError):  # closed with our bytes unread
            assert b"tls" not in read_all(raw)
    wait_until(lambda: CLOSED, message="the connection closed")
    assert CLOSED[0].startswith("TLS handshake failed"), CLOSED
    with socket.create_connection(server.address) as other:
        other.sendall(b"ping\n")
        assert read_until(other, b"clear ping\n") == b"hello\nclear ping\n"
