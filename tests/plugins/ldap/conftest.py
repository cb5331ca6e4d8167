"""Fixtures of the LDAP backend tests: a real slapd loaded with people.ldif, and backends built
exactly as the directory service builds them (options validated by the factory's schema)."""

import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import voluptuous as vol

from ctid.api import SourceSpec
from ctid.testing.slapd import Slapd, require_slapd
from ctid_ldap.backend import LdapBackend

PEOPLE = pathlib.Path(__file__).resolve().parents[2] / "data" / "ldap" / "people.ldif"
BASE = "ou=people,dc=example,dc=org"
FIELDS = {
    "fullname": "cn",
    "firstname": "givenName",
    "lastname": "sn",
    "phone": "telephoneNumber",
    "mobile": "mobile",
    "company": "o",
    "label": "{givenName} {sn}",
}


@pytest.fixture(scope="session")
def people_ldif() -> pathlib.Path:
    """The directory fixture: people with non-ASCII names and numbers in several formats."""
    return PEOPLE


@pytest.fixture(scope="module")
def shared_slapd() -> Iterator[Slapd]:
    """One slapd for the read-only tests of a module (starting one takes ~0.1 s)."""
    require_slapd()
    with Slapd(ldif=[PEOPLE]) as slapd:
        yield slapd


@pytest.fixture
def slapd() -> Iterator[Slapd]:
    """A slapd of the test's own, for tests that stop or restart it."""
    require_slapd()
    with Slapd(ldif=[PEOPLE]) as server:
        yield server


def spec(
    options: dict[str, Any],
    *,
    match_direct: tuple[str, ...] = ("cn", "sn", "givenName", "o"),
    match_reverse: tuple[str, ...] = ("telephoneNumber", "mobile"),
    timeout: float = 1.0,
) -> SourceSpec:
    return SourceSpec(
        name="corp",
        type="ldap",
        options=vol.Schema(LdapBackend.config_schema)(options),
        match_direct=match_direct,
        match_reverse=match_reverse,
        fields=FIELDS,
        display_reverse="{db-fullname}",
        timeout=timeout,
    )


@pytest.fixture
def make_backend() -> Iterator[Callable[..., LdapBackend]]:
    """Build backends from options (base_dn defaults to ou=people); all closed at teardown."""
    made: list[LdapBackend] = []

    def make(
        match_direct: tuple[str, ...] = ("cn", "sn", "givenName", "o"),
        match_reverse: tuple[str, ...] = ("telephoneNumber", "mobile"),
        timeout: float = 1.0,
        **options: Any,
    ) -> LdapBackend:
        options.setdefault("base_dn", BASE)
        backend = LdapBackend(
            spec(options, match_direct=match_direct, match_reverse=match_reverse, timeout=timeout)
        )
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()
