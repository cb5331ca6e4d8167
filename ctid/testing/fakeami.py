"""A fake Asterisk AMI server for tests: login, common actions, scripted and replayed events.

It speaks the bytes Asterisk 22 speaks (banner, field order, messages, lists; see the
captures in tests/data/ami) on 127.0.0.1 and a random port, records every action it receives,
and lets a test break things on purpose: garbage bytes, dropped connections, a restart with
new uniqueids, or silence (connections accepted, nothing ever answered).

    with FakeAmi() as fake:
        connect_client(*fake.address)          # the code under test logs in
        fake.wait_for_login()
        fake.replay(data_dir / "ami" / "originate.txt")
        fake.wait_for_action("Ping")

Deliberately simple: one Asterisk user, every event sent to every logged-in session that has
events on (no class filtering), Redirect and Setvar change state without the dialplan events
a real Asterisk would add. The fake does not import the AMI plugin: it has its own tiny reader.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import pathlib
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import gevent
import gevent.event
import gevent.lock
from gevent.server import StreamServer

from ctid.testing.amiscript import (
    CAUSE_TEXT,
    Fields,
    SimChannel,
    SimMember,
    UniqueIds,
    event_list,
    format_message,
    load_capture,
    queue_status_items,
    rewrite_action_ids,
    track_channels,
)

log = logging.getLogger(__name__)

USERNAME = "ctid"
SECRET = "ctidpass"  # noqa: S105  (the test account of the captures' manager.conf, not a secret)
DEFAULT_COMMANDS = {"core show version": ["Asterisk 22.10.1 built by ctid-fake on x86_64"]}
_CALLER_ID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')
_OFF = ("off", "no", "false", "0")


class Action(dict[str, str]):
    """One action as received: keys as sent, first value of a repeated key in the mapping."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.pairs = pairs
        """Every header in wire order, repeats included."""
        for key, value in pairs:
            self.setdefault(key, value)

    @property
    def name(self) -> str:
        return self.header("Action")

    def header(self, key: str) -> str:
        """First value of `key`, matched case-insensitively as Asterisk does ("" if absent)."""
        return next(iter(self.getall(key)), "")

    def getall(self, key: str) -> list[str]:
        lowered = key.lower()
        return [value for k, value in self.pairs if k.lower() == lowered]


def _response(
    action: Action, status: str = "Success", message: str | None = None, extra: Fields = ()
) -> bytes:
    """Response, ActionID (echoed when sent), Message, then action-specific fields."""
    fields = [("Response", status)]
    if action_id := action.header("ActionID"):
        fields.append(("ActionID", action_id))
    if message is not None:
        fields.append(("Message", message))
    return format_message([*fields, *extra])


class FakeAmi:
    """The fake Asterisk: start it, point the code under test at `address`, script it."""

    def __init__(
        self,
        *,
        username: str = USERNAME,
        secret: str = SECRET,
        version: str = "11.0.0",
        host: str = "127.0.0.1",
        port: int = 0,
        channels: Iterable[SimChannel] = (),
        queues: Mapping[str, Iterable[SimMember]] | None = None,
        timestamps: bool = True,
        auth_failure_delay: float = 0.0,
        nodelay: bool = False,
    ) -> None:
        self.username = username
        self.secret = secret
        self.banner = f"Asterisk Call Manager/{version}\r\n".encode()
        self.host = host
        self.port = port
        self.timestamps = timestamps
        """Add `Timestamp:` to generated events, as `timestampevents = yes` does."""
        self.auth_failure_delay = auth_failure_delay
        """Asterisk waits 1 s before refusing a login; tests usually want 0."""
        self.nodelay = nodelay
        """Turn Nagle off on each connection, as Asterisk's manager does: events then leave
        one by one, as they are emitted, instead of waiting for the client's delayed ACK (up
        to 40 ms) and arriving coalesced (benchmarks of latency want this)."""
        self.silent = False
        """When true, connections are accepted and actions recorded, but nothing is written."""
        self.actions: list[Action] = []
        self.logins = 0
        self.commands: dict[str, list[str]] = dict(DEFAULT_COMMANDS)
        self.originate_failures: set[str] = set()
        """Originate `Channel`s that fail (sync: Error; async: OriginateResponse Failure)."""
        self.db: dict[tuple[str, str], str] = {}
        self.variables: dict[str, dict[str, str]] = {}
        """Per channel uniqueid ("" = globals): name → value, for Setvar/Getvar."""
        if queues is None:
            queues = {"support": [SimMember("Local/1002@default", "Phone 1002", "static")]}
        self.queues = {q: {m.interface: m for m in ms} for q, ms in queues.items()}
        self.ids = UniqueIds()
        self.booted = time.time()
        self.channels: dict[str, SimChannel] = {c.uniqueid: c for c in channels}
        """Live channels by uniqueid; CoreShowChannels lists them."""
        self._sessions: set[_Session] = set()
        self._server: StreamServer | None = None
        self._changed = gevent.event.Event()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeAmi:
        self._server = StreamServer((self.host, self.port), self._handle)
        self._server.start()
        self.port = self._server.server_port
        log.debug("fake AMI listening on %s:%s", self.host, self.port)
        return self

    def stop(self) -> None:
        """Close every connection and stop listening (a crashed or stopped Asterisk)."""
        self.drop()
        if self._server is not None:
            self._server.stop(timeout=1)
            self._server = None

    def restart(self, channels: Iterable[SimChannel | str] = ()) -> None:
        """Stop, then start on the same port as a freshly booted Asterisk.

        `channels` is the new channel set: names get fresh uniqueids from the new boot.
        Recorded actions are kept, so a test can wait for the client's second Login.
        """
        self.stop()
        self.ids = UniqueIds(after=self.ids.epoch)
        self.booted = time.time()
        self.channels = {}
        for item in channels:
            channel = item if isinstance(item, SimChannel) else self._new_channel(item)
            self.channels[channel.uniqueid] = channel
        self.start()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def __enter__(self) -> FakeAmi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- observing ---------------------------------------------------------------------------

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Block (cooperatively, no polling) until `condition()` holds.

        Raises AssertionError after `timeout` seconds, like `ctid.testing.wait_until`.
        """
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [a.name for a in self.actions]
                raise AssertionError(f"fake AMI: no {what} within {timeout}s (actions: {seen})")
            self._changed.wait(remaining)

    def wait_for_action(self, name: str, timeout: float = 5.0, *, count: int = 1) -> Action:
        """Return the `count`-th action named `name` (any case), waiting for it if needed."""

        def matching() -> list[Action]:
            return [a for a in self.actions if a.name.lower() == name.lower()]

        self.wait_until(lambda: len(matching()) >= count, timeout, f"{name} action #{count}")
        return matching()[count - 1]

    def wait_for_login(self, timeout: float = 5.0, *, count: int = 1) -> None:
        """Wait until `count` successful logins happened since this fake was created."""
        self.wait_until(lambda: self.logins >= count, timeout, f"login #{count}")

    def wait_for_disconnect(self, timeout: float = 5.0) -> None:
        """Wait until no client is connected."""
        self.wait_until(lambda: not self._sessions, timeout, "disconnect")

    @property
    def connections(self) -> int:
        return len(self._sessions)

    def _notify(self) -> None:
        # Wake every waiter once, then arm a fresh event for the next change.
        changed, self._changed = self._changed, gevent.event.Event()
        changed.set()

    # --- scripting ---------------------------------------------------------------------------

    def emit(self, name: str, body: Fields, privilege: str = "call,all") -> None:
        """Send an event (Event, Privilege, [Timestamp], body) to every logged-in session."""
        fields = [("Event", name), ("Privilege", privilege)]
        if self.timestamps:
            fields.append(("Timestamp", f"{time.time():.6f}"))
        self._send_event([*fields, *body])

    def _send_event(self, fields: Fields) -> None:
        track_channels(self.channels, dict(reversed(fields)))  # first value of repeated keys
        self.broadcast(format_message(fields), logged_in=True)

    def add_channel(self, name: str, *, announce: bool = True, **attrs: Any) -> SimChannel:
        """Create a channel with a fresh uniqueid; announce it with Newchannel by default."""
        channel = self._new_channel(name, **attrs)
        if announce:
            self.emit("Newchannel", channel.snapshot())
        self.channels[channel.uniqueid] = channel
        return channel

    def hangup_channel(self, uniqueid: str, cause: int = 16) -> None:
        channel = self.channels[uniqueid]
        cause_fields = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
        self.emit("Hangup", [*channel.snapshot(), *cause_fields])

    def _new_channel(self, name: str, **attrs: Any) -> SimChannel:
        uniqueid, suffix = self.ids.next()
        channel_name = f"{name}-{suffix}" + (";1" if name.startswith("Local/") else "")
        return SimChannel(channel=channel_name, uniqueid=uniqueid, **attrs)

    def replay(
        self, source: pathlib.Path | bytes, *, action_ids: Mapping[str, str] | None = None
    ) -> int:
        """Send the events of a capture (its `Event:` messages) in order; return their number.

        `action_ids` rewrites ActionIDs (old → new) so list items and OriginateResponse
        match the actions the client really sent. Channels are tracked as they go by.
        """
        events = [m for m in load_capture(source) if m and m[0][0] == "Event"]
        for fields in events:
            self._send_event(rewrite_action_ids(fields, action_ids or {}))
        return len(events)

    def inject(self, data: bytes) -> None:
        """Write raw bytes to every connection, logged in or not (garbage, floods, cuts)."""
        self.broadcast(data, logged_in=False)

    def drop(self) -> None:
        """Close every client connection abruptly; keep listening."""
        for session in list(self._sessions):
            session.close()

    def broadcast(self, data: bytes, *, logged_in: bool) -> None:
        for session in list(self._sessions):
            if session.events or not logged_in:
                session.send(data)

    # --- connections -------------------------------------------------------------------------

    def _handle(self, sock: Any, address: tuple[str, int]) -> None:
        if self.nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = _Session(self, sock)
        self._sessions.add(session)
        self._notify()
        try:
            session.run()
        finally:
            self._sessions.discard(session)
            session.release()
            self._notify()

    def _record(self, action: Action) -> None:
        self.actions.append(action)
        self._notify()


class _Session:
    """One client connection: read actions, answer them the way Asterisk does."""

    def __init__(self, fake: FakeAmi, sock: Any) -> None:
        self.fake = fake
        self.sock = sock
        self.rfile = sock.makefile("rb")
        self.lock = gevent.lock.RLock()
        self.authenticated = False
        self.events = False
        """Logged in with events on: receives broadcast events."""
        self.challenge = ""
        self.closed = False

    def run(self) -> None:
        self.send(self.fake.banner)
        while not self.closed:
            action = self._read_action()
            if action is None:
                return
            self.fake._record(action)
            if not self.fake.silent:
                self._dispatch(action)

    def _read_action(self) -> Action | None:
        """Lines up to an empty line; `Key: value` with leading blanks of the value skipped."""
        pairs: list[tuple[str, str]] = []
        while True:
            try:
                line = self.rfile.readline(65536)
            except OSError:
                return None
            if not line:
                return None
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if not text:
                if pairs:
                    return Action(pairs)
                continue
            key, _, value = text.partition(":")
            pairs.append((key.strip(), value.lstrip(" \t")))

    def send(self, data: bytes) -> None:
        if self.fake.silent or self.closed:
            return
        with self.lock:  # events from other greenlets must not interleave with a response
            try:
                self.sock.sendall(data)
            except OSError as exc:
                log.debug("fake AMI: client gone (%s)", exc)
                self.close()

    def close(self) -> None:
        """Hang up on the client; callable from any greenlet.

        shutdown() sends the FIN at once and wakes this session's reader with an EOF; the
        reader's greenlet then releases the file objects (closing them from here would
        collide with its pending read).
        """
        if self.closed:
            return
        self.closed = True
        self.events = False
        with contextlib.suppress(OSError):  # the peer may already be gone
            self.sock.shutdown(socket.SHUT_RDWR)

    def release(self) -> None:
        """Free the socket; only from the session's own greenlet, once `run` returned."""
        self.close()
        self.rfile.close()
        self.sock.close()

    def _dispatch(self, action: Action) -> None:
        name = action.name.lower()
        if not name:
            self.send(_response(action, "Error", "Missing action in request"))
            return
        if not self.authenticated and name not in ("login", "challenge", "logoff"):
            self.send(_response(action, "Error", "Permission denied"))
            return
        handler = getattr(self, f"_do_{name}", None)
        if handler is None:
            self.send(
                _response(
                    action,
                    "Error",
                    f"Invalid/unknown command: {action.name}. "
                    "Use Action: ListCommands to show available commands.",
                )
            )
            return
        handler(action)

    # --- authentication ----------------------------------------------------------------------

    def _do_challenge(self, action: Action) -> None:
        if action.header("AuthType").lower() != "md5":
            self.send(_response(action, "Error", "Must specify AuthType"))
            return
        self.challenge = str(100_000_000 + secrets.randbelow(900_000_000))
        self.send(_response(action, extra=[("Challenge", self.challenge)]))

    def _do_login(self, action: Action) -> None:
        if self.authenticated:
            self.send(_response(action, "Success", "Already authenticated"))
            return
        if not self._credentials_ok(action):
            if self.fake.auth_failure_delay:
                gevent.sleep(self.fake.auth_failure_delay)
            self.send(_response(action, "Error", "Authentication failed"))
            self.close()
            return
        self.authenticated = True
        # Counted before answering: a client that saw the answer can rely on the count.
        self.fake.logins += 1
        self.fake._notify()
        self.send(_response(action, "Success", "Authentication accepted"))
        self.events = action.header("Events").lower() not in _OFF
        if self.events:
            uptime = str(int(time.time() - self.fake.booted))
            body = [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")]
            head = [("Event", "FullyBooted"), ("Privilege", "system,all")]
            self.send(format_message([*head, *body]))

    def _credentials_ok(self, action: Action) -> bool:
        fake = self.fake
        if action.header("Username") != fake.username:
            return False
        if action.header("AuthType").lower() == "md5":
            if not self.challenge:
                return False
            expected = hashlib.md5((self.challenge + fake.secret).encode(), usedforsecurity=False)
            return action.header("Key").lower() == expected.hexdigest()
        return action.header("Secret") == fake.secret

    def _do_logoff(self, action: Action) -> None:
        self.send(_response(action, "Goodbye", "Thanks for all the fish."))
        self.close()

    # --- session -----------------------------------------------------------------------------

    def _do_ping(self, action: Action) -> None:
        self.send(_response(action, extra=[("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]))

    def _do_events(self, action: Action) -> None:
        self.events = action.header("EventMask").lower() not in _OFF
        self.send(_response(action, extra=[("Events", "On" if self.events else "Off")]))

    def _do_command(self, action: Action) -> None:
        command = action.header("Command")
        if not command:
            self.send(_response(action, "Error", "No command provided"))
            return
        output = self.fake.commands.get(command)
        status = "Success"
        if output is None:
            status = "Error"
            output = [
                f"No such command '{command}' "
                f"(type 'core show help {command.split()[0]}' for other possible commands)"
            ]
        lines = [("Output", line) for line in output]
        self.send(_response(action, status, "Command output follows", lines))

    # --- channels ----------------------------------------------------------------------------

    def _do_coreshowchannels(self, action: Action) -> None:
        action_id, now = action.header("ActionID"), time.monotonic()
        items = [c.core_show_channel(action_id, now) for c in self.fake.channels.values()]
        data = event_list(action_id, "Channels will follow", items, "CoreShowChannelsComplete")
        self.send(data)

    def _find_channel(self, action: Action) -> SimChannel | None:
        name = action.header("Channel")
        return next((c for c in self.fake.channels.values() if c.channel == name), None)

    def _do_hangup(self, action: Action) -> None:
        if not action.header("Channel"):
            self.send(_response(action, "Error", "No channel specified"))
            return
        channel = self._find_channel(action)
        if channel is None:
            self.send(_response(action, "Error", "No such channel"))
            return
        self.send(_response(action, "Success", "Channel Hungup"))
        self.fake.hangup_channel(channel.uniqueid, int(action.header("Cause") or 16))

    def _do_redirect(self, action: Action) -> None:
        for key in ("Channel", "Context", "Exten", "Priority"):
            if not action.header(key):
                self.send(_response(action, "Error", f"{key} not specified"))
                return
        channel = self._find_channel(action)
        if channel is None:
            message = f"Channel does not exist: {action.header('Channel')}"
            self.send(_response(action, "Error", message))
            return
        channel.context, channel.exten = action.header("Context"), action.header("Exten")
        channel.priority = action.header("Priority")
        self.send(_response(action, "Success", "Redirect successful"))

    def _do_originate(self, action: Action) -> None:
        target = action.header("Channel")
        if not target:
            self.send(_response(action, "Error", "Channel not specified"))
            return
        is_async = action.header("Async").lower() in ("true", "yes", "1", "on")
        if target in self.fake.originate_failures:
            if not is_async:
                self.send(_response(action, "Error", "Originate failed"))
                return
            self.send(_response(action, "Success", "Originate successfully queued"))
            self._originate_response(action, None)
            return
        self.send(_response(action, "Success", "Originate successfully queued"))
        match = _CALLER_ID.match(action.header("CallerID"))
        caller = match.groupdict() if match else {"name": "", "num": ""}
        channel = self.fake.add_channel(
            target,
            state=0,
            context=action.header("Context") or "default",
            exten=action.header("Exten") or "s",
            priority=action.header("Priority") or "1",
            caller_num=caller["num"],
            caller_name=caller["name"],
        )
        for state in (5, 6):
            channel.state = state
            self.fake.emit("Newstate", channel.snapshot())
        if is_async:
            self._originate_response(action, channel)

    def _originate_response(self, action: Action, channel: SimChannel | None) -> None:
        """The OriginateResponse event of an async Originate (Reason 4 = answered, 0 = failed)."""
        head = [("ActionID", action.header("ActionID"))] if action.header("ActionID") else []
        if action.header("Application"):
            where = [("Application", action.header("Application")), ("Data", action.header("Data"))]
        else:
            where = [("Context", action.header("Context")), ("Exten", action.header("Exten"))]
        body = [
            *head,
            ("Response", "Success" if channel else "Failure"),
            ("Channel", channel.channel if channel else action.header("Channel")),
            *where,
            ("Reason", "4" if channel else "0"),
            ("Uniqueid", channel.uniqueid if channel else "<unknown>"),
            ("CallerIDNum", (channel.caller_num if channel else "") or "<unknown>"),
            ("CallerIDName", (channel.caller_name if channel else "") or "<unknown>"),
        ]
        self.fake.emit("OriginateResponse", body)

    # --- variables and database --------------------------------------------------------------

    def _variable_scope(self, action: Action) -> tuple[str, SimChannel | None] | None:
        """("", None) for globals, (uniqueid, channel) for a channel; None if it is unknown."""
        if not action.header("Channel"):
            return "", None
        channel = self._find_channel(action)
        if channel is None:
            self.send(_response(action, "Error", "No such channel"))
            return None
        return channel.uniqueid, channel

    def _do_setvar(self, action: Action) -> None:
        name, value = action.header("Variable"), action.header("Value")
        if not name:
            self.send(_response(action, "Error", "No variable specified"))
            return
        scope = self._variable_scope(action)
        if scope is None:
            return
        uniqueid, channel = scope
        self.fake.variables.setdefault(uniqueid, {})[name] = value
        self.send(_response(action, "Success", "Variable Set"))
        where = channel.snapshot() if channel else [("Channel", "none"), ("Uniqueid", "none")]
        self.fake.emit("VarSet", [*where, ("Variable", name), ("Value", value)], "dialplan,all")

    def _do_getvar(self, action: Action) -> None:
        name = action.header("Variable")
        if not name:
            self.send(_response(action, "Error", "No variable specified"))
            return
        scope = self._variable_scope(action)
        if scope is None:
            return
        value = self.fake.variables.get(scope[0], {}).get(name, "")
        self.send(_response(action, extra=[("Variable", name), ("Value", value)]))

    def _db_key(self, action: Action, dot: str) -> tuple[str, str] | None:
        family, key = action.header("Family"), action.header("Key")
        if not family or not key:
            missing = "family" if not family else "key"
            self.send(_response(action, "Error", f"No {missing} specified{dot}"))
            return None
        return family, key

    def _do_dbput(self, action: Action) -> None:
        entry = self._db_key(action, "")
        if entry is not None:
            self.fake.db[entry] = action.header("Val")
            self.send(_response(action, "Success", "Updated database successfully"))

    def _do_dbget(self, action: Action) -> None:
        entry = self._db_key(action, ".")
        if entry is None:
            return
        if entry not in self.fake.db:
            self.send(_response(action, "Error", "Database entry not found"))
            return
        action_id = action.header("ActionID")
        family, key = entry
        item = [("Event", "DBGetResponse"), ("Family", family), ("Key", key)]
        item += [("Val", self.fake.db[entry])] + ([("ActionID", action_id)] if action_id else [])
        self.send(event_list(action_id, "Result will follow", [item], "DBGetComplete"))

    def _do_dbdel(self, action: Action) -> None:
        entry = self._db_key(action, ".")
        if entry is None:
            return
        if self.fake.db.pop(entry, None) is None:
            self.send(_response(action, "Error", "Database entry not found"))
        else:
            self.send(_response(action, "Success", "Key deleted successfully"))

    # --- queues ------------------------------------------------------------------------------

    def _do_queuestatus(self, action: Action) -> None:
        action_id = action.header("ActionID")
        items = queue_status_items(self.fake.queues, action_id)
        self.send(event_list(action_id, "Queue status will follow", items, "QueueStatusComplete"))

    def _do_queueadd(self, action: Action) -> None:
        queue, interface = action.header("Queue"), action.header("Interface")
        for key, value in (("Queue", queue), ("Interface", interface)):
            if not value:
                self.send(_response(action, "Error", f"'{key}' not specified."))
                return
        members = self.fake.queues.get(queue)
        if members is None:
            message = "Unable to add interface to queue: No such queue"
            self.send(_response(action, "Error", message))
            return
        if interface in members:
            self.send(_response(action, "Error", "Unable to add interface: Already there"))
            return
        member = SimMember(interface, action.header("MemberName"))
        member.paused = action.header("Paused").lower() in ("true", "yes", "1")
        member.penalty = int(action.header("Penalty") or 0)
        members[interface] = member
        self.send(_response(action, "Success", "Added interface to queue"))
        self.fake.emit("QueueMemberAdded", member.fields(queue, list_item=False), "agent,all")

    def _do_queueremove(self, action: Action) -> None:
        queue, interface = action.header("Queue"), action.header("Interface")
        if not queue or not interface:
            self.send(_response(action, "Error", "Need 'Queue' and 'Interface' parameters."))
            return
        members = self.fake.queues.get(queue)
        if members is None:
            message = "Unable to remove interface from queue: No such queue"
            self.send(_response(action, "Error", message))
            return
        if interface not in members:
            self.send(_response(action, "Error", "Unable to remove interface: Not there"))
            return
        if members[interface].membership != "dynamic":
            self.send(_response(action, "Error", "Member not dynamic"))
            return
        member = members.pop(interface)
        self.send(_response(action, "Success", "Removed interface from queue"))
        self.fake.emit("QueueMemberRemoved", member.fields(queue, list_item=False), "agent,all")

    def _do_queuepause(self, action: Action) -> None:
        interface, paused = action.header("Interface"), action.header("Paused")
        if not interface or not paused:
            self.send(_response(action, "Error", "Need 'Interface' and 'Paused' parameters."))
            return
        wanted = [action.header("Queue")] if action.header("Queue") else list(self.fake.queues)
        found = [
            (q, self.fake.queues[q][interface])
            for q in wanted
            if interface in self.fake.queues.get(q, {})
        ]
        if not found:
            self.send(_response(action, "Error", "Interface not found"))
            return
        is_paused = paused.lower() in ("true", "yes", "1")
        word = "paused" if is_paused else "unpaused"
        self.send(_response(action, "Success", f"Interface {word} successfully"))
        for queue, member in found:
            member.paused, member.reason = is_paused, action.header("Reason")
            self.fake.emit("QueueMemberPause", member.fields(queue, list_item=False), "agent,all")
