"""The `ldap` backend inside a daemon: a `directories:` entry of type ldap and a context turn a
caller number into db- fields and dbr-display through `ctid_reverse_lookup`, a search through
`ctid_search_directory`; bad options are config problems; a dead server fails open."""

import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ctid.config import ConfigError
from ctid.daemon import Daemon
from ctid.testing import make_daemon, wait_until
from ctid.testing.slapd import Slapd
from ctid_ldap.plugin import LdapPlugin

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "plugins" / "ctid_ldap" / "example.yml"


def config(url: str, **options: Any) -> dict[str, Any]:
    return {
        "directories": {
            "corp": {
                "type": "ldap",
                "uri": url,
                "base_dn": "ou=people,dc=example,dc=org",
                "retry_min": "20ms",
                "match_direct": ["cn", "o"],
                "match_reverse": ["telephoneNumber", "mobile"],
                "fields": {
                    "fullname": "cn",
                    "firstname": "givenName",
                    "lastname": "sn",
                    "company": "o",
                    "phone": "telephoneNumber",
                },
                "display_reverse": "{db-firstname} {db-lastname} ({db-company})",
                **options,
            }
        },
        "contexts": {"default": {"directories": ["corp"], "reverse": {"*": ["corp"]}}},
        "reverse": {"default_region": "FR", "cache": {"max_entries": 0}},
    }


@pytest.fixture
def daemon(slapd: Slapd) -> Iterator[Daemon]:
    with make_daemon(config(slapd.url), {"ldap": LdapPlugin()}) as running:
        yield running


def reverse(daemon: Daemon, number: str) -> Any:
    return daemon.hooks.query(
        "ctid_reverse_lookup", 2.0, number=number, context="default", did="0140001234"
    )


def test_hook_ctid_reverse_lookup_names_a_caller_from_ldap(daemon: Daemon) -> None:
    found = reverse(daemon, "0612345678")
    assert found["dbr-display"] == "Zoé Lefèvre (Acme)"
    assert found["db-fullname"] == "Zoé Lefèvre"
    assert found["db-phone"].startswith("+33 6 12 34 56 78")
    assert found["xivo-directory"] == "corp"


def test_reverse_through_the_daemon_reads_every_number_format(daemon: Daemon) -> None:
    assert reverse(daemon, "+33612345678")["dbr-display"] == "Zoé Lefèvre (Acme)"
    assert reverse(daemon, "0041446681801")["dbr-display"] == "Jürgen Müller (Helvetia AG)"
    assert reverse(daemon, "+12125550142")["dbr-display"] == "Robert Smith (Initech)"
    assert reverse(daemon, "0699999999") is None


def test_hook_ctid_search_directory_finds_non_ascii_names(daemon: Daemon) -> None:
    found = daemon.hooks.query(
        "ctid_search_directory", 2.0, term="ñuñez", contexts=["default"], limit=10
    )
    assert found["status"] == "ok"
    assert [row.split(";")[0] for row in found["resultlist"]] == ["José Ñuñez"]


def test_a_stopped_server_fails_open_within_the_deadline(daemon: Daemon, slapd: Slapd) -> None:
    assert reverse(daemon, "0612345678")
    slapd.stop()
    started = time.monotonic()
    assert reverse(daemon, "0612345678") is None
    assert time.monotonic() - started < 1.0
    backend = daemon.directories.service.status()["directories"]["corp"]["backend"]
    assert backend["state"] == "down"
    slapd.restart()
    wait_until(lambda: reverse(daemon, "0612345678"), timeout=5, message="recovery")


def test_bad_options_are_config_problems_with_their_path() -> None:
    raw = config("ldpa://dir", scope="tree", bind_password="s3cr3t-pw")
    with pytest.raises(ConfigError) as error, make_daemon(raw, {"ldap": LdapPlugin()}):
        pass
    text = str(error.value)
    assert "directories -> corp -> uri: expected an ldap:// or ldaps:// URL" in text
    assert "directories -> corp -> scope:" in text
    assert "s3cr3t-pw" not in text


def test_problems_across_keys_are_config_problems() -> None:
    url = "ldap://127.0.0.1:1"
    raw = config(url, servers=[url], bind_dn="cn=admin,dc=example,dc=org")
    with pytest.raises(ConfigError) as error, make_daemon(raw, {"ldap": LdapPlugin()}):
        pass
    text = str(error.value)
    assert "directories -> corp: expected exactly one of uri or servers" in text
    assert "expected a bind_password with bind_dn" in text


def test_the_example_passes_the_backend_checks_too() -> None:
    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    with make_daemon(example, {"ldap": LdapPlugin()}, start=False) as daemon:
        assert daemon.config.data["directories"]["staff"]["type"] == "ldap"
