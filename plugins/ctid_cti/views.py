"""How each kind of object looks to clients: pure functions from the user directory and call
model snapshots to `Item`s (an id, the contexts it belongs to, a config, a status)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import AgentInfo, ChannelInfo, QueueInfo, User, UserDirectory

AGENT_STATE_PREFIX = "Agent:"
AGENT_CHANNEL_PREFIX = "Agent/"
DEVICE_HINTS = {
    "NOT_INUSE": "0",
    "INUSE": "1",
    "BUSY": "2",
    "UNAVAILABLE": "4",
    "RINGING": "8",
    "RINGINUSE": "9",
    "ONHOLD": "16",
}
"""DeviceStateChange states → the ExtensionState codes clients know as `hintstatus`."""
UNKNOWN_HINT = "4"
AGENT_STATUS = {"idle": "AGENT_IDLE", "ringing": "AGENT_ONCALL", "busy": "AGENT_ONCALL"}
LOGGED_OFF = "AGENT_LOGGEDOFF"


@dataclasses.dataclass(frozen=True)
class Item:
    """One object of a list, as clients see it."""

    id: str
    contexts: frozenset[str]
    config: dict[str, Any]
    status: dict[str, Any]


class ItemMemo:
    """The items of one list kept between its builds, each with the facts it was built from.

    The lists are rebuilt after AMI events, logins and presence changes, for thousands of
    objects: an item whose facts did not change is the same object as last time, so it costs
    neither garbage nor a comparison in the status push (`is`).
    """

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple[Any, ...], Item]] = {}
        self._next: dict[str, tuple[tuple[Any, ...], Item]] = {}

    def item(self, key: str, facts: tuple[Any, ...], build: Callable[[], Item]) -> Item:
        """The item kept for `key` when it was built from equal `facts`, else `build()`."""
        known = self._kept.get(key)
        item = known[1] if known is not None and known[0] == facts else build()
        self._next[key] = (facts, item)
        return item

    def done(self) -> None:
        """A build ended: keep what it asked for, forget the rest (objects gone)."""
        self._kept, self._next = self._next, {}


def phones(
    users: list[User],
    devices: Mapping[str, str],
    live: tuple[ChannelInfo, ...],
    known_queues: tuple[QueueInfo, ...],
    memo: ItemMemo | None = None,
) -> list[Item]:
    """One phone per user line; status from the device state and the live channels (with
    `memo`, unchanged phones are the items of the previous build)."""
    on_device: dict[str, list[str]] = {}
    for channel in live:
        on_device.setdefault(channel.interface.lower(), []).append(channel.name)
    member_of: dict[str, list[str]] = {}
    for queue in known_queues:
        for member in queue.members:
            member_of.setdefault(member.interface.lower(), []).append(queue.name)
    memo = memo if memo is not None else ItemMemo()
    items = []
    for user in users:
        for line in user.lines:
            device = line.interface.lower()
            channels, queues = on_device.get(device, []), member_of.get(device, [])
            facts = (user, line, devices.get(line.interface), channels, queues)
            build = functools.partial(_phone, user, line, devices, channels, queues)
            items.append(memo.item(line.id, facts, build))
    memo.done()
    return items


def _phone(
    user: User,
    line: Any,
    devices: Mapping[str, str],
    channels: list[str],
    queues: list[str],
) -> Item:
    config = {
        "context": line.context,
        "protocol": line.interface.partition("/")[0].lower(),
        "number": line.number,
        "identity": line.interface,
        "iduserfeatures": user.id,
    }
    status = {
        "hintstatus": _hint(line.interface, devices, bool(channels)),
        "reg": "",
        "channels": channels,
        "queues": queues,
        "groups": [],
    }
    return Item(line.id, frozenset({line.context}), config, status)


def _hint(interface: str, devices: Mapping[str, str], busy: bool) -> str:
    state = devices.get(interface)
    if state is not None:
        return DEVICE_HINTS.get(state, UNKNOWN_HINT)
    if interface.startswith("Local/"):
        return "1" if busy else "0"  # idle Local devices are not reported by Asterisk
    return UNKNOWN_HINT


def channels(
    live: tuple[ChannelInfo, ...], contexts_of: Callable[[ChannelInfo], frozenset[str]]
) -> list[Item]:
    """Every live channel; `peers` are the other channels of its bridge."""
    bridged: dict[str, list[str]] = {}
    for channel in live:
        if channel.bridge:
            bridged.setdefault(channel.bridge, []).append(channel.name)
    items = []
    for channel in live:
        peers = [name for name in bridged.get(channel.bridge, []) if name != channel.name]
        config = {"name": channel.name, "interface": channel.interface}
        status = {
            "state": channel.state,
            "uniqueid": channel.uniqueid,
            "linkedid": channel.linkedid,
            "caller_num": channel.caller_num,
            "caller_name": channel.caller_name,
            "connected_num": channel.connected_num,
            "connected_name": channel.connected_name,
            "holded": channel.on_hold,
            "queue": channel.queue,
            "peers": peers,
        }
        items.append(Item(channel.name, contexts_of(channel), config, status))
    return items


def agent_number(interface: str, state_interface: str) -> str:
    """The agent behind a queue member ("" when it is not an agent)."""
    if state_interface.startswith(AGENT_STATE_PREFIX):
        return state_interface[len(AGENT_STATE_PREFIX) :]
    if interface.startswith(AGENT_CHANNEL_PREFIX):
        return interface[len(AGENT_CHANNEL_PREFIX) :]
    return ""


def queues(
    known: tuple[QueueInfo, ...], users: UserDirectory, configured: Mapping[str, list[str]]
) -> list[Item]:
    """Every queue the model knows (and every configured one), with its members."""
    by_name = {queue.name: queue for queue in known}
    items = []
    for name in dict.fromkeys([*by_name, *configured]):
        queue = by_name.get(name)
        members, contexts = _members(queue, users)
        if name in configured:
            contexts = set(configured[name])
        config = {
            "name": name,
            "displayname": name,
            "number": "",
            "context": min(contexts, default=""),
        }
        status = {
            "agentmembers": [m["agent"] for m in members if m["agent"]],
            "phonemembers": [m["phone"] for m in members if m["phone"]],
            "members": members,
            "incalls": len(queue.callers) if queue else 0,
            "abandoned": queue.abandoned if queue else 0,
        }
        items.append(Item(name, frozenset(contexts), config, status))
    return items


def _members(
    queue: QueueInfo | None, users: UserDirectory
) -> tuple[list[dict[str, Any]], set[str]]:
    members: list[dict[str, Any]] = []
    contexts: set[str] = set()
    for member in queue.members if queue else ():
        agent = agent_number(member.interface, member.state_interface)
        owner = users.by_agent(agent) if agent else users.by_interface(member.interface)
        phone = ""
        if owner is not None:
            contexts |= owner.contexts
            if not agent:
                lines = [
                    ln for ln in owner.lines if ln.interface.lower() == member.interface.lower()
                ]
                phone = lines[0].id if lines else ""
        members.append(
            {
                "interface": member.interface,
                "agent": agent,
                "phone": phone,
                "paused": member.paused in ("1", "true"),
                "status": member.status,
                "membership": member.membership,
            }
        )
    return members, contexts


def agents(
    users: list[User], logged: tuple[AgentInfo, ...], known_queues: tuple[QueueInfo, ...]
) -> list[Item]:
    """The agents of users (`agent:` in their config), logged in or not."""
    online = {agent.agent: agent for agent in logged}
    queues_of: dict[str, list[str]] = {}
    paused_in: dict[str, list[str]] = {}
    for queue in known_queues:
        for member in queue.members:
            number = agent_number(member.interface, member.state_interface)
            if number:
                queues_of.setdefault(number, []).append(queue.name)
                if member.paused in ("1", "true"):
                    paused_in.setdefault(number, []).append(queue.name)
    items = []
    for user in users:
        if not user.agent:
            continue
        state = online.get(user.agent)
        config = {
            "number": user.agent,
            "firstname": user.firstname,
            "lastname": user.lastname,
            "userid": user.id,
            "context": min(user.contexts, default=""),
        }
        status = {
            "status": AGENT_STATUS.get(state.status, "AGENT_IDLE") if state else LOGGED_OFF,
            "channel": state.channel if state else "",
            "queues": queues_of.get(user.agent, []),
            "pausedqueues": paused_in.get(user.agent, []),
        }
        items.append(Item(user.agent, user.contexts, config, status))
    return items
