"""The source options: defaults, the operator-facing messages of bad values, the checks across
keys, and the `ldap` backend type registered through the hook."""

import pathlib
import re
from typing import Any

import pytest
import voluptuous as vol
import yaml

from ctid.api import SourceSpec
from ctid.config.directories import CORE_KEYS
from ctid_ldap.backend import LdapBackend
from ctid_ldap.plugin import LdapPlugin
from ctid_ldap.schema import problems

SCHEMA = vol.Schema(LdapBackend.config_schema)


def test_defaults() -> None:
    options = SCHEMA({"uri": "ldap://dir.example.org", "base_dn": "dc=example,dc=org"})
    assert options == {
        "uri": "ldap://dir.example.org",
        "base_dn": "dc=example,dc=org",
        "start_tls": False,
        "verify": True,
        "bind_dn": "",
        "bind_password": "",
        "scope": "sub",
        "filter": "",
        "attributes": [],
        "size_limit": 100,
        "connect_timeout": 0.5,
        "search_timeout": 1.0,
        "pool_size": 4,
        "referrals": False,
        "retry_min": 0.5,
        "retry_max": 30.0,
    }


def test_durations_take_units() -> None:
    options = SCHEMA({"uri": "ldaps://d", "base_dn": "o=x", "connect_timeout": "300ms"})
    assert options["connect_timeout"] == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("uri", "ldpa://dir", "expected an ldap:// or ldaps:// URL"),
        ("uri", "ldap://", "expected an ldap:// or ldaps:// URL"),
        ("uri", "ldap://dir:99999", "expected an ldap:// or ldaps:// URL"),
        ("uri", "ldap://admin:pw@dir", "no credentials in the URL"),
        ("uri", "ldap://dir/dc=x??sub?(cn=*)", "no path or query"),
        ("servers", [], "expected a list of ldap:// or ldaps:// URLs"),
        ("servers", ["ldap://a", "http://b"], "expected an ldap:// or ldaps:// URL"),
        ("scope", "subtree", "value must be one of"),
        ("filter", "objectClass=person", "expected an LDAP filter in parentheses"),
        ("filter", "(cn=%Q", "expected an LDAP filter in parentheses"),
        ("attributes", ["cn", "tele phone"], "expected an LDAP attribute name"),
        ("ca_file", "/nonexistent/ca.pem", "expected the path of a PEM file"),
        ("size_limit", 0, "between 1 and 10000"),
        ("pool_size", 100, "between 1 and 64"),
        ("connect_timeout", 0, "greater than zero"),
        ("base_dn", " ", "expected a DN"),
        ("colour", "blue", "extra keys not allowed"),
    ],
)
def test_bad_values_say_what_was_expected(key: str, value: Any, message: str) -> None:
    options = {"uri": "ldap://dir", "base_dn": "dc=example,dc=org", key: value}
    with pytest.raises(vol.MultipleInvalid, match=message):
        SCHEMA(options)


def test_attributes_may_ask_for_everything() -> None:
    options = SCHEMA({"uri": "ldap://d", "base_dn": "o=x", "attributes": ["*", "mail"]})
    assert options["attributes"] == ["*", "mail"]


def test_the_checks_across_keys() -> None:
    assert problems({"base_dn": "o=x"}) == ["expected exactly one of uri or servers"]
    assert problems({"uri": "ldap://a", "servers": ["ldap://b"]}) == [
        "expected exactly one of uri or servers"
    ]
    assert problems({"uri": "ldap://a", "bind_password": "pw"}) == [
        "expected a bind_dn with bind_password (bind_dn is empty)"
    ]
    assert "unauthenticated bind" in problems({"uri": "ldap://a", "bind_dn": "cn=x"})[0]
    assert problems({"uri": "ldap://a", "retry_min": 5, "retry_max": 1}) == [
        "expected retry_min no longer than retry_max"
    ]
    assert LdapBackend.config_problems is problems


def test_the_backend_refuses_a_spec_that_fails_the_checks() -> None:
    options = SCHEMA({"base_dn": "o=x", "bind_dn": "cn=x"})
    spec = SourceSpec("corp", "ldap", options, ("cn",), ("bad attr",), {}, "")
    with pytest.raises(ValueError, match="directories -> corp: expected exactly one") as error:
        LdapBackend(spec)
    assert "bad attr" in str(error.value)


def test_hook_ctid_register_directory_backends_gives_the_ldap_type() -> None:
    backends = LdapPlugin().ctid_register_directory_backends()
    assert backends == {"ldap": LdapBackend}
    assert isinstance(backends["ldap"].config_schema, dict)


DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "directories-ldap.md"


def documented_sources() -> list[tuple[str, dict[str, Any]]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    sources = []
    for block in blocks:
        for name, source in (yaml.safe_load(block).get("directories") or {}).items():
            sources.append((name, source))
    return sources


@pytest.mark.parametrize(("name", "source"), documented_sources())
def test_the_documented_sources_validate(
    name: str, source: dict[str, Any], tmp_path: pathlib.Path
) -> None:
    assert source["type"] == "ldap"
    options = {key: value for key, value in source.items() if key not in CORE_KEYS}
    if "ca_file" in options:  # the documented path need not exist on this machine
        options["ca_file"] = str(tmp_path / "ca.pem")
        (tmp_path / "ca.pem").write_text("", encoding="utf-8")
    validated = SCHEMA(options)
    assert problems(validated) == []
