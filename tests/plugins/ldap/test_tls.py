"""TLS to a real slapd with a CA made by the test (openssl): ldaps:// and StartTLS verified
against ca_file, a refused unknown CA, and the loud warning when verification is off."""

import logging
import pathlib
import shutil
from collections.abc import Callable, Iterator

import pytest

from ctid.testing.slapd import Slapd, TlsFiles, make_tls_files, require_slapd
from ctid_ldap.backend import LdapBackend
from ctid_ldap.pool import LdapUnavailable

Make = Callable[..., LdapBackend]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is missing: apt-get install openssl")
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_slapd(tls_files: TlsFiles, people_ldif: pathlib.Path) -> Iterator[Slapd]:
    require_slapd()
    with Slapd(ldif=[people_ldif], tls=tls_files) as slapd:
        yield slapd


def test_ldaps_verified_against_the_ca_file(
    tls_slapd: Slapd, tls_files: TlsFiles, make_backend: Make
) -> None:
    backend = make_backend(uri=tls_slapd.ldaps_url, ca_file=tls_files.cafile)
    assert backend.reverse(["0612345678"], 1)[0]["cn"] == ["Zoé Lefèvre"]
    assert backend.health()["state"] == "up"


def test_start_tls_verified_against_the_ca_file(
    tls_slapd: Slapd, tls_files: TlsFiles, make_backend: Make
) -> None:
    url = tls_slapd.url.replace("127.0.0.1", "localhost")
    backend = make_backend(
        uri=url,
        start_tls=True,
        ca_file=tls_files.cafile,
        bind_dn=tls_slapd.root_dn,
        bind_password=tls_slapd.root_password,
    )
    assert backend.search("Jürgen", 1)[0]["sn"] == ["Müller"]


def test_an_unknown_ca_is_refused_with_a_clear_error(
    tls_slapd: Slapd, tls_files: TlsFiles, make_backend: Make, tmp_path: pathlib.Path
) -> None:
    other = make_tls_files(tmp_path / "other")
    backend = make_backend(uri=tls_slapd.ldaps_url, ca_file=other.cafile)
    with pytest.raises(LdapUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        backend.search("Zoé", 1)
    assert "CERTIFICATE_VERIFY_FAILED" in backend.health()["servers"][0]["error"]


def test_start_tls_with_an_unknown_ca_never_sends_the_password(
    tls_slapd: Slapd, make_backend: Make, tmp_path: pathlib.Path
) -> None:
    other = make_tls_files(tmp_path / "other")
    backend = make_backend(
        uri=tls_slapd.url,
        start_tls=True,
        ca_file=other.cafile,
        bind_dn=tls_slapd.root_dn,
        bind_password=tls_slapd.root_password,
    )
    with pytest.raises(LdapUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        backend.search("Zoé", 1)


def test_verify_off_works_and_warns_loudly_at_start(
    tls_slapd: Slapd, make_backend: Make, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ctid_ldap"):
        backend = make_backend(uri=tls_slapd.ldaps_url, verify=False)
    assert "TLS certificate verification is OFF" in caplog.text
    assert backend.search("Zoé", 1)


def test_verify_on_is_silent(
    tls_slapd: Slapd, tls_files: TlsFiles, make_backend: Make, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ctid_ldap"):
        make_backend(uri=tls_slapd.ldaps_url, ca_file=tls_files.cafile)
    assert caplog.text == ""


def test_a_clear_text_bind_to_a_remote_server_is_warned_about(
    make_backend: Make, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ctid_ldap"):
        make_backend(uri="ldap://dir.example.org", bind_dn="cn=ctid", bind_password="s3cr3t-pw")
    assert "bind password goes unencrypted to ldap://dir.example.org" in caplog.text
    assert "s3cr3t-pw" not in caplog.text
