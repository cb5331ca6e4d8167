"""Line-framed gevent servers: TCP or TLS, a bounded pool, a bounded line and outbound queue.

Every port ctid serves to humans or programs that may misbehave (CTI, webi, info, FastAGI) is one
of these. A client that sends a line longer than the bound, or that stops reading until its queue
is full, or whose writes stall past `timeouts.socket`, is disconnected with a logged reason; the
others never notice. A clear connection may be upgraded to TLS in place (`start_tls`, for
protocols with a STARTTLS step).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Any, Protocol

import gevent
import gevent.event
import gevent.pool
import gevent.queue
import gevent.server

log = logging.getLogger(__name__)

_CLOSE = object()
_BATCH = 256
TLS_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


class _Upgrade:
    """Writer-queue marker of a STARTTLS upgrade: what is queued before it goes out in clear."""

    def __init__(self) -> None:
        self.flushed = gevent.event.Event()
        """Set by the writer once everything queued before the marker is written."""
        self.resumed = gevent.event.Event()
        """Set by the reader once the socket is wrapped (or the upgrade failed)."""


class LineHandler(Protocol):
    """What a protocol implements to be served by a LineServer (one instance per connection)."""

    def connected(self) -> None:
        """The connection is up (after the TLS handshake): send a banner, arm timers."""

    def line_received(self, line: bytes) -> None:
        """One line, without its end of line (`\\n` or `\\r\\n`)."""

    def line_too_long(self) -> bytes | None:
        """The client exceeded the line bound; return a last message to send, or None."""

    def closed(self, reason: str) -> None:
        """The connection is gone; release what it held."""


HandlerFactory = Callable[["LineConnection"], LineHandler]


def tls_server_context(certfile: str, keyfile: str, min_version: str = "1.2") -> ssl.SSLContext:
    """A server-side TLS context: the given minimum version, no compression, no renegotiation."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS_VERSIONS[min_version]
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    if TLS_VERSIONS[min_version] < ssl.TLSVersion.TLSv1_2:
        # OpenSSL 3 refuses TLS < 1.2 at its default security level; the operator asked for it.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_cert_chain(certfile, keyfile)
    return context


class LineConnection:
    """One client: a reader loop feeding its handler and a writer draining a bounded queue."""

    def __init__(self, server: LineServer, sock: socket.socket, peer: tuple[str, int]) -> None:
        self.server = server
        self.sock = sock
        self.peer = (str(peer[0]), int(peer[1]))
        self.handler: LineHandler | None = None
        self.closed = False
        self.reason = ""
        self.state: dict[str, Any] = {}
        self._queue: gevent.queue.Queue[object] = gevent.queue.Queue(server.queue_size)
        self._tls_asked: ssl.SSLContext | None = None
        self._writer: gevent.Greenlet | None = None
        self._idle = False
        """The writer waits for bytes: none are on their way, `send` may write directly."""

    def __repr__(self) -> str:
        return f"<{self.server.name} connection {self.peer[0]}:{self.peer[1]}>"

    @property
    def is_tls(self) -> bool:
        """Whether this connection is encrypted."""
        return isinstance(self.sock, ssl.SSLSocket)

    @property
    def queued(self) -> int:
        """Messages waiting to be written."""
        return int(self._queue.qsize())

    def send(self, data: bytes | memoryview) -> bool:
        """Queue bytes for the client; a full queue disconnects it. Never blocks."""
        if self.closed:
            return False
        if self._idle and self._queue.empty() and not self.is_tls:
            # Nothing is waiting before these bytes: hand them to the kernel now, saving the
            # writer's wake-up (what a push to thousands of clients mostly costs); what the
            # kernel does not take at once is left to the writer.
            written = self._send_now(data)
            if written < 0:
                return False
            if written == len(data):
                return True
            # A view, not a copy: the same push stays one buffer for thousands of clients.
            data = memoryview(data)[written:]
        try:
            self._queue.put_nowait(data)
        except gevent.queue.Full:
            self.close(f"client too slow: {self.server.queue_size} messages queued", flush=False)
            return False
        return True

    def close(self, reason: str, *, flush: bool = True) -> None:
        """Disconnect; with `flush`, what is queued is written first (within the write deadline)."""
        if self.closed:
            return
        self.closed, self.reason = True, reason
        log.info("%s: %s:%d disconnected: %s", self.server.name, *self.peer, reason)
        if flush:
            try:
                self._queue.put_nowait(_CLOSE)
                return
            except gevent.queue.Full:
                pass
        self._shutdown()
        with contextlib.suppress(gevent.queue.Full):
            # An idle writer would otherwise wait on the queue until `serve` gives up on it.
            self._queue.put_nowait(_CLOSE)

    def start_tls(self, context: ssl.SSLContext) -> None:
        """Upgrade this clear connection to TLS (server side), right after the current line.

        Call it from `line_received`, after queueing the answer that tells the client to start
        its handshake. Once that handler returns, what is queued is written in clear, then the
        reader greenlet runs the handshake under the socket timeout; every byte read or written
        after that is encrypted. A client that sent more bytes behind the line asking for TLS is
        disconnected: bytes read in clear must never pass for bytes read inside TLS (the
        STARTTLS command-injection flaw). A failed handshake closes the connection.
        """
        if self.is_tls:
            raise RuntimeError(f"{self!r} is already encrypted")
        self._tls_asked = context

    def _upgrade(self, unread: bool) -> bool:
        """Run an upgrade `start_tls` asked for; False when the connection is closed instead."""
        context, self._tls_asked = self._tls_asked, None
        assert context is not None and self._writer is not None
        if unread:
            self.close("data sent in clear after asking for TLS", flush=False)
            return False
        marker = _Upgrade()
        try:
            self._queue.put_nowait(marker)
            with gevent.Timeout(self.server.socket_timeout):
                gevent.wait([marker.flushed, self._writer], count=1)
                if self.closed:  # the writer failed or another greenlet closed us meanwhile
                    return False
                self.sock = context.wrap_socket(self.sock, server_side=True)
        except gevent.queue.Full:
            self.close(f"client too slow: {self.server.queue_size} messages queued", flush=False)
            return False
        except (gevent.Timeout, OSError, ssl.SSLError) as exc:
            self.close(f"TLS handshake failed: {exc or 'timed out'}", flush=False)
            return False
        finally:
            marker.resumed.set()
        log.debug("%s: %s:%d switched to %s", self.server.name, *self.peer, self.sock.version())
        return True

    def _send_now(self, data: bytes | memoryview) -> int:
        """Write what the socket takes without waiting: the bytes written, -1 when it failed."""
        sock: Any = self.sock  # gevent's socket: with timeout 0.0, send never waits
        try:
            return int(sock.send(data, 0, timeout=0.0))
        except BlockingIOError:
            return 0
        except OSError as exc:
            self.close(f"write error: {exc}", flush=False)
            return -1

    def _shutdown(self) -> None:
        with contextlib.suppress(OSError):  # already gone: nothing left to tell the peer
            self.sock.shutdown(socket.SHUT_RDWR)

    def serve(self, factory: HandlerFactory) -> None:
        """Run the connection until it closes (called in the pool greenlet)."""
        writer = self._writer = gevent.spawn(self._write_loop)
        try:
            self.handler = factory(self)
            self.handler.connected()
            self._read_loop()
        except Exception:
            log.exception("%s: handler for %s:%d failed", self.server.name, *self.peer)
            self.close("internal error", flush=False)
        finally:
            if not self.closed:
                self.close("closed by peer", flush=False)
            writer.join(timeout=self.server.socket_timeout)
            writer.kill(block=False)
            self.sock.close()
            if self.handler is not None:
                self.handler.closed(self.reason)

    def _read_loop(self) -> None:
        # The unterminated line so far. Only each new chunk is scanned and appended: a client
        # trickling a long line in small pieces costs time linear in its length, not quadratic.
        partial = bytearray()
        limit = self.server.max_line
        while not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ssl.SSLError) as exc:
                if not self.closed:
                    self.close(f"read error: {exc}", flush=False)
                return
            if not chunk:
                self._end_of_input(bytes(partial))
                return
            *lines, rest = chunk.split(b"\n")
            if lines and partial:
                lines[0] = bytes(partial) + lines[0]
                partial.clear()
            for index, line in enumerate(lines, 1):
                if len(line) > limit:
                    self._too_long(limit)
                    return
                if self.closed:
                    return
                assert self.handler is not None
                self.handler.line_received(line.removesuffix(b"\r"))
                if self._tls_asked is not None and not self._upgrade(
                    unread=index < len(lines) or bool(rest)
                ):
                    return
            partial += rest
            if len(partial) > limit:
                self._too_long(limit)
                return

    def _end_of_input(self, rest: bytes) -> None:
        """The peer shut its sending side (`nc -N`, a script's SHUT_WR): a last line without
        its newline still counts, and the answers already queued are still written."""
        if rest and not self.closed:
            assert self.handler is not None
            self.handler.line_received(rest.removesuffix(b"\r"))
        self.close("closed by peer")

    def _too_long(self, limit: int) -> None:
        assert self.handler is not None
        last = self.handler.line_too_long()
        if last:
            self.send(last)
        self.close(f"line longer than {limit} bytes")

    def _write_loop(self) -> None:
        while True:
            batch, mark = self._take_batch()
            if batch:
                try:
                    with gevent.Timeout(self.server.socket_timeout):
                        self.sock.sendall(batch[0] if len(batch) == 1 else b"".join(batch))
                except gevent.Timeout:
                    self.close("client too slow: write timed out", flush=False)
                    return
                except (OSError, ssl.SSLError) as exc:
                    self.close(f"write error: {exc}", flush=False)
                    return
            if mark is _CLOSE:
                self._shutdown()
                return
            if isinstance(mark, _Upgrade):
                # Nothing may be written while the reader swaps the socket for its TLS twin.
                mark.flushed.set()
                mark.resumed.wait()

    def _take_batch(self) -> tuple[list[bytes | memoryview], object]:
        """Queued bytes up to the batch size, and the marker (close, upgrade) that ended it."""
        self._idle = True
        try:
            first = self._queue.get()
        finally:
            self._idle = False
        if first is _CLOSE or isinstance(first, _Upgrade):
            return [], first
        batch: list[bytes | memoryview] = [first]
        while len(batch) < _BATCH and not self._queue.empty():
            item = self._queue.get_nowait()
            if item is _CLOSE or isinstance(item, _Upgrade):
                return batch, item
            batch.append(item)
        return batch, None


KEEPALIVE_PROBES = 4


def tune_socket(sock: socket.socket, dead_peer: float) -> None:
    """Set the options of an accepted connection.

    - TCP_NODELAY: the writer already batches what is queued into one send; Nagle would only
      hold a message back until the client acknowledges the previous one, and clients that
      just listen acknowledge late (delayed ACK): ~40 ms added to a sheet right after a push.
    - Keepalive, so the kernel drops the connection when its peer is gone for good (a desktop
      unplugged, a laptop asleep, a NAT entry expired): no FIN ever comes, and a client that
      only listens sends nothing, so its session would stay forever (and, under the `refuse`
      session policy, keep its user out). Probes start after half of `dead_peer` of silence;
      TCP_USER_TIMEOUT bounds unacknowledged writes the same way.
    """
    idle = max(1, int(dead_peer / 2))
    interval = max(1, int((dead_peer - idle) / KEEPALIVE_PROBES))
    options = [
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    ]
    if hasattr(socket, "TCP_KEEPIDLE"):  # Linux; elsewhere the system's keepalive times apply
        options += [
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle),
            (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval),
            (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE_PROBES),
        ]
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        options.append((socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(dead_peer * 1000)))
    for level, option, value in options:
        with contextlib.suppress(OSError):  # the peer may already be gone: the reader sees it
            sock.setsockopt(level, option, value)


class LineServer:
    """A TCP (or TLS) server of line-framed connections with bounds on everything."""

    def __init__(
        self,
        *,
        name: str,
        address: str,
        port: int,
        handler_factory: HandlerFactory,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 20000,
        max_line: int = 65536,
        queue_size: int = 2000,
        socket_timeout: float = 10.0,
        dead_peer: float = 120.0,
    ) -> None:
        self.name = name
        self.factory = handler_factory
        self.ssl_context = ssl_context
        self.max_line = max_line
        self.queue_size = queue_size
        self.socket_timeout = socket_timeout
        self.dead_peer = dead_peer
        self.connections: set[LineConnection] = set()
        self._pool = gevent.pool.Pool(max_connections)
        self._server = gevent.server.StreamServer((address, port), self._handle, spawn=self._pool)

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (the real port when 0 was asked)."""
        host, port = self._server.address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Bind and accept; raises OSError when the port is taken."""
        try:
            self._server.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(exc.errno, f"{self.name}: port {self.address[1]} is in use") from exc
            raise
        log.info(
            "%s listening on %s:%d%s",
            self.name,
            *self.address,
            " (TLS)" if self.ssl_context else "",
        )

    def stop(self, timeout: float = 1.0) -> None:
        """Stop accepting, close every connection, wait up to `timeout` for them to end."""
        self._server.close()
        for connection in list(self.connections):
            connection.close("server stopping")
        self._pool.join(timeout=timeout)
        self._pool.kill(block=False)

    def update_limits(
        self, *, max_line: int, queue_size: int, socket_timeout: float, dead_peer: float
    ) -> None:
        """Apply reloaded bounds; existing connections keep their queue and keepalive, the rest
        applies now."""
        self.max_line, self.queue_size, self.socket_timeout = max_line, queue_size, socket_timeout
        self.dead_peer = dead_peer

    def _handle(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        tune_socket(sock, self.dead_peer)
        if self.ssl_context is not None:
            try:
                with gevent.Timeout(self.socket_timeout):
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
            except (gevent.Timeout, OSError, ssl.SSLError) as exc:
                log.info(
                    "%s: TLS handshake with %s:%d failed: %s",
                    self.name,
                    peer[0],
                    peer[1],
                    exc or "timed out",
                )
                sock.close()
                return
        connection = LineConnection(self, sock, peer)
        self.connections.add(connection)
        try:
            connection.serve(self.factory)
        finally:
            self.connections.discard(connection)
