"""User services (do not disturb, call forwards) kept in Asterisk's AstDB, and featuresget/put.

Asterisk is the place of truth, so the dialplan can act on them: each service is one key,
`<family>/<userid>/<key>` (family `ctid` by default), read in the dialplan as
`${DB(ctid/<userid>/enablednd)}`. Booleans are stored as `1`/`0`, destinations as the number.
ctid writes with AMI DBPut and reads with DBGet (a missing key is the default: off, empty).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import CtiCommandError, Ctid, CtiSession, User
from ctid_cti.actions import Action, Fields, Runner, attempt, outcome
from ctid_cti.targets import Targets, dial_number

DESTINATIONS = {"enableunc": "destunc", "enablebusy": "destbusy", "enablerna": "destrna"}
BOOLEANS = ("enablednd", *DESTINATIONS)
KEYS = ("enablednd", "enableunc", "destunc", "enablebusy", "destbusy", "enablerna", "destrna")
DEFAULTS: dict[str, Any] = {key: "" if key.startswith("dest") else False for key in KEYS}
SERVICE_OF = {
    "enablednd": "enablednd",
    "enableunc": "fwdunc",
    "destunc": "fwdunc",
    "enablebusy": "fwdbusy",
    "destbusy": "fwdbusy",
    "enablerna": "fwdrna",
    "destrna": "fwdrna",
}
"""The profile's `services` entry that allows a key to be set."""
_TRUE = (True, 1, "1", "true", "yes", "on")
_FALSE = (False, 0, "0", "false", "no", "off", "")


class FeatureStore:
    """Reads and writes the services of users through AMI; remembers the last values seen."""

    def __init__(
        self,
        ctid: Ctid,
        *,
        family: Callable[[], str],
        timeout: Callable[[], float],
        changed: Callable[[str], None],
    ) -> None:
        self.ctid = ctid
        self._family = family
        self._timeout = timeout
        self._changed = changed
        self._cache: dict[str, dict[str, Any]] = {}

    def get(self, user_id: str) -> dict[str, Any]:
        """The last known values (defaults until read)."""
        return dict(self._cache.get(user_id, DEFAULTS))

    def forget(self, user_id: str) -> None:
        """The user is gone."""
        self._cache.pop(user_id, None)

    def load(self, user_id: str) -> tuple[bool, str]:
        """Read every key (one DBGet each); `(False, reason)` when Asterisk cannot answer."""
        values = dict(DEFAULTS)
        for key in KEYS:
            fields: Fields = {"Family": self.family_of(user_id), "Key": key}
            result, problem = attempt(self.ctid.ipbx, Action("DBGet", fields, self._timeout()))
            if result is None:
                return False, problem
            if result.ok:  # an Error is "Database entry not found": the default stands
                found = result.events[0] if result.events else result.fields
                values[key] = from_db(key, found.get("Val", ""))
        self._remember(user_id, values)
        return True, ""

    def put(self, user_id: str, values: Mapping[str, Any]) -> tuple[bool, str]:
        """Write `values` (one DBPut per key); clients hear of each change."""
        for key, value in values.items():
            fields: Fields = {"Family": self.family_of(user_id), "Key": key, "Val": to_db(value)}
            ok, text = outcome(self.ctid.ipbx, Action("DBPut", fields, self._timeout()))
            if not ok:
                return False, text
            self._remember(user_id, {**self.get(user_id), key: value})
        return True, ""

    def family_of(self, user_id: str) -> str:
        """The AstDB family of a user's keys."""
        return f"{self._family()}/{user_id}"

    def _remember(self, user_id: str, values: dict[str, Any]) -> None:
        if self._cache.get(user_id, DEFAULTS) != values:
            self._cache[user_id] = values
            self._changed(user_id)


def to_db(value: Any) -> str:
    """A service value as stored in AstDB."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def from_db(key: str, text: str) -> Any:
    """A stored value back as clients see it."""
    return text if key.startswith("dest") else text.strip().lower() in ("1", "true", "yes")


def parse_put(message: Mapping[str, Any]) -> dict[str, Any]:
    """The changes a featuresput asks for, validated.

    `{"function": "enablednd", "value": true}`; `{"function": "enableunc", "value": true,
    "destination": "1002"}`; `{"function": "fwd", "value": {"enableunc": true, "destunc": "1002"}}`.
    """
    function = message.get("function")
    if not isinstance(function, str) or "value" not in message:
        raise CtiCommandError("missing:function,value")
    value = message["value"]
    if function == "fwd":
        if not isinstance(value, dict) or not value:
            raise CtiCommandError("invalid_value")
        return {key: _checked(key, item) for key, item in value.items()}
    if function not in BOOLEANS:
        raise CtiCommandError("unknown_function")
    changes = {function: _checked(function, value)}
    if function in DESTINATIONS and "destination" in message:
        changes[DESTINATIONS[function]] = _checked(DESTINATIONS[function], message["destination"])
    return changes


def _checked(key: Any, value: Any) -> Any:
    if key in BOOLEANS:
        if value in _TRUE or (isinstance(value, str) and value.lower() in _TRUE):
            return True
        if value in _FALSE or (isinstance(value, str) and value.lower() in _FALSE):
            return False
        raise CtiCommandError("invalid_value")
    if key in DESTINATIONS.values():
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise CtiCommandError("invalid_value")
        return dial_number(str(value)) if str(value) else ""
    raise CtiCommandError("unknown_function")


class FeatureCommands:
    """featuresget and featuresput, on the caller's own services (or, acts_for_others, a
    user's of the same tenant named by `userid`)."""

    def __init__(self, store: FeatureStore, targets: Targets, runner: Runner) -> None:
        self.store = store
        self.targets = targets
        self.runner = runner

    def _whose(self, session: CtiSession, message: Mapping[str, Any]) -> User:
        me = self.targets.me(session)
        named = message.get("userid")
        if named in (None, "", me.id) or not self.targets.others_allowed(session):
            return me
        return self.targets.user(session, named)

    def featuresget(self, session: CtiSession, message: Mapping[str, Any]) -> None:
        """Read the services from AstDB; reply with them."""
        user = self._whose(session, message)

        def work() -> None:
            ok, problem = self.store.load(user.id)
            if not ok:
                session.reply(message, status="KO", message=problem)
                return
            session.reply(message, userid=user.id, userfeatures=self.store.get(user.id))

        if not self.runner.start(session, work):
            session.reply(message, status="KO", message="busy")

    def featuresput(self, session: CtiSession, message: Mapping[str, Any]) -> None:
        """Write services to AstDB; reply OK, and clients get `updateconfig users`."""
        user = self._whose(session, message)
        changes = parse_put(message)
        allowed = session.profile.get("services", ())
        refused = sorted({SERVICE_OF[key] for key in changes} - set(allowed))
        if refused:
            raise CtiCommandError(f"service_not_allowed:{','.join(refused)}")

        def work() -> None:
            ok, problem = self.store.put(user.id, changes)
            if ok:
                session.reply(message, status="OK")
            else:
                session.reply(message, status="KO", message=problem)

        if not self.runner.start(session, work):
            session.reply(message, status="KO", message="busy")

    def handlers(self) -> dict[str, Callable[[CtiSession, Mapping[str, Any]], None]]:
        """The commands, by class."""
        return {"featuresget": self.featuresget, "featuresput": self.featuresput}
