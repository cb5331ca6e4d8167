"""User presence: the state of each logged-in user, the profile's rules, and `availstate`.

A profile lists its states (`profiles.<p>.presence`): a long name, a colour, the states
reachable from it (`allowed`, default all) and the services it switches (`actions`, e.g.
`enablednd: true`). A service a state switched on is switched off again when the user moves to
a state that does not mention it, so leaving "do not disturb" ends DND. `disconnected` is the
system state of users without a session; no one can ask for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import CtiCommandError, CtiSession

DISCONNECTED = "disconnected"
SERVICES = ("enablednd", "enableunc", "enablebusy", "enablerna")
"""The services a presence state may switch (the boolean ones of ctid_cti.features)."""


class PresenceBook:
    """The current state of every logged-in user."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}

    def get(self, user_id: str) -> str:
        """The user's state, `disconnected` when it has no session."""
        return self._states.get(user_id, DISCONNECTED)

    def set(self, user_id: str, state: str) -> None:
        """Record a state (already validated)."""
        self._states[user_id] = state

    def drop(self, user_id: str) -> None:
        """The user's last session ended."""
        self._states.pop(user_id, None)


def initial_state(profile: Mapping[str, Any], requested: Any) -> str:
    """The state after login: the one asked for when the profile has it, else its default."""
    if isinstance(requested, str) and requested in profile["presence"]:
        return requested
    return str(profile["presence_default"])


def refusal(profile: Mapping[str, Any], current: str, wanted: Any) -> str | None:
    """Why `current` → `wanted` is refused (`unknown_state`, `not_allowed`), or None."""
    states = profile["presence"]
    if not isinstance(wanted, str) or wanted not in states:
        return "unknown_state"
    allowed = states[current]["allowed"] if current in states else None
    if allowed is not None and wanted not in allowed and wanted != current:
        return "not_allowed"
    return None


def service_changes(profile: Mapping[str, Any], old: str, new: str) -> dict[str, bool]:
    """The services to switch when going from `old` to `new`."""
    states = profile["presence"]
    before = _actions(states.get(old, {}))
    after = _actions(states.get(new, {}))
    changes = {key: False for key, value in before.items() if value and key not in after}
    changes.update(after)
    return changes


def _actions(state: Mapping[str, Any]) -> dict[str, bool]:
    actions = state.get("actions") or {}
    return {
        key: value is True or str(value).lower() in ("true", "1", "yes")
        for key, value in actions.items()
        if key in SERVICES
    }


def userstatus(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The `capas.userstatus` of login_capas: every state with what clients need to show it."""
    states = profile["presence"]
    return {
        name: {
            "longname": state["longname"] or name,
            "color": state["color"],
            "allowed": list(states) if state["allowed"] is None else list(state["allowed"]),
            "actions": {key: str(value).lower() for key, value in state["actions"].items()},
        }
        for name, state in states.items()
    }


Apply = Callable[[CtiSession, str, str], None]
"""Switch a session's user to a state: (session, old state, new state)."""


def availstate(book: PresenceBook, apply: Apply) -> Callable[[CtiSession, Mapping[str, Any]], None]:
    """The `availstate` command: validate against the profile, then apply."""

    def handler(session: CtiSession, message: Mapping[str, Any]) -> None:
        user = session.user
        assert user is not None  # the dispatcher runs commands for logged-in sessions only
        if "availstate" not in message:
            raise CtiCommandError("missing:availstate")
        wanted, current = message["availstate"], book.get(user.id)
        problem = refusal(session.profile, current, wanted)
        if problem is not None:
            raise CtiCommandError(problem)
        if wanted != current:
            apply(session, current, wanted)
        session.reply(message, availstate=wanted)

    return handler
