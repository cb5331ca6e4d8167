"""STARTTLS on the CTI port as the Qt client does it: the offer, the upgrade of the same socket
(TLS 1.0 only where the operator lowered the floor, and said so in the log), the client's second
status line ignored, clear logins where the listener allows them, refused where it requires TLS."""

import json
import logging
import ssl
from collections.abc import Callable
from typing import Any

import pytest

from ctid.config import ConfigError
from ctid.testing.cticlient import CtiLoginError, CtiTestClient

Replay = Callable[[CtiTestClient, list[str]], list[dict[str, Any]]]


def cti_tls(pair: tuple[str, str], starttls: str = "offer", **extra: Any) -> dict[str, Any]:
    certfile, keyfile = pair
    return {"cti": {"starttls": starttls, "certfile": certfile, "keyfile": keyfile, **extra}}


def offered(client: CtiTestClient) -> None:
    """The first line is the offer, alone: no text banner before it."""
    first = json.loads(client.read_line())
    assert {key: value for key, value in first.items() if key != "timenow"} == {"class": "starttls"}


def upgrade(client: CtiTestClient, status_line: str, context: ssl.SSLContext) -> None:
    client.send_raw(status_line.encode() + b"\n")
    answer = client.expect("starttls")
    assert answer["starttls"] is True
    client.start_tls(context, server_hostname="localhost")


def test_the_tls_capture_upgrades_the_socket_and_logs_in_with_tls_1_0(
    site: Any,
    connect: Any,
    capture: Any,
    replay: Replay,
    loader: Any,
    pair: tuple[str, str],
    qt_tls: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    site(listen=cti_tls(pair, tls_min_version="1.0"))
    assert "listen.cti accepts TLS 1.0" in caplog.text
    client = connect()
    offered(client)
    status, *session = capture("mock-tls.txt")
    upgrade(client, status, qt_tls())
    assert client.sock.version() == "TLSv1"
    login_id, login_pass, login_capas, _, _, *lists = replay(client, session)
    assert login_id["sessionid"] and login_pass["capalist"] == ["1"]
    assert login_capas["userid"] == "1"
    loader(client, [m for m in lists if m["function"] == "listid"])


def test_with_the_default_floor_the_clients_tls_1_0_is_refused(
    site: Any,
    connect: Any,
    capture: Any,
    pair: tuple[str, str],
    qt_tls: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site(listen=cti_tls(pair))
    assert "accepts TLS" not in caplog.text
    status = capture("mock-tls.txt")[0]
    client = connect()
    offered(client)
    with pytest.raises(ssl.SSLError) as refused:
        upgrade(client, status, qt_tls())
    assert "PROTOCOL_VERSION" in str(refused.value).upper()  # the server's alert
    modern = connect()
    offered(modern)
    upgrade(modern, status, ssl.create_default_context(cafile=pair[0]))
    assert modern.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_the_status_line_of_the_silent_listener_capture_is_answered(
    site: Any, connect: Any, capture: Any, pair: tuple[str, str]
) -> None:
    site(listen=cti_tls(pair))
    client = connect()
    offered(client)
    status = capture("login.txt")[1]
    client.send_raw(status.encode() + b"\n")
    assert client.expect("starttls") == {
        "class": "starttls",
        "starttls": True,
        "replyid": 48271,
        "timenow": client.received[-1]["timenow"],
    }


def test_clear_bytes_behind_the_status_line_close_the_connection(
    site: Any, connect: Any, capture: Any, pair: tuple[str, str]
) -> None:
    site(listen=cti_tls(pair))
    client = connect()
    offered(client)
    status, login_id = capture("mock-tls.txt")[:2]
    client.send_raw(f"{status}\n{login_id}\n".encode())  # an injection, not a client
    assert client.wait_closed()
    assert not [m for m in client.received if m["class"] == "login_id"]


def test_a_client_that_declines_stays_in_clear_where_offered(
    site: Any, connect: Any, capture: Any, replay: Replay, cti: Any, pair: tuple[str, str]
) -> None:
    site(listen=cti_tls(pair))
    client = connect()
    offered(client)
    client.send_raw(b'{"class":"starttls","commandid":1,"status":false}\n')
    assert client.expect("starttls")["starttls"] is False
    replay(client, capture("mock-plain.txt")[:3])  # from loopback: the clear password is fine
    assert [c.is_tls for c in cti.plugin.servers["cti"].connections] == [False]


def test_clients_that_speak_first_stay_in_clear_where_offered(
    site: Any, connect: Any, capture: Any, replay: Replay, cti: Any, pair: tuple[str, str]
) -> None:
    site(listen=cti_tls(pair))
    qt = connect()
    offered(qt)
    replay(qt, capture("mock-plain.txt")[:3])  # the Qt client with encryption off
    v12 = CtiTestClient(cti.address)  # reads the offer as its banner and ignores it
    cti.stack.callback(v12.close)
    assert v12.login("bob", "secret")["userid"] == "2"


def test_require_refuses_logins_in_clear(
    site: Any, connect: Any, capture: Any, pair: tuple[str, str], qt_tls: Any
) -> None:
    site(listen=cti_tls(pair, "require", tls_min_version="1.0"))
    login_id = capture("login.txt")[0]
    speaks_first = connect()
    offered(speaks_first)
    speaks_first.send_raw(login_id.encode() + b"\n")
    assert speaks_first.expect("login_id")["error_string"] == "starttls_required"
    assert speaks_first.wait_closed()
    declines = connect()
    offered(declines)
    declines.send_raw(b'{"class":"starttls","commandid":1,"status":false}\n')
    assert declines.expect("starttls")["starttls"] is False
    declines.send_raw(login_id.encode() + b"\n")
    assert declines.expect("login_id")["error_string"] == "starttls_required"
    secure = connect()
    offered(secure)
    upgrade(secure, capture("login.txt")[1], qt_tls())
    secure.send_raw(login_id.encode() + b"\n")
    assert secure.expect("login_id")["sessionid"]


def test_clear_passwords_from_the_network_are_refused_by_default(
    site: Any, cti: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # plain_password_on_loopback off makes this loopback client count as one from the network.
    site(options={"plain_password_on_loopback": False})
    with pytest.raises(CtiLoginError) as refused:
        cti.client("alice")
    assert refused.value.code == "password_needs_tls"
    assert "allow_clear_login" not in caplog.text


def test_allow_clear_login_lets_them_in_and_says_so_at_start(
    site: Any, cti: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    site(options={"plain_password_on_loopback": False}, listen={"cti": {"allow_clear_login": True}})
    assert "listen.cti has allow_clear_login" in caplog.text
    assert cti.client("alice")  # logged in over the clear connection


def test_starttls_without_a_certificate_is_a_config_problem(site: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        site(listen={"cti": {"starttls": "offer"}})
    text = str(caught.value)
    assert (
        "listen -> cti -> certfile: a PEM file path (cti has starttls: offer), got nothing" in text
    )
    assert (
        "listen -> cti -> keyfile: a PEM file path (cti has starttls: offer), got nothing" in text
    )
