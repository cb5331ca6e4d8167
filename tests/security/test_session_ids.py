"""Session ids: drawn from `secrets` (the OS CSPRNG), 96 bits in 16 URL-safe characters, never
repeated (XiVO drew 10 distinct characters with `random.sample`)."""

import re
import secrets
from typing import Any

import pytest

from ctid_cti.login import LoginFlow

pytestmark = pytest.mark.timeout(60)

URL_SAFE = re.compile(r"[A-Za-z0-9_-]{16}")
"""`secrets.token_urlsafe(12)`: 12 random bytes, base64url without padding."""


class BareSession:
    """Just what the login_id step touches."""

    def __init__(self) -> None:
        self.session_id = ""
        self.peer = ("127.0.0.1", 40000)
        self.replies: list[dict[str, Any]] = []

    def reply(self, request: Any, **fields: Any) -> bool:
        self.replies.append(fields)
        return True


def login_id(session: BareSession) -> str:
    flow = LoginFlow(
        session,  # type: ignore[arg-type]  # the login_id step needs no connection
        auth=None,  # type: ignore[arg-type]  # nor the authenticator
        profiles=dict,
        welcome=lambda *args: {},
        clear_ok=lambda session: False,
        failure_delay=lambda: 0.0,
    )
    assert flow.handle({"class": "login_id", "userlogin": "anyone", "xivoversion": "1.2"})
    return session.session_id


def test_10000_session_ids_are_unique_url_safe_and_96_bits_long() -> None:
    ids = [login_id(BareSession()) for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(URL_SAFE.fullmatch(value) for value in ids)
    # Every position varies over the whole alphabet: no fixed prefix, no counter.
    for position in range(16):
        assert len({value[position] for value in ids}) > 50


def test_session_ids_come_from_the_secrets_module(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    real = secrets.token_urlsafe

    def token_urlsafe(nbytes: int) -> str:
        assert nbytes >= 12
        drawn.append(real(nbytes))
        return drawn[-1]

    monkeypatch.setattr(secrets, "token_urlsafe", token_urlsafe)
    session = BareSession()
    assert login_id(session) == drawn[-1]
    assert session.replies[-1]["sessionid"] == drawn[-1]


def test_the_wire_carries_the_same_kind_of_id(site: Any) -> None:
    site.start([])
    client = site.client()
    reply = client.request({"class": "login_id", "userlogin": "x", "xivoversion": "1.2"})
    assert URL_SAFE.fullmatch(reply["sessionid"])
