"""The CTI service of one daemon: sessions, login, commands and status pushes wired together.

The plugin glue (ctid_cti.plugin) creates one at start and forwards hooks to it; everything
here reads its options live from the handle, so a reload applies to the next use.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from ctid.api import (
    CallEvent,
    Ctid,
    CtiHandler,
    CtiSession,
    LineConnection,
    Sheet,
    User,
    hash_password,
)
from ctid_cti import commands
from ctid_cti.actions import Runner
from ctid_cti.capas import capas_reply
from ctid_cti.connection import CtiConnection
from ctid_cti.features import FeatureCommands, FeatureStore
from ctid_cti.ipbxcommands import IpbxCommands
from ctid_cti.lists import SERVED, Catalog, getlist
from ctid_cti.login import Authenticator, LoginError, LoginFlow, is_loopback
from ctid_cti.presence import PresenceBook, availstate, initial_state, service_changes
from ctid_cti.sessions import Hub, Session
from ctid_cti.sheets import SheetDelivery
from ctid_cti.starttls import StartTlsPolicy
from ctid_cti.status import StatusPusher
from ctid_cti.targets import Targets
from ctid_cti.throttle import Throttle

log = logging.getLogger(__name__)

COMMANDS = (
    "keepalive",
    "logout",
    "getipbxlist",
    "getlist",
    "availstate",
    "ipbxcommand",
    "chitchat",
    "directory",
    "featuresget",
    "featuresput",
)
"""The classes the plugin registers."""


class CtiService:
    """Everything the CTI ports need, for one daemon."""

    def __init__(self, ctid: Ctid, *, starttls: StartTlsPolicy | None = None) -> None:
        self.ctid = ctid
        self.starttls = starttls or StartTlsPolicy()
        """STARTTLS and clear logins on `listen.cti` (built at start, as the port is bound)."""
        options = self.options
        self.presence = PresenceBook()
        self.hub = Hub(separation=self.separation, on_leave=self._left)
        self.features = FeatureStore(
            ctid,
            family=lambda: str(self.options["features_family"]),
            timeout=lambda: float(self.options["action_timeout"]),
            changed=lambda user_id: self.pusher.touch("users"),
        )
        self.catalog = Catalog(
            ctid,
            user_status=self._user_status,
            features=self.features.get,
            queue_contexts=lambda: self.options["queue_contexts"],
        )
        self.pusher = StatusPusher(
            ctid,
            self.catalog,
            self.hub,
            ctid.spawn,
            interval=lambda: float(self.options["push_interval"]),
        )
        self.targets = Targets(
            ctid,
            separation=self.separation,
            queue_contexts=self.catalog.queue_contexts,
            channel_contexts=self.catalog.channel_contexts,
        )
        self.runner = Runner(ctid.spawn, lambda: int(self.options["pending_commands"]))
        self.throttle = Throttle(
            limit=options["login_failures"],
            window=options["failure_window"],
            capacity=options["tracked_failures"],
        )
        self.auth = Authenticator(
            ctid.users,
            self.throttle,
            dummy_hash=hash_password(secrets.token_urlsafe(16)),
            checks=options["password_checks"],
        )
        self.dispatch = commands.Dispatcher(lambda: ctid.registry("cti_commands"))
        self.sheets = SheetDelivery(ctid, self.hub)
        self.handlers = self._handlers()
        self.pusher.prime()

    @property
    def options(self) -> Mapping[str, Any]:
        """The plugin's validated options (live: a reload shows at once)."""
        return self.ctid.config

    def separation(self) -> bool:
        """Whether tenants are kept apart (`parting.context_separation`)."""
        return bool(self.ctid.settings["parting"]["context_separation"])

    def _handlers(self) -> dict[str, CtiHandler]:
        ipbx_commands = IpbxCommands(self.targets, self.runner, lambda: self.options)
        features = FeatureCommands(self.features, self.targets, self.runner)
        return {
            "keepalive": commands.keepalive,
            "logout": commands.logout,
            "getipbxlist": commands.getipbxlist(lambda: self.ctid.ipbx.id),
            "getlist": getlist(self.catalog, self.hub.admits),
            "availstate": availstate(self.presence, self.set_presence),
            "ipbxcommand": ipbx_commands,
            "chitchat": commands.chitchat(self.hub, self.targets),
            "directory": commands.directory(self._search),
            **features.handlers(),
        }

    def _search(self, pattern: str, contexts: list[str]) -> Mapping[str, Any] | None:
        found = self.ctid.query(
            "ctid_search_directory",
            timeout=float(self.options["directory_timeout"]),
            term=pattern,
            contexts=contexts,
            limit=int(self.options["directory_limit"]),
        )
        return found if isinstance(found, Mapping) else None

    # --- connections and login ----------------------------------------------------------------

    def connection(self, connection: LineConnection) -> CtiConnection:
        """The LineHandler factory of the CTI and CTIs listeners."""
        return CtiConnection(
            connection,
            hub=self.hub,
            login=self._login_flow,
            dispatch=self.dispatch,
            login_timeout=float(self.ctid.settings["timeouts"]["login"]),
            starttls=self.starttls if connection.server.name == "cti" else StartTlsPolicy(),
        )

    def _login_flow(self, session: Session) -> LoginFlow:
        return LoginFlow(
            session,
            auth=self.auth,
            profiles=lambda: self.ctid.settings["profiles"],
            welcome=self._welcome,
            clear_ok=self._clear_ok,
            failure_delay=lambda: float(self.options["failure_delay"]),
        )

    def _clear_ok(self, session: Session) -> bool:
        if session.is_tls:
            return True
        if session.listener == "cti" and self.starttls.allow_clear_login:
            return True
        return bool(self.options["plain_password_on_loopback"]) and is_loopback(session.peer[0])

    def _welcome(
        self, session: Session, user: User, profile: Mapping[str, Any], message: Mapping[str, Any]
    ) -> dict[str, Any]:
        refused = self.hub.admit(session, user, profile)
        if refused is not None:
            raise LoginError(refused)
        # XiVO's `subscribe` in login_capas: this session also gets the `whom: subscribe` sheets
        # (their contexts and profiles conditions, and the tenant filter, still apply).
        session.subscribed = message.get("subscribe") in (True, 1, "1", "true", "yes")
        old, state = self.presence.get(user.id), initial_state(profile, message.get("state"))
        self.presence.set(user.id, state)
        self._switch_services(user, profile, old, state)
        if self.options["features_at_login"] and self.ctid.ipbx.connected:
            self.ctid.spawn(self.features.load, user.id)
        self.pusher.touch("users")
        log.info("CTI login: %s from %s:%d", user.login, *session.peer)
        return capas_reply(user, profile, ipbx_id=self.ctid.ipbx.id, presence=state)

    def _left(self, user: User) -> None:
        self.presence.drop(user.id)
        self.pusher.touch("users")
        log.info("CTI logout: %s", user.login)

    def _user_status(self, user_id: str) -> dict[str, Any]:
        connected = bool(self.hub.sessions_of(user_id))
        return {
            "availstate": self.presence.get(user_id),
            "connection": "yes" if connected else None,
        }

    # --- presence and services ----------------------------------------------------------------

    def set_presence(self, session: CtiSession, old: str, new: str) -> None:
        """Move the session's user to a validated state; switch the services it names."""
        assert session.user is not None
        self.presence.set(session.user.id, new)
        self._switch_services(session.user, session.profile, old, new)
        self.pusher.touch("users")

    def _switch_services(self, user: User, profile: Mapping[str, Any], old: str, new: str) -> None:
        changes = service_changes(profile, old, new) if old != new else {}
        if changes and self.ctid.ipbx.connected:
            self.ctid.spawn(self.features.put, user.id, changes)

    # --- what the daemon tells us -------------------------------------------------------------

    def users_changed(self, removed: Sequence[User], changed: Sequence[User]) -> None:
        """Removed users lose their sessions; changed ones are re-indexed (tenant, profile)."""
        profiles = self.ctid.settings["profiles"]
        for user in removed:
            self.features.forget(user.id)
            for session in self.hub.sessions_of(user.id):
                self.hub.expel(session, f"user {user.login} removed")
        for user in changed:
            profile = profiles.get(user.profile)
            for session in self.hub.sessions_of(user.id):
                if profile is None:
                    self.hub.expel(session, f"profile {user.profile} of {user.login} is gone")
                else:
                    self.hub.update(session, user, profile)
        self.pusher.touch(*SERVED)

    def call_event(self, event: CallEvent) -> None:
        """A hangup may come from a resync, without the AMI event the pusher watches; a link
        may make someone the owner of a sheet."""
        if event.where == "hangup":
            self.pusher.touch("channels", "phones")
        self.sheets.call_event(event)

    def sheet_rendered(self, sheet: Sheet) -> None:
        """Deliver a sheet the sheet engine rendered."""
        self.sheets.deliver(sheet)

    def reloaded(self) -> None:
        """Apply reloaded options that are not read live."""
        options = self.options
        self.throttle.limit = options["login_failures"]
        self.throttle.window = options["failure_window"]
        self.throttle.capacity = options["tracked_failures"]
        self.pusher.touch(*SERVED)

    def status(self) -> dict[str, Any]:
        """Counters for status and the info console (`clients` and `users` are summed into the
        status summary)."""
        sessions = self.hub.sessions()
        return {
            "clients": len(sessions),
            "users": len({session.user.id for session in sessions if session.user is not None}),
            "sessions": len(sessions),
            "connections": len(self.hub.connections),
            "tls_connections": sum(1 for session in self.hub.connections if session.is_tls),
            "commands_in_flight": self.runner.running(),
            "tracked_login_failures": len(self.throttle),
            "pushed": self.pusher.pushed,
            "sheets_delivered": self.sheets.delivered,
        }
