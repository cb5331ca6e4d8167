"""When the directory misbehaves: a refused bind, a server stopped mid-run and restarted, a
failover list, and a server that accepts connections and never answers. Every lookup fails
fast with a clear error (the core then fails open) and the same backend recovers."""

import logging
import pathlib
import time
from collections.abc import Callable

import gevent
import pytest

from ctid.testing import wait_until
from ctid.testing.ports import free_port
from ctid.testing.slapd import Blackhole, Slapd
from ctid_ldap.backend import LdapBackend
from ctid_ldap.pool import LdapError, LdapUnavailable

Make = Callable[..., LdapBackend]
# A short rest after a failure keeps the recovery tests quick.
FAST_RETRY = {"retry_min": 0.02, "retry_max": 0.1}


def elapsed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.monotonic()
    try:
        outcome: object = call()
    except Exception as error:
        outcome = error
    return time.monotonic() - started, outcome


def test_a_wrong_bind_password_is_a_clear_error_in_health(
    shared_slapd: Slapd, make_backend: Make, caplog: pytest.LogCaptureFixture
) -> None:
    backend = make_backend(
        uri=shared_slapd.url, bind_dn=shared_slapd.root_dn, bind_password="not-the-password"
    )
    refused = "bind as cn=admin,dc=example,dc=org refused"
    with caplog.at_level(logging.DEBUG), pytest.raises(LdapUnavailable, match=refused):
        backend.reverse(["0612345678"], 1)
    health = backend.health()
    assert health["state"] == "down"
    assert "invalidCredentials" in health["last_error"]
    assert "invalidCredentials" in health["servers"][0]["error"]
    assert health["failures"] == 1
    assert "not-the-password" not in caplog.text
    assert "not-the-password" not in repr(health)


def test_a_refused_bind_is_not_retried_on_every_call(
    shared_slapd: Slapd, make_backend: Make
) -> None:
    # Each failed bind may count toward an account lockout (AD): the server rests first.
    backend = make_backend(uri=shared_slapd.url, bind_dn=shared_slapd.root_dn, bind_password="x")
    with pytest.raises(LdapUnavailable, match="refused"):
        backend.search("Zoé", 1)
    with pytest.raises(LdapUnavailable, match=r"every server is down.*next try in"):
        backend.search("Zoé", 1)


def test_a_stopped_server_fails_fast_and_the_same_backend_recovers(
    slapd: Slapd, make_backend: Make
) -> None:
    backend = make_backend(uri=slapd.url, **FAST_RETRY)
    assert backend.reverse(["0612345678"], 1)
    slapd.stop()
    took, outcome = elapsed(lambda: backend.reverse(["0612345678"], 1))
    assert isinstance(outcome, LdapUnavailable)
    assert took < 1.0
    assert backend.health()["state"] == "down"
    slapd.restart()
    wait_until(lambda: _answers(backend), timeout=5, message="lookups after the restart")
    assert backend.health()["state"] == "up"
    assert "last_error" not in backend.health()


def test_a_restart_between_calls_costs_no_lookup(slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=slapd.url)
    assert backend.search("Zoé", 1)
    slapd.restart()
    # The pooled connection is dead; the backend notices, reconnects and retries once.
    assert backend.search("Zoé", 1)
    assert backend.health()["failures"] == 0


def test_failover_to_the_next_server(slapd: Slapd, make_backend: Make) -> None:
    dead = f"ldap://127.0.0.1:{free_port()}"
    backend = make_backend(servers=[dead, slapd.url], **FAST_RETRY)
    assert backend.search("Zoé", 1)
    health = backend.health()
    assert health["state"] == "degraded"
    assert [server["state"] for server in health["servers"]] == ["down", "up"]
    assert "refused" in health["servers"][0]["error"].lower()


def test_failover_when_the_first_server_goes_away(
    slapd: Slapd, make_backend: Make, people_ldif: pathlib.Path
) -> None:
    with Slapd(ldif=[people_ldif]) as second:
        backend = make_backend(servers=[slapd.url, second.url], **FAST_RETRY)
        assert backend.search("Zoé", 1)
        slapd.stop()
        assert backend.search("Zoé", 1)
        assert [s["state"] for s in backend.health()["servers"]] == ["down", "up"]
        # Back in service, the first server is preferred again once its rest is over.
        slapd.restart()
        wait_until(
            lambda: backend.search("Zoé", 1) and backend.health()["servers"][0]["state"] == "up",
            timeout=5,
            message="failback to the first server",
        )


def test_a_blackholed_server_costs_one_call_no_more_than_its_deadline(
    make_backend: Make,
) -> None:
    with Blackhole() as hole:
        backend = make_backend(uri=hole.url, connect_timeout=0.2, search_timeout=0.2)
        took, outcome = elapsed(lambda: backend.reverse(["0612345678"], 1))
        assert isinstance(outcome, LdapUnavailable)
        assert 0.15 < took < 0.5
        assert "timed out" in backend.health()["servers"][0]["error"]
        # The server now rests: the next call fails at once instead of waiting again.
        took, outcome = elapsed(lambda: backend.reverse(["0612345678"], 1))
        assert isinstance(outcome, LdapUnavailable)
        assert took < 0.1


def test_the_source_deadline_caps_the_socket_timeouts(make_backend: Make) -> None:
    with Blackhole() as hole:
        backend = make_backend(uri=hole.url, connect_timeout=5, search_timeout=5, timeout=0.2)
        took, outcome = elapsed(lambda: backend.search("Zoé", 1))
        assert isinstance(outcome, LdapUnavailable)
        assert took < 0.5


def test_a_server_cut_short_by_the_caller_deadline_rests_too(make_backend: Make) -> None:
    with Blackhole() as hole:
        backend = make_backend(uri=hole.url, connect_timeout=5)
        with pytest.raises(gevent.Timeout), gevent.Timeout(0.1):
            backend.search("Zoé", 1)
        took, outcome = elapsed(lambda: backend.search("Zoé", 1))
        assert isinstance(outcome, LdapUnavailable)
        assert took < 0.1
        assert backend.health()["servers"][0]["error"] == "no answer before the lookup deadline"


def test_a_blackhole_before_a_good_server_fails_over_within_the_deadline(
    slapd: Slapd, make_backend: Make
) -> None:
    with Blackhole() as hole:
        backend = make_backend(servers=[hole.url, slapd.url], connect_timeout=0.2)
        took, outcome = elapsed(lambda: backend.reverse(["0612345678"], 1))
        assert outcome and not isinstance(outcome, Exception)
        assert took < 0.5
        took, _ = elapsed(lambda: backend.reverse(["0612345678"], 1))
        assert took < 0.1


def test_a_caller_deadline_leaves_the_pool_usable(slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=slapd.url)
    assert backend.search("Zoé", 1)
    slapd.pause()
    try:
        with pytest.raises(gevent.Timeout), gevent.Timeout(0.05):
            backend.search("Zoé", 1)
    finally:
        slapd.resume()
    assert "deadline" in backend.health()["last_error"]
    # The interrupted connection was dropped, not pooled: its late answer cannot be misread.
    assert backend.health()["connections"] == {"idle": 0, "busy": 0, "max": 4}
    assert backend.search("Zoé", 1)


def test_a_hung_server_costs_no_more_than_the_search_timeout(
    slapd: Slapd, make_backend: Make
) -> None:
    backend = make_backend(uri=slapd.url, search_timeout=0.1)
    assert backend.search("Zoé", 1)
    slapd.pause()
    try:
        took, outcome = elapsed(lambda: backend.search("Zoé", 1))
    finally:
        slapd.resume()
    assert isinstance(outcome, LdapUnavailable)
    assert "no answer within search_timeout" in str(outcome)
    assert took < 0.3
    assert backend.search("Zoé", 1)


def test_concurrent_lookups_share_a_bounded_pool(slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=slapd.url, pool_size=2)
    jobs = [gevent.spawn(backend.reverse, ["0612345678"], 1) for _ in range(20)]
    gevent.joinall(jobs, timeout=5, raise_error=True)
    assert all(job.value for job in jobs)
    assert backend.health()["connections"]["idle"] <= 2


def test_a_closed_backend_refuses_calls(slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=slapd.url)
    assert backend.search("Zoé", 1)
    backend.close()
    assert backend.health()["state"] == "closed"
    assert backend.health()["connections"]["idle"] == 0
    with pytest.raises(LdapError, match="closed"):
        backend.search("Zoé", 1)


def test_a_missing_base_dn_is_a_search_error(slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=slapd.url, base_dn="ou=nowhere,dc=example,dc=org")
    with pytest.raises(LdapError, match="noSuchObject"):
        backend.search("Zoé", 1)
    assert "noSuchObject" in backend.health()["last_error"]


def _answers(backend: LdapBackend) -> bool:
    try:
        return bool(backend.reverse(["0612345678"], 1))
    except LdapError:
        return False
