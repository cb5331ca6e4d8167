"""Options of one LDAP directory source (`directories.<name>` with `type: ldap`), and the checks
that span several keys."""

from __future__ import annotations

import pathlib
import urllib.parse
from collections.abc import Mapping
from typing import Any

from ctid.api import Secret, between, positive_duration, string_list, vol
from ctid_ldap.ldapsource import check_attribute, check_filter

Opt = vol.Optional

SCOPES = ("base", "one", "sub")
DEFAULT_PORTS = {"ldap": 389, "ldaps": 636}


def ldap_url(value: Any) -> str:
    """`ldap://host[:port]` or `ldaps://host[:port]`; nothing else (no credentials, no path)."""
    expected = "expected an ldap:// or ldaps:// URL such as ldaps://dir.example.org"
    if not isinstance(value, str):
        raise vol.Invalid(expected)
    try:
        parts = urllib.parse.urlsplit(value.strip())
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise vol.Invalid(f"{expected}, got {value!r}") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise vol.Invalid(f"{expected}, got {value!r}")
    if parts.username is not None or parts.password is not None:
        # A password in a URL would be shown wherever the URL is: bind_password is masked.
        raise vol.Invalid("expected no credentials in the URL: use bind_dn and bind_password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise vol.Invalid("expected no path or query in the URL: use base_dn, scope and filter")
    return value.strip()


def ldap_urls(value: Any) -> list[str]:
    """A non-empty list of LDAP URLs, tried in order."""
    if not isinstance(value, list) or not value:
        raise vol.Invalid("expected a list of ldap:// or ldaps:// URLs")
    return [ldap_url(item) for item in value]


def custom_filter(value: Any) -> str:
    """An RFC 4515 filter in parentheses, or "" for none; `%Q` stands for the escaped term."""
    if not isinstance(value, str):
        raise vol.Invalid("expected an LDAP filter such as (objectClass=person)")
    if not value.strip():
        return ""
    try:
        return check_filter(value)
    except ValueError as error:
        raise vol.Invalid(str(error)) from None


def attribute_names(value: Any) -> list[str]:
    """A list of LDAP attribute names; `*` stands for every user attribute."""
    try:
        return [name if name == "*" else check_attribute(name) for name in string_list(value)]
    except ValueError as error:
        raise vol.Invalid(str(error)) from None


def pem_file(value: Any) -> str:
    """The path of an existing file."""
    if not isinstance(value, str) or not pathlib.Path(value).is_file():
        raise vol.Invalid(f"expected the path of a PEM file, got {value!r}")
    return value


def dn(value: Any) -> str:
    """A distinguished name (not checked beyond being non-empty text)."""
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid("expected a DN such as ou=people,dc=example,dc=org")
    return value.strip()


SCHEMA: dict[Any, Any] = {
    Opt("uri", description="the server, ldap://host[:port] or ldaps://host[:port]"): ldap_url,
    Opt("servers", description="several servers tried in order (failover), instead of uri"): (
        ldap_urls
    ),
    Opt("start_tls", default=False, description="upgrade ldap:// connections with StartTLS"): (
        bool
    ),
    Opt("ca_file", description="PEM file of the CA that signed the server's certificate"): (
        pem_file
    ),
    Opt("verify", default=True, description="check the server's certificate and name"): bool,
    Opt("bind_dn", default="", description="DN to bind as; empty binds anonymously"): str,
    Secret("bind_password", default="", description="password of bind_dn"): str,
    vol.Required("base_dn", description="where searches start"): dn,
    Opt("scope", default="sub", description="base, one (children) or sub (whole subtree)"): (
        vol.In(SCOPES)
    ),
    Opt(
        "filter",
        default="",
        description="extra filter ANDed with the generated one; %Q stands for the escaped term",
    ): custom_filter,
    Opt(
        "attributes",
        default=[],
        description="attributes to fetch besides those named by fields and match_* ('*' = all)",
    ): attribute_names,
    Opt("size_limit", default=100, description="most entries one search returns"): (
        between(1, 10000)
    ),
    Opt(
        "connect_timeout",
        default=0.5,
        description="deadline of TCP connect, TLS handshake and bind, per server",
    ): positive_duration,
    Opt("search_timeout", default=1.0, description="deadline of one search's answer"): (
        positive_duration
    ),
    Opt("pool_size", default=4, description="most connections open to the source at once"): (
        between(1, 64)
    ),
    Opt("referrals", default=False, description="follow referrals (AD's often point nowhere)"): (
        bool
    ),
    Opt("retry_min", default=0.5, description="rest a failed server this long at first"): (
        positive_duration
    ),
    Opt("retry_max", default=30.0, description="longest rest after repeated failures"): (
        positive_duration
    ),
}


def problems(options: Mapping[str, Any]) -> list[str]:
    """What the per-key schema cannot see: keys that only make sense together (the directory
    service reports each as a config problem; the backend refuses to start on any)."""
    found = []
    if ("uri" in options) == ("servers" in options):
        found.append("expected exactly one of uri or servers")
    if options.get("bind_password") and not options.get("bind_dn"):
        found.append("expected a bind_dn with bind_password (bind_dn is empty)")
    if options.get("bind_dn") and not options.get("bind_password"):
        found.append("expected a bind_password with bind_dn (an empty one: unauthenticated bind)")
    if options.get("retry_min", 0) > options.get("retry_max", 0):
        found.append("expected retry_min no longer than retry_max")
    return found
