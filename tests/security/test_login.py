"""CTI login: failures throttled per address and per login, and nothing that tells a login that
exists from one that does not (the same answers at the same step, the same scrypt work)."""

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from ctid.api import __version__, hash_password
from ctid.passwords import N, P, R
from ctid.testing.cticlient import CtiLoginError

pytestmark = pytest.mark.timeout(60)

SHAPE_FREE = ("timenow", "replyid", "sessionid")
"""Fields that differ from one connection to the next whoever logs in."""


def attempt(site: Any, login: str, password: str, **kw: Any) -> tuple[list[dict[str, Any]], float]:
    """One refused login: every message the client got (varying fields left out), its time."""
    client = site.client(source=kw.pop("source", None))
    started = time.monotonic()
    with pytest.raises(CtiLoginError):
        client.login(login, password, **kw)
    elapsed = time.monotonic() - started
    assert client.wait_closed(), "a refused login closes the connection"
    seen = [{k: v for k, v in m.items() if k not in SHAPE_FREE} for m in client.received]
    return seen, elapsed


def spy_on_verify(site: Any) -> list[tuple[str, str]]:
    """Record every (password, stored hash) the authenticator verifies."""
    auth = site.plugin.service.auth
    calls: list[tuple[str, str]] = []
    real: Callable[[str, str], bool] = auth._verify

    def verify(password: str, stored: str) -> bool:
        calls.append((password, stored))
        return real(password, stored)

    auth._verify = verify
    return calls


def test_unknown_login_wrong_password_and_no_password_answer_alike(site: Any, kit: Any) -> None:
    site.start([kit.user("alice"), {**kit.user("bob"), "password": ""}])
    answers = {
        "wrong password": attempt(site, "alice", "guess")[0],
        "unknown login": attempt(site, "nobody", "guess")[0],
        "no password set": attempt(site, "bob", "guess")[0],
        "legacy, no secret": attempt(site, "alice", "guess", legacy=True)[0],
        "legacy, unknown": attempt(site, "nobody", "guess", legacy=True)[0],
    }
    expected = [
        {"class": "login_id", "version": __version__, "xivoversion": "1.2"},
        {"class": "login_pass", "error_string": "login_password"},
    ]
    for case, seen in answers.items():
        assert seen == expected, case


def test_an_unknown_login_is_checked_against_a_dummy_hash_of_the_real_cost(
    site: Any, kit: Any
) -> None:
    site.start([kit.user("alice")])
    verified = spy_on_verify(site)
    attempt(site, "nobody", "guess")
    attempt(site, "alice", "guess")
    dummy = site.plugin.service.auth._dummy
    assert verified == [("guess", dummy), ("guess", kit.hash)]
    # The dummy costs what a hash made by `ctid hash-password` costs.
    assert dummy.split("$")[1:4] == [str(N), str(R), str(P)]


def test_unknown_and_known_logins_take_about_as_long(site: Any, kit: Any) -> None:
    real = hash_password(kit.password)  # the production cost: tens of milliseconds
    site.start([{**kit.user("alice"), "password": real}], cti={"login_failures": 1000})
    known = [attempt(site, "alice", "guess")[1] for _ in range(3)]
    unknown = [attempt(site, "nobody", "guess")[1] for _ in range(3)]
    fast, slow = sorted([statistics.median(known), statistics.median(unknown)])
    # A generous bound against a loaded machine; skipping the scrypt check breaks it tenfold.
    assert slow < 3 * fast + 0.05, (known, unknown)


def test_clear_passwords_off_loopback_are_refused_before_the_login_is_looked_up(
    site: Any, kit: Any
) -> None:
    site.start([kit.user("alice")], cti={"plain_password_on_loopback": False})
    verified = spy_on_verify(site)
    known, _ = attempt(site, "alice", kit.password)
    unknown, _ = attempt(site, "nobody", kit.password)
    assert known == unknown
    assert known[-1] == {"class": "login_pass", "error_string": "password_needs_tls"}
    assert verified == []


def test_failures_block_an_address_then_a_login_even_with_the_right_password(
    site: Any, kit: Any
) -> None:
    site.start([kit.user("alice"), kit.user("bob")], cti={"login_failures": 3})
    for login in ("alice", "ghost", "carol"):
        attempt(site, login, "guess", source="127.0.0.21")
    refused, _ = attempt(site, "bob", kit.password, source="127.0.0.21")
    assert refused[-1] == {"class": "login_pass", "error_string": "login_throttled"}
    # Per login: three addresses guess alice, a fourth one with her password is refused too.
    for source in ("127.0.0.22", "127.0.0.23", "127.0.0.24"):
        attempt(site, "alice", "guess", source=source)
    refused, _ = attempt(site, "alice", kit.password, source="127.0.0.25")
    assert refused[-1] == {"class": "login_pass", "error_string": "login_throttled"}
    # A throttled attempt costs no scrypt check: guessing fast gains nothing, costs nothing.
    verified = spy_on_verify(site)
    attempt(site, "alice", kit.password, source="127.0.0.26")
    assert verified == []
    # The others are served: bob from another address.
    assert site.client("bob", source="127.0.0.27").request({"class": "keepalive"})


def test_a_failed_login_is_answered_after_the_failure_delay(site: Any, kit: Any) -> None:
    site.start([kit.user("alice")], cti={"failure_delay": "300ms"})
    _, elapsed = attempt(site, "nobody", "guess")
    assert elapsed >= 0.3
