"""The slapd test kit: a real server on loopback that restarts on the same port with the same
data, pauses like a hung server, and skips cleanly where slapd is not installed."""

import pathlib
import socket

import ldap3
import pytest

from ctid.testing import slapd as kit
from ctid.testing.slapd import Blackhole, Slapd, require_slapd

# BindRequest, message 1, LDAPv3, empty name, empty simple password (BER).
ANONYMOUS_BIND = bytes.fromhex("300c020101600702010304008000")
PEOPLE = pathlib.Path(__file__).resolve().parents[2] / "data" / "ldap" / "people.ldif"


def count(server: Slapd, query: str = "(objectClass=inetOrgPerson)") -> int:
    connection = ldap3.Connection(
        server.url, server.root_dn, server.root_password, auto_bind=True, receive_timeout=2
    )
    try:
        connection.search(server.suffix, query)
        return len(connection.entries)
    finally:
        connection.unbind()


def answers(client: socket.socket) -> bool:
    """Send an anonymous LDAP bind; tell whether any answer comes within 50 ms."""
    client.sendall(ANONYMOUS_BIND)
    client.settimeout(0.05)
    try:
        return bool(client.recv(64))
    except TimeoutError:
        return False
    finally:
        client.settimeout(1)


def test_slapd_serves_the_ldif_and_restarts_on_the_same_port() -> None:
    require_slapd()
    with Slapd(ldif=[PEOPLE]) as server:
        assert server.url == f"ldap://127.0.0.1:{server.port}"
        assert count(server) == 6
        port = server.port
        server.restart()
        assert server.port == port
        assert count(server, "(cn=Zoé Lefèvre)") == 1
        server.stop()
        assert not server.running
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert not server.running


def test_a_paused_slapd_accepts_but_does_not_answer() -> None:
    require_slapd()
    with Slapd() as server, socket.create_connection(("127.0.0.1", server.port), 1) as client:
        server.pause()
        try:
            assert not answers(client)
        finally:
            server.resume()
        assert answers(client)


def test_without_tls_there_is_no_ldaps_url() -> None:
    with pytest.raises(kit.SlapdError, match="without tls="):
        _ = Slapd().ldaps_url


def test_a_bad_ldif_is_reported_with_slapadd_output(tmp_path: pathlib.Path) -> None:
    require_slapd()
    bad = tmp_path / "bad.ldif"
    bad.write_text("dn: uid=x,dc=elsewhere\nobjectClass: nothing\n", encoding="utf-8")
    server = Slapd(ldif=[bad])
    with pytest.raises(kit.SlapdError, match="slapadd"):
        server.start()
    server.close()


def test_require_slapd_skips_naming_the_missing_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kit, "SLAPD", pathlib.Path("/nonexistent/sbin/slapd"))
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/sbin/slapd missing"):
        require_slapd()


def test_a_blackhole_accepts_and_stays_silent() -> None:
    with Blackhole() as hole, socket.create_connection(("127.0.0.1", hole.port), timeout=1) as s:
        assert not answers(s)
