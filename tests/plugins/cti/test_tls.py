"""CTIs: the same protocol over TLS 1.2+, clear passwords accepted there, old TLS refused."""

import pathlib
import ssl
import warnings
from typing import Any

import pytest

from ctid.config import ConfigError
from ctid.testing.certs import CertificateError, self_signed
from ctid.testing.cticlient import CtiLoginError, CtiTestClient


@pytest.fixture
def pair(tmp_path: pathlib.Path) -> tuple[str, str]:
    try:
        return self_signed(tmp_path)
    except CertificateError as exc:
        pytest.skip(f"no way to make a test certificate here: {exc}")


def ctis(certfile: str, keyfile: str, **extra: Any) -> dict[str, Any]:
    return {"ctis": {"enabled": True, "certfile": certfile, "keyfile": keyfile, **extra}}


def verifying(certfile: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certfile)
    return context


def tls1_0_only() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is deprecated: the point
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1
    # OpenSSL's own floor would refuse TLS 1.0 client-side; lift it so the refusal is the server's.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def test_a_tls_client_logs_in_with_its_password(
    cti: Any, make_user: Any, pair: tuple[str, str]
) -> None:
    cti.start(
        [make_user("alice")],
        listen=ctis(*pair),
        options={"plain_password_on_loopback": False},
    )
    secure = cti.client("alice", address=cti.plugin.servers["ctis"].address, tls=verifying(pair[0]))
    assert secure.sock.version() in ("TLSv1.2", "TLSv1.3")
    assert secure.banner.startswith("XiVO CTI Server")
    assert secure.request({"class": "getipbxlist"})["ipbxlist"] == ["xivo"]
    with pytest.raises(CtiLoginError) as refused:
        cti.client("alice")  # the same password in clear on the plain port
    assert refused.value.code == "password_needs_tls"


def test_a_tls_1_0_client_is_refused_by_the_server(
    cti: Any, make_user: Any, pair: tuple[str, str]
) -> None:
    cti.start([make_user("alice")], listen=ctis(*pair))
    with pytest.raises(ssl.SSLError) as refused:
        CtiTestClient(cti.plugin.servers["ctis"].address, tls=tls1_0_only())
    assert "PROTOCOL_VERSION" in str(refused.value).upper()  # the server's alert
    assert cti.client("alice").request({"class": "keepalive"})["class"] == "keepalive"


def test_the_same_tls_1_0_client_gets_in_where_the_operator_allows_it(
    cti: Any, make_user: Any, pair: tuple[str, str]
) -> None:
    cti.start([make_user("alice")], listen=ctis(*pair, tls_min_version="1.0"))
    client = cti.client("alice", address=cti.plugin.servers["ctis"].address, tls=tls1_0_only())
    assert client.sock.version() == "TLSv1"


def test_ctis_without_a_certificate_is_a_config_problem(cti: Any, make_user: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        cti.start([make_user("alice")], listen={"ctis": {"enabled": True}})
    text = str(caught.value)
    assert "listen -> ctis -> certfile: a PEM file path (ctis is enabled), got nothing" in text
    assert "listen -> ctis -> keyfile: a PEM file path (ctis is enabled), got nothing" in text
