"""Users, their lines and profiles: the directory every client-facing plugin asks who is who.

Users come from sources: the embedded `users:` config section, plus whatever plugins register
with `ctid_register_user_sources` (a web service, SQL…). The core merges them, validates each
user with the same schema as config.d, and diffs the result against what it had, so clients get
addconfig / delconfig / updateconfig for exactly what changed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import voluptuous as vol

from ctid.config.people import USER

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One phone line of a user."""

    id: str
    context: str
    number: str
    interface: str

    def public(self) -> dict[str, str]:
        """What clients may see."""
        return {
            "id": self.id,
            "context": self.context,
            "number": self.number,
            "interface": self.interface,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class User:
    """A CTI user. Secrets stay here; `public()` is what goes on the wire."""

    id: str
    login: str
    password: str = dataclasses.field(repr=False)
    legacy_secret: str = dataclasses.field(repr=False)
    profile: str
    firstname: str
    lastname: str
    mobile: str
    agent: str
    picture: str | None
    lines: tuple[Line, ...]
    source: str = "config"

    @property
    def fullname(self) -> str:
        """First and last name, or the login when both are empty."""
        return " ".join(part for part in (self.firstname, self.lastname) if part) or self.login

    @property
    def contexts(self) -> frozenset[str]:
        """The user's tenant: the contexts of its lines (none: the user can do nothing)."""
        return frozenset(line.context for line in self.lines)

    def public(self) -> dict[str, Any]:
        """The user's config as clients see it (no password, no secret)."""
        return {
            "id": self.id,
            "login": self.login,
            "profile": self.profile,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "fullname": self.fullname,
            "mobile": self.mobile,
            "agent": self.agent,
            "lines": [line.public() for line in self.lines],
        }


def user_from_options(options: Mapping[str, Any], source: str = "config") -> User:
    """Build a User from validated options (the `users:` schema's output)."""
    lines = tuple(
        Line(
            id=line.get("id") or f"{line['number']}@{line['context']}",
            context=line["context"],
            number=line["number"],
            interface=line["interface"],
        )
        for line in options["lines"]
    )
    return User(
        id=options.get("id") or options["login"],
        login=options["login"],
        password=options["password"],
        legacy_secret=options["legacy_secret"],
        profile=options["profile"],
        firstname=options["firstname"],
        lastname=options["lastname"],
        mobile=options["mobile"],
        agent=options["agent"],
        picture=options["picture"],
        lines=lines,
        source=source,
    )


def parse_users(raw: Iterable[Any], source: str) -> list[User]:
    """Validate users from a plugin source; bad entries are logged with their index and skipped."""
    users = []
    for index, item in enumerate(raw):
        try:
            users.append(user_from_options(USER(item), source))
        except (vol.Invalid, TypeError, KeyError) as exc:
            log.warning("user source %s: entry %d skipped: %s", source, index, exc)
    return users


@dataclasses.dataclass(frozen=True)
class UserChanges:
    """What a refresh changed."""

    added: tuple[User, ...] = ()
    removed: tuple[User, ...] = ()
    changed: tuple[User, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


class UserDirectory:
    """The current users, indexed the ways the daemon asks (login, id, line, agent)."""

    def __init__(self) -> None:
        self._by_id: dict[str, User] = {}
        self._by_login: dict[str, User] = {}
        self._by_interface: dict[str, User] = {}
        self._by_extension: dict[tuple[str, str], User] = {}
        self._by_agent: dict[str, User] = {}
        self._contexts: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self._by_id)

    def replace(self, users: Sequence[User]) -> UserChanges:
        """Install a new user set (first of a login or id wins); return what changed."""
        fresh: dict[str, User] = {}
        logins: set[str] = set()
        for user in users:
            if user.id in fresh or user.login in logins:
                log.warning(
                    "user %s (%s) ignored: its id or login is already taken",
                    user.login,
                    user.source,
                )
                continue
            fresh[user.id] = user
            logins.add(user.login)
        old = self._by_id
        changes = UserChanges(
            added=tuple(user for key, user in fresh.items() if key not in old),
            removed=tuple(user for key, user in old.items() if key not in fresh),
            changed=tuple(user for key, user in fresh.items() if key in old and old[key] != user),
        )
        self._index(fresh)
        return changes

    def _index(self, users: dict[str, User]) -> None:
        self._by_id = users
        self._by_login = {user.login: user for user in users.values()}
        self._by_interface, self._by_extension, self._by_agent = {}, {}, {}
        for user in users.values():
            for line in user.lines:
                self._by_interface.setdefault(line.interface.lower(), user)
                self._by_extension.setdefault((line.number, line.context), user)
            if user.agent:
                self._by_agent.setdefault(user.agent, user)
        self._contexts = frozenset(context for _, context in self._by_extension)

    @property
    def contexts(self) -> frozenset[str]:
        """Every context where some user has a line: the tenants' contexts."""
        return self._contexts

    def all(self) -> Mapping[str, User]:
        """Every user by id (read-only)."""
        return MappingProxyType(self._by_id)

    def by_id(self, user_id: str) -> User | None:
        """The user with this id."""
        return self._by_id.get(user_id)

    def by_login(self, login: str) -> User | None:
        """The user with this login."""
        return self._by_login.get(login)

    def by_interface(self, interface: str) -> User | None:
        """The user whose line is this device (`PJSIP/1001`), case-insensitive."""
        return self._by_interface.get(interface.lower())

    def by_extension(self, number: str, context: str) -> User | None:
        """The user whose line rings at `number@context`."""
        return self._by_extension.get((number, context))

    def by_agent(self, agent: str) -> User | None:
        """The user who is agent `agent`."""
        return self._by_agent.get(agent)
