"""The FastAGI server: Asterisk connects, sends its `agi_*` header, the script of that name runs.

Every request is bounded by one deadline (header and script together), well under a ring: a slow
directory or a hung handler returns the call to the dialplan instead of holding it. Scripts come
from the registration hook, looked up per request so a reload can change them.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any

import gevent
import gevent.pool
import gevent.server

from ctid_fagi.protocol import AgiProtocolError, AgiRequest
from ctid_fagi.session import AgiError, AgiSession

log = logging.getLogger(__name__)

Script = Callable[[AgiSession, AgiRequest], Any]
GRACE = 0.05
"""Seconds past the deadline after which a script that ignored it loses its connection."""


class FagiServer:
    """Accepts Asterisk's FastAGI connections and runs one script per connection."""

    def __init__(
        self,
        address: tuple[str, int],
        scripts: Callable[[], Mapping[str, Script]],
        *,
        deadline: float,
        max_connections: int,
    ) -> None:
        self.scripts = scripts
        self.deadline = deadline
        self.served = 0
        self.unknown = 0
        self.timeouts = 0
        self.failures = 0
        self._server = gevent.server.StreamServer(
            address, self._handle, spawn=gevent.pool.Pool(max_connections)
        )

    @property
    def address(self) -> tuple[str, int]:
        """The bound address."""
        host, port = self._server.address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Bind and accept."""
        self._server.start()
        log.info("FastAGI listening on %s:%d", *self.address)

    def stop(self) -> None:
        """Stop accepting and end the requests in flight."""
        self._server.stop(timeout=1)

    def _handle(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        stream = sock.makefile("rb")
        session = AgiSession(stream.readline, sock.sendall)
        script = "?"
        # A script may swallow the Timeout below (a bare `except:` in a retry loop): the call
        # is then handed back all the same, by shutting the socket just after the deadline.
        guard = gevent.spawn_later(
            self.deadline + GRACE, self._abandon, sock, session, peer, gevent.getcurrent()
        )
        try:
            with gevent.Timeout(self.deadline):
                request = session.read_request()
                script = request.script
                self._run(session, request)
        except gevent.Timeout:
            self.timeouts += 1
            log.warning(
                "FastAGI %s from %s exceeded its %.2f s deadline; the call goes on",
                script,
                peer[0],
                self.deadline,
            )
        except AgiError as exc:
            log.info("FastAGI %s from %s ended: %s", script, peer[0], exc)
        except (AgiProtocolError, OSError) as exc:
            log.warning("FastAGI request from %s refused: %s", peer[0], exc)
        finally:
            guard.kill(block=False)
            stream.close()
            sock.close()

    def _abandon(
        self, sock: socket.socket, session: AgiSession, peer: tuple[str, int], handler: Any
    ) -> None:
        self.timeouts += 1
        script = session.request.script if session.request is not None else "?"
        log.error(
            "FastAGI %s from %s ignored its %.2f s deadline; the call goes on without it",
            script,
            peer[0],
            self.deadline,
        )
        with contextlib.suppress(OSError):  # Asterisk may have hung up already
            sock.shutdown(socket.SHUT_RDWR)
        handler.kill(block=False)  # it may swallow this too; then it only holds its pool slot

    def _run(self, session: AgiSession, request: AgiRequest) -> None:
        handler = self.scripts().get(request.script)
        if handler is None:
            self.unknown += 1
            log.warning("FastAGI: no script named %r (from %s)", request.script, request.channel)
            session.verbose(f"ctid: no FastAGI script named {request.script}", 1)
            return
        try:
            handler(session, request)
        except AgiError:
            raise
        except Exception:
            self.failures += 1
            log.exception("FastAGI script %s failed on %s", request.script, request.channel)
            return
        self.served += 1

    def status(self) -> dict[str, Any]:
        """Counters for status and the info console."""
        return {
            "served": self.served,
            "unknown": self.unknown,
            "timeouts": self.timeouts,
            # not `failures`: that key is the core's count of this plugin's hook failures
            "script_failures": self.failures,
        }
