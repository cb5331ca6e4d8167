"""Login over a real socket: the three steps, refusals that reveal nothing, legacy challenge,
throttling, the login timeout and the multi-session policies."""

import time
from typing import Any

import pytest

from ctid.api import hash_password
from ctid.testing import wait_until
from ctid.testing.cticlient import CtiLoginError
from ctid_cti.login import is_loopback, legacy_digest


def test_a_v12_login_gets_a_session_id_a_capalist_and_the_capas(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice", firstname="Alice")])
    client = cti.client()
    assert client.banner.startswith("XiVO CTI Server Version 1.2 (ctid ")
    reply = client.request(
        {"class": "login_id", "userlogin": "alice", "ident": "X11-LE-1", "xivoversion": "1.2"}
    )
    assert reply["class"] == "login_id" and reply["xivoversion"] == "1.2"
    assert len(reply["sessionid"]) >= 16 and "timenow" in reply
    assert client.request({"class": "login_pass", "password": "secret"})["capalist"] == ["default"]
    capas = client.request({"class": "login_capas", "capaid": "default", "state": "away"})
    assert capas["userid"] == "alice" and capas["ipbxid"] == "xivo"
    assert capas["presence"] == "away"
    assert capas["capaxlets"] == [
        ["identity", "grid"],
        ["dial", "grid"],
        ["customerinfo", "dock", "cms"],
    ]
    assert capas["capas"]["userstatus"]["donotdisturb"]["actions"] == {"enablednd": "true"}
    assert capas["capas"]["phonestatus"]["8"]["longname"] == "Ringing"
    assert capas["capas"]["ipbxcommands"] == ["dial", "hangup", "transfer", "atxfer"]
    assert "getlist" in capas["capas"]["regcommands"]


def test_the_qt_client_dialect_logs_in(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    client = cti.client()
    reply = client.request(
        {
            "class": "login_id",
            "company": "xivo",
            "ident": "X11-LE-2324",
            "lastlogout-datetime": "",
            "lastlogout-stopper": "",
            "userlogin": "alice",
            "wazoversion": "2.3",
        }
    )
    assert reply["wazoversion"] == "2.3" and reply["sessionid"]
    capalist = client.request({"class": "login_pass", "password": "secret"})["capalist"]
    capas = client.request({"capaid": str(capalist[0]), "class": "login_capas", "state": "x"})
    assert capas["presence"] == "available"


def test_session_ids_are_random_and_distinct(cti: Any) -> None:
    cti.start([])
    ids = set()
    for _ in range(20):
        client = cti.client()
        ids.add(
            client.request({"class": "login_id", "userlogin": "x", "xivoversion": "1.2"})[
                "sessionid"
            ]
        )
        client.close()
    assert len(ids) == 20


def refusal(cti: Any, login: str, password: str, **kw: Any) -> tuple[str, str, float]:
    client = cti.client(source=kw.pop("source", None))
    started = time.monotonic()
    with pytest.raises(CtiLoginError) as raised:
        client.login(login, password, **kw)
    elapsed = time.monotonic() - started
    assert client.wait_closed(), "a refused login closes the connection"
    return raised.value.step, raised.value.code, elapsed


def test_unknown_login_and_wrong_password_are_indistinguishable(cti: Any, make_user: Any) -> None:
    # Real scrypt cost here: the unknown login is checked against a dummy hash of that cost.
    cti.start([{**make_user("alice"), "password": hash_password("secret")}])
    wrong = refusal(cti, "alice", "guess")
    unknown = refusal(cti, "nobody", "guess")
    assert wrong[:2] == unknown[:2] == ("login_pass", "login_password")
    # Both paths pay for one scrypt check; a generous bound, not a tight timing.
    assert max(wrong[2], unknown[2]) < 5 * min(wrong[2], unknown[2]) + 0.05


def test_a_user_without_password_cannot_log_in(cti: Any, make_user: Any) -> None:
    cti.start([{**make_user("bob"), "password": ""}])
    assert refusal(cti, "bob", "")[:2] == ("login_pass", "login_password")


def test_legacy_hashed_password_works_only_with_a_legacy_secret(cti: Any, make_user: Any) -> None:
    cti.start([make_user("old", "default", "1001", legacy_secret="s3cr3t"), make_user("new")])
    client = cti.client()
    capas = client.login("old", "s3cr3t", legacy=True)
    assert capas["userid"] == "old"
    assert refusal(cti, "old", "wrong", legacy=True)[:2] == ("login_pass", "login_password")
    # `new` has a password hash but no legacy secret: the sha1 of its password is refused.
    assert refusal(cti, "new", "secret", legacy=True)[:2] == ("login_pass", "login_password")
    assert refusal(cti, "new", "", legacy=True)[:2] == ("login_pass", "login_password")
    assert legacy_digest("21UaGDfst7", "secret") == "3c49a99c24367bd26b585f4a1a23093e22549718"


def test_clear_passwords_need_tls_or_loopback(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")], options={"plain_password_on_loopback": False})
    assert refusal(cti, "alice", "secret")[:2] == ("login_pass", "password_needs_tls")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("192.168.1.10") and not is_loopback("garbage")


def test_failed_logins_are_throttled_per_login(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice"), make_user("bob")], options={"login_failures": 3})
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert refusal(cti, "alice", "guess", source=source)[1] == "login_password"
    # From a fresh address, even the right password is refused for alice: a distinct code
    # that says nothing about the account; the same address still serves bob.
    assert refusal(cti, "alice", "secret", source="127.0.0.5")[:2] == (
        "login_pass",
        "login_throttled",
    )
    assert cti.client("bob", source="127.0.0.5").request({"class": "keepalive"})
    # A login that does not exist is throttled exactly the same way.
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        refusal(cti, "ghost", "guess", source=source)
    assert refusal(cti, "ghost", "guess", source="127.0.0.5")[1] == "login_throttled"


def test_failed_logins_are_throttled_per_address(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice"), make_user("bob")], options={"login_failures": 3})
    for login in ("alice", "carol", "dave"):
        assert refusal(cti, login, "guess", source="127.0.0.6")[1] == "login_password"
    assert refusal(cti, "bob", "secret", source="127.0.0.6")[1] == "login_throttled"
    assert cti.client("bob", source="127.0.0.7").request({"class": "keepalive"})
    assert cti.daemon.status()["plugins"]["cti"]["tracked_login_failures"] == 4


def test_steps_out_of_order_and_bad_fields_are_refused(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    client = cti.client()
    reply = client.request({"class": "login_pass", "password": "secret"})
    assert reply["error_string"] == "login_sequence"
    assert client.wait_closed()
    client = cti.client()
    reply = client.request({"class": "login_id", "userlogin": "alice", "xivoversion": "1.1"})
    assert reply["error_string"] == "xivoversion_client:1.1;1.2"
    client = cti.client()
    assert client.request({"class": "login_id", "xivoversion": "1.2"})["error_string"] == (
        "missing:userlogin"
    )
    with pytest.raises(CtiLoginError) as raised:
        cti.client().login("alice", "secret", capaid="agent")
    assert (raised.value.step, raised.value.code) == ("login_capas", "wrongprofile")


def test_commands_before_login_are_refused_and_close(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    client = cti.client()
    reply = client.request({"class": "getlist", "function": "listid", "listname": "users"})
    assert reply == {
        "class": "getlist",
        "error_string": "notloggedyet",
        "replyid": reply["replyid"],
        "timenow": reply["timenow"],
    }
    assert client.wait_closed()


def test_the_login_timeout_closes_with_disconn(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")], timeouts={"login": "500ms"})
    idle = cti.client()
    halfway = cti.client()
    halfway.request({"class": "login_id", "userlogin": "alice", "xivoversion": "1.2"})
    done = cti.client("alice")
    for client in (idle, halfway):
        assert client.expect("disconn", timeout=3)["class"] == "disconn"
        assert client.wait_closed(3)
    assert done.request({"class": "keepalive"}, timeout=1)["class"] == "keepalive"


def test_last_wins_forces_the_old_session_out(cti: Any, make_user: Any) -> None:
    cti.start([make_user("alice")])
    first = cti.client("alice")
    second = cti.client("alice")
    assert first.expect("disconnect") == {
        "class": "disconnect",
        "type": "force",
        "timenow": first.received[-1]["timenow"],
    }
    assert first.wait_closed()
    assert second.request({"class": "keepalive"})["class"] == "keepalive"
    sessions = cti.plugin.service.hub.sessions_of("alice")
    assert len(sessions) == 1


def test_refuse_policy_and_max_sessions(cti: Any, make_user: Any) -> None:
    profiles = {"default": {"max_sessions": 2, "session_policy": "refuse"}}
    cti.start([make_user("alice")], profiles=profiles)
    cti.client("alice")
    cti.client("alice")
    with pytest.raises(CtiLoginError) as raised:
        cti.client("alice")
    assert (raised.value.step, raised.value.code) == ("login_capas", "toomuchusers:2")
    wait_until(lambda: len(cti.plugin.service.hub.connections) == 2)
