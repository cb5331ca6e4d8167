"""Login: `login_id` → `login_pass` → `login_capas`, one state machine per session, in both
dialects on the same port: v1.2 (`xivoversion`) and the Qt client's 2.3 (`wazoversion`).

- `login_id` never looks the login up: every login gets a session id, so nothing tells whether
  it exists. The session id comes from `secrets`. `company`, `ident` and the git fields are
  ignored.
- `login_pass`: the clear `password` (checked against the scrypt hash) only over TLS, from a
  loopback peer, or on a listener with `allow_clear_login`; `hashedpassword =
  sha1(sessionid:legacy_secret)` only for users given a `legacy_secret`. An unknown login is
  checked against a dummy hash, so both failures cost the same and answer the same:
  `error_string: "login_password"`. Failures are throttled per address and per login
  (`login_throttled`).
- `login_capas`: the profile named in `capalist` (`capaid`, a string in 2.3); the session policy
  (max_sessions) applies. A wrong profile is `wrongprofile`/`unknownprofile` in v1.2 and
  `capaid_undefined:<capaid>`, the id the Qt client knows, in 2.3.
Every refusal is `{"class": <step>, "error_string": <code>}`, then the connection closes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import gevent
import gevent.lock

from ctid.api import User, UserDirectory, __version__, verify_password
from ctid_cti.sessions import Session
from ctid_cti.throttle import Throttle

log = logging.getLogger(__name__)

STEPS = ("login_id", "login_pass", "login_capas")
MAX_LOGIN = 64
MAX_PASSWORD = 1024
MAX_CAPAID = 64
V12, V23 = "1.2", "2.3"
"""The dialects: v1.2 clients (`xivoversion`), the Wazo/XiVO Qt client (`wazoversion`)."""


class LoginError(Exception):
    """A refused step: `code` goes to the client as `error_string`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_loopback(address: str) -> bool:
    """Whether the peer is this machine (127.0.0.0/8, ::1, or v4-mapped loopback)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def legacy_digest(session_id: str, secret: str) -> str:
    """sha1("<sessionid>:<secret>") in lowercase hex, as the v1.1/v1.2 clients compute it."""
    return hashlib.sha1(f"{session_id}:{secret}".encode()).hexdigest()  # noqa: S324  (the protocol)


class Authenticator:
    """Checks `login_pass` secrets, with throttling and the same cost for unknown logins."""

    def __init__(
        self,
        users: UserDirectory,
        throttle: Throttle,
        *,
        dummy_hash: str,
        checks: int,
        verify: Callable[[str, str], bool] = verify_password,
    ) -> None:
        self.users = users
        self.throttle = throttle
        self._dummy = dummy_hash
        self._verify = verify
        self._slots = gevent.lock.BoundedSemaphore(checks)

    def authenticate(
        self,
        login: str,
        session_id: str,
        message: Mapping[str, Any],
        *,
        clear_ok: bool,
        source: str,
    ) -> User:
        """The user, or LoginError (`login_throttled`, `login_password`, `password_needs_tls`)."""
        keys = (("address", source), ("login", login))
        if self.throttle.blocked(*keys):
            raise LoginError("login_throttled")
        if "password" in message:
            if not clear_ok:
                raise LoginError("password_needs_tls")
            user = self._by_password(login, message["password"])
        elif "hashedpassword" in message:
            user = self._by_challenge(login, session_id, message["hashedpassword"])
        else:
            raise LoginError("missing:password")
        if user is None:
            self.throttle.failed(*keys)
            raise LoginError("login_password")
        self.throttle.forget(("login", login))
        return user

    def _by_password(self, login: str, password: Any) -> User | None:
        user = self.users.by_login(login)
        stored = user.password if user is not None and user.password else self._dummy
        if not isinstance(password, str) or len(password) > MAX_PASSWORD:
            password = ""
        with self._slots:
            # scrypt holds the CPU for tens of ms and releases the GIL: run it in a thread so
            # that the other clients are served meanwhile; the semaphore bounds its memory.
            ok = gevent.get_hub().threadpool.apply(self._verify, (password, stored))
        return user if ok and user is not None and stored is not self._dummy else None

    def _by_challenge(self, login: str, session_id: str, hashed: Any) -> User | None:
        user = self.users.by_login(login)
        secret = user.legacy_secret if user is not None else ""
        expected = legacy_digest(session_id, secret or secrets.token_hex(16))
        given = hashed.lower() if isinstance(hashed, str) else ""
        ok = hmac.compare_digest(expected.encode(), given.encode())
        return user if ok and secret else None


def check_login_id(message: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """(login, dialect, the version fields of the reply) of a `login_id`, or LoginError."""
    login = message.get("userlogin")
    if not isinstance(login, str) or not 0 < len(login) <= MAX_LOGIN:
        raise LoginError("missing:userlogin")
    xivo, wazo = message.get("xivoversion"), message.get("wazoversion")
    if isinstance(wazo, str):
        if not wazo.startswith("2.") or len(wazo) > 16:
            raise LoginError(f"wazoversion_client:{wazo[:16]};{V23}")
        return login, V23, {"version": __version__, "wazoversion": wazo, "xivoversion": wazo}
    if not isinstance(xivo, str):
        raise LoginError("missing:xivoversion")
    if xivo != V12 and not (xivo.startswith("2.") and len(xivo) <= 16):
        raise LoginError(f"xivoversion_client:{xivo[:16]};{V12}")
    return login, V12, {"version": __version__, "xivoversion": xivo}


Welcome = Callable[[Session, User, Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
"""Admit a logged-in session (user, profile, the login_capas message): the reply's fields, or
LoginError (`toomuchusers:<n>`)."""


class LoginFlow:
    """The login steps of one session, in order; any refusal ends the connection."""

    def __init__(
        self,
        session: Session,
        *,
        auth: Authenticator,
        profiles: Callable[[], Mapping[str, Any]],
        welcome: Welcome,
        clear_ok: Callable[[Session], bool],
        failure_delay: Callable[[], float],
    ) -> None:
        self.session = session
        self._auth = auth
        self._profiles = profiles
        self._welcome = welcome
        self._clear_ok = clear_ok
        self._failure_delay = failure_delay
        self._step = 0
        self._login = ""
        self._user: User | None = None
        self.dialect = V12
        """The client's dialect, known from its `login_id`."""

    def handle(self, message: Mapping[str, Any]) -> bool:
        """Run one step; False when it was refused (the caller closes the connection)."""
        kind = message["class"]
        try:
            if self._step >= len(STEPS) or kind != STEPS[self._step]:
                raise LoginError("login_sequence")
            fields = self._run(kind, message)
        except LoginError as refused:
            if kind == "login_pass":
                gevent.sleep(self._failure_delay())
            log.info("CTI login from %s refused: %s", self.session.peer[0], refused.code)
            self.session.reply(message, error_string=refused.code)
            return False
        self._step += 1
        self.session.reply(message, **fields)
        return True

    def _run(self, kind: str, message: Mapping[str, Any]) -> dict[str, Any]:
        if kind == "login_id":
            self._login, self.dialect, fields = check_login_id(message)
            self.session.session_id = secrets.token_urlsafe(12)
            return {"sessionid": self.session.session_id, **fields}
        if kind == "login_pass":
            self._user = self._auth.authenticate(
                self._login,
                self.session.session_id,
                message,
                clear_ok=self._clear_ok(self.session),
                source=self.session.peer[0],
            )
            return {"capalist": [self._user.profile]}
        assert self._user is not None  # login_pass succeeded before
        if "capaid" not in message:
            raise LoginError("missing:capaid")
        capaid = str(message["capaid"])
        profile = self._profiles().get(self._user.profile)
        problem = "wrongprofile" if capaid != self._user.profile else None
        if problem is None and profile is None:
            problem = "unknownprofile"
        if problem is not None and self.dialect == V23:
            problem = f"capaid_undefined:{capaid[:MAX_CAPAID]}"  # the only one the client knows
        if problem is not None:
            raise LoginError(problem)
        assert profile is not None
        return self._welcome(self.session, self._user, profile, message)
