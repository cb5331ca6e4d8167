"""TLS on the CTI ports: TLS 1.2 at least unless the operator lowers it, no compression and no
renegotiation, and a renewed certificate served after a reload (SIGHUP) to new connections
while established ones keep theirs."""

import os
import pathlib
import signal
import ssl
import warnings
from typing import Any

import pytest

from ctid.config import read_directory, validate
from ctid.config.schema import CORE
from ctid.testing import wait_until
from ctid.testing.certs import self_signed
from ctid.testing.cticlient import CtiTestClient

pytestmark = pytest.mark.timeout(60)


def client_context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client that accepts any certificate; pinned to `version` when given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # old TLS is the point
            context.minimum_version = context.maximum_version = version
        # Lift the client's own floor, so that a refusal can only be the server's.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def listeners(certfile: str, keyfile: str, **extra: Any) -> dict[str, Any]:
    """CTIs on, and STARTTLS offered on the clear port, with the same certificate."""
    tls = {"certfile": certfile, "keyfile": keyfile, **extra}
    return {"ctis": {"enabled": True, **tls}, "cti": {"starttls": "offer", **tls}}


def starttls(address: tuple[str, int], context: ssl.SSLContext) -> CtiTestClient:
    """A clear connection upgraded the way the Qt client does it."""
    client = CtiTestClient(address, read_banner=False)
    assert set(client.expect("starttls")) == {"class", "timenow"}  # the offer, nothing else
    reply = client.request({"class": "starttls", "status": True})
    assert reply["starttls"] is True
    client.start_tls(context)
    return client


def served(client: CtiTestClient) -> bytes:
    certificate = client.sock.getpeercert(binary_form=True)  # type: ignore[attr-defined]
    assert certificate is not None
    return certificate


def der(certfile: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pathlib.Path(certfile).read_text())


def renew(pair: tuple[str, str], folder: pathlib.Path) -> None:
    """A renewal tool's way: new files written aside, then moved over the old ones."""
    certfile, keyfile = self_signed(folder)
    os.replace(keyfile, pair[1])
    os.replace(certfile, pair[0])


def test_tls_1_2_is_the_floor_of_every_tls_listener_by_default(kit: Any) -> None:
    listen = CORE({})["listen"]
    assert listen["cti"]["tls_min_version"] == "1.2"
    assert listen["ctis"]["tls_min_version"] == "1.2"
    shipped = validate(read_directory(kit.root / "config.d")).data["listen"]
    assert shipped["cti"]["tls_min_version"] == shipped["ctis"]["tls_min_version"] == "1.2"


def test_a_tls_1_1_client_is_refused_on_ctis_and_on_starttls(
    site: Any, kit: Any, pair: tuple[str, str]
) -> None:
    site.start([kit.user("alice")], listen=listeners(*pair))
    with pytest.raises(ssl.SSLError):
        CtiTestClient(site.address("ctis"), tls=client_context(ssl.TLSVersion.TLSv1_1))
    with pytest.raises(ssl.SSLError):
        starttls(site.address(), client_context(ssl.TLSVersion.TLSv1_1))
    modern = site.client("alice", address=site.address("ctis"), tls=client_context())
    assert modern.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_tls_contexts_refuse_compression_and_renegotiation(
    site: Any, kit: Any, pair: tuple[str, str]
) -> None:
    site.start([kit.user("alice")], listen=listeners(*pair))
    contexts = [site.plugin.servers["ctis"].ssl_context, site.plugin.service.starttls.context]
    for context in contexts:
        assert context.options & ssl.OP_NO_COMPRESSION
        assert context.options & ssl.OP_NO_RENEGOTIATION
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    client = site.client("alice", address=site.address("ctis"), tls=client_context())
    assert client.sock.compression() is None


def test_reload_serves_a_renewed_certificate_to_new_connections_only(
    site: Any, kit: Any, pair: tuple[str, str], tmp_path: pathlib.Path
) -> None:
    profiles = {"default": {"max_sessions": 10}}
    site.start([kit.user("alice")], listen=listeners(*pair), profiles=profiles)
    old_cert = der(pair[0])
    before = site.client("alice", address=site.address("ctis"), tls=client_context())
    upgraded_before = starttls(site.address(), client_context())
    assert served(before) == served(upgraded_before) == old_cert
    context = site.plugin.servers["ctis"].ssl_context
    site.daemon.reload()
    assert site.plugin.servers["ctis"].ssl_context is context  # nothing changed: kept

    renew(pair, tmp_path / "renewed")
    site.daemon.reload()
    after = site.client("alice", address=site.address("ctis"), tls=client_context())
    upgraded_after = starttls(site.address(), client_context())
    assert served(after) == served(upgraded_after) == der(pair[0]) != old_cert
    # Established connections keep their certificate and their session.
    assert served(before) == served(upgraded_before) == old_cert
    assert before.request({"class": "keepalive"})["class"] == "keepalive"


def test_files_that_do_not_load_keep_the_current_certificate(
    site: Any, kit: Any, pair: tuple[str, str], tmp_path: pathlib.Path, caplog: Any
) -> None:
    site.start([kit.user("alice")], listen=listeners(*pair))
    old_cert = der(pair[0])
    other_cert, _other_key = self_signed(tmp_path / "other")
    os.replace(other_cert, pair[0])  # a renewal caught half-way: the key is the old one
    site.daemon.reload()
    assert "new certificate not loaded, the current one stays" in caplog.text
    client = CtiTestClient(site.address("ctis"), tls=client_context())
    assert served(client) == old_cert
    client.close()
    renew(pair, tmp_path / "fixed")  # the tool finishes: the next reload takes it
    site.daemon.reload()
    client = CtiTestClient(site.address("ctis"), tls=client_context())
    assert served(client) == der(pair[0]) != old_cert
    client.close()


def test_sighup_renews_the_certificate_of_a_running_ctid(
    kit: Any, pair: tuple[str, str], tmp_path: pathlib.Path, running: Any
) -> None:
    config_dir = tmp_path / "config.d"
    config_dir.mkdir()
    ports = {name: kit.free_port() for name in ("cti", "ctis")}
    tls = f"certfile: {pair[0]}, keyfile: {pair[1]}"
    (config_dir / "10-site.yml").write_text(
        "listen:\n"
        f"  cti: {{address: 127.0.0.1, port: {ports['cti']}}}\n"
        f"  ctis: {{enabled: true, address: 127.0.0.1, port: {ports['ctis']}, {tls}}}\n"
        "plugins: {cti: {enabled: true}}\n"
        f"users: [{{login: alice, password: '{kit.hash}'}}]\n"
    )
    daemon = running(config_dir, tmp_path)
    daemon.wait_log("started; plugins: cti")
    address = ("127.0.0.1", ports["ctis"])
    before = CtiTestClient(address, tls=client_context())
    old_cert = served(before)
    renew(pair, tmp_path / "renewed")
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_log("listen.ctis: certificate reloaded")
    after = CtiTestClient(address, tls=client_context())
    assert served(after) == der(pair[0]) != old_cert
    assert served(before) == old_cert
    before.send({"class": "keepalive"})  # not logged in: answered, then closed, in TLS
    assert before.expect("keepalive")["error_string"] == "notloggedyet"
    wait_until(lambda: "changed sections: none" in daemon.log(), message="reload logged")
    before.close()
    after.close()
    assert daemon.stop() == 0
