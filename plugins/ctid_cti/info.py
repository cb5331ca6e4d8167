"""Info console commands about CTI clients: `show_logged`, `kick <login>`, `disc <ip> <port>`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from ctid.api import InfoCommandError, InfoConsole, InfoHandler
from ctid_cti.sessions import Hub


def commands(current: Callable[[], Hub | None]) -> dict[str, InfoHandler]:
    """The commands, by word; `current()` is the running hub (None before start)."""

    def hub() -> Hub:
        running = current()
        if running is None:
            raise InfoCommandError("CTI is not running")
        return running

    def show_logged(console: InfoConsole, args: list[str]) -> Iterable[str]:
        """show_logged: logged-in CTI clients (login, address:port, session age)."""
        now = time.monotonic()
        lines = []
        for session in hub().sessions():
            assert session.user is not None  # hub.sessions() are logged in
            host, port = session.peer
            lines.append(f"{session.user.login} {host}:{port} {now - session.started:.0f}s")
        return lines

    def kick(console: InfoConsole, args: list[str]) -> Iterable[str]:
        """kick <login>: force every CTI session of a user out (its client stops reconnecting)."""
        if len(args) != 1:
            raise InfoCommandError("usage: kick <login>")
        found = [s for s in hub().sessions() if s.user is not None and s.user.login == args[0]]
        if not found:
            raise InfoCommandError(f"{args[0]} is not logged in")
        for session in found:
            hub().expel(session, f"kicked from the info console by {console.peer[0]}")
        return [f"kicked {args[0]} ({len(found)} session{'s' if len(found) > 1 else ''})"]

    def disc(console: InfoConsole, args: list[str]) -> Iterable[str]:
        """disc <ip> <port>: close one CTI connection, logged in or not."""
        if len(args) != 2 or not args[1].isdigit():
            raise InfoCommandError("usage: disc <ip> <port>")
        peer = (args[0], int(args[1]))
        found = [s for s in list(hub().connections) if s.peer == peer]
        if not found:
            raise InfoCommandError(f"no CTI connection from {args[0]}:{args[1]}")
        for session in found:
            session.close(f"disconnected from the info console by {console.peer[0]}")
        return [f"disconnected {args[0]}:{args[1]}"]

    return {"show_logged": show_logged, "kick": kick, "disc": disc}
