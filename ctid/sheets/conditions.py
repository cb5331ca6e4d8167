"""Who a sheet is for: the destination users of a call event, and the recipients spec of a sheet.

`dest` follows the call model's facts in the event, never caller-supplied ids:

- `dial`, `link`, `unlink`: the user of the dialled or bridged line (`peer_exten@peer_context`,
  then `peer_interface`, a `Local/1001@default` interface meaning line 1001 in `default`); for
  `link`/`unlink` with no user there, the user of the event's own channel (a transfer target
  entering a bridge where an outside caller waits);
- `agentcalled`, `agentlinked`, `agentunlinked`: the agent's user (by agent number), then the
  user of the ringing member's interface;
- `incomingqueue`: the users of the queue's members that are not paused;
- `hangup`, `custom.<name>`: the user of the event's channel;
- `incomingdid`, `outcall`: nobody (the destination is not known yet): use `all-context`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ctid.callevents import CallEvent
from ctid.calls.channels import interface_of, local_target
from ctid.sheets.model import ALL_CONTEXT, DEST, Recipients
from ctid.users import User, UserDirectory

AGENT_EVENTS = frozenset({"agentcalled", "agentlinked", "agentunlinked"})
PEER_EVENTS = frozenset({"dial", "link", "unlink"})
BRIDGE_EVENTS = frozenset({"link", "unlink"})

QueueMembers = Callable[[str], Sequence[str]]
"""Queue name → the interfaces of its members that are not paused."""


def user_of_interface(interface: str, users: UserDirectory) -> User | None:
    """The user whose line is this device, or whose line a `Local/exten@context` rings."""
    if not interface:
        return None
    found = users.by_interface(interface)
    if found is None:
        exten, context = local_target(interface)
        if exten and context:
            found = users.by_extension(exten, context)
    return found


def user_of_channel(channel: str, users: UserDirectory) -> User | None:
    """The user whose line a channel (`PJSIP/1001-0000000a`, `Local/1001@default-…;1`) is."""
    return user_of_interface(interface_of(channel), users) if channel else None


def peer_user(event: CallEvent, users: UserDirectory) -> User | None:
    """The user of the dialled or bridged line of an event."""
    found = None
    if event.peer_exten and event.peer_context:
        found = users.by_extension(event.peer_exten, event.peer_context)
    return found or user_of_interface(event.peer_interface, users)


def agent_users(event: CallEvent, users: UserDirectory) -> list[User]:
    """The agent's user, then the user of the ringing member's interface."""
    return _unique(
        [
            users.by_agent(event.agent) if event.agent else None,
            user_of_interface(event.member_interface, users),
        ]
    )


def dest_users(
    event: CallEvent, users: UserDirectory, queue_members: QueueMembers | None = None
) -> list[User]:
    """The destination users of an event (see the module docstring), best first."""
    where = event.where
    if where in AGENT_EVENTS:
        return agent_users(event, users)
    if where in PEER_EVENTS:
        found = peer_user(event, users)
        if found is None and where in BRIDGE_EVENTS:
            found = user_of_channel(event.channel, users)
        return _unique([found])
    if where == "incomingqueue":
        members = queue_members(event.queue) if queue_members and event.queue else ()
        return _unique(user_of_interface(member, users) for member in members)
    if where == "hangup" or where.startswith("custom."):
        return _unique([user_of_channel(event.channel, users)])
    return []


def calling_user(event: CallEvent, users: UserDirectory) -> User | None:
    """The user who placed the call: the user of the event's channel, or for an internal call
    the user whose line has the caller number in the channel's context."""
    found = user_of_channel(event.channel, users)
    if found is None and event.direction == "internal" and event.caller_num and event.context:
        found = users.by_extension(event.caller_num, event.context)
    return found


def _unique(candidates: Iterable[User | None]) -> list[User]:
    found: list[User] = []
    for user in candidates:
        if user is not None and user not in found:
            found.append(user)
    return found


def recipients(
    whom: str,
    contexts: Iterable[str],
    profiles: Iterable[str],
    event: CallEvent,
    dest: Sequence[User],
) -> Recipients:
    """The recipients spec of one sheet: `dest` resolved to user ids (conditions applied)."""
    spec = Recipients(
        whom=whom,
        event_contexts=event.contexts if whom == ALL_CONTEXT else frozenset(),
        contexts=frozenset(contexts),
        profiles=frozenset(profiles),
    )
    if whom != DEST:
        return spec
    admitted = frozenset(user.id for user in dest if spec.admits(user))
    return Recipients(whom=whom, users=admitted, contexts=spec.contexts, profiles=spec.profiles)
