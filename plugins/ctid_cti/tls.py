"""The TLS of the CTI ports, set up at start: the `listen.ctis` context, STARTTLS on
`listen.cti`, and a warning for each weakening an operator chose (an old TLS floor for the Qt
client, clear-text logins from the network). Both listeners bind at start, so these too are
read at start only."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from typing import Any

from ctid.api import Ctid
from ctid_cti.starttls import OFF, StartTlsPolicy

log = logging.getLogger(__name__)

MODERN = ("1.2", "1.3")
"""TLS versions OpenSSL serves at its default security level."""


def listener_context(ctid: Ctid, name: str) -> ssl.SSLContext:
    """The TLS context of `listen.<name>`; a floor below TLS 1.2 is logged as a WARNING."""
    context = ctid.tls_context(name)
    version = ctid.settings["listen"][name]["tls_min_version"]
    if version not in MODERN:
        log.warning(
            "listen.%s accepts TLS %s: broken old protocol versions and weak ciphers are "
            "enabled on this listener for legacy clients (see docs/security.md)",
            name,
            version,
        )
    return context


def starttls_policy(ctid: Ctid) -> StartTlsPolicy:
    """What the clear CTI port does about STARTTLS (and a warning for clear logins)."""
    section: Mapping[str, Any] = ctid.settings["listen"]["cti"]
    if not section["enabled"]:
        return StartTlsPolicy()
    if section["allow_clear_login"] and section["starttls"] != "require":
        log.warning(
            "listen.cti has allow_clear_login: CTI passwords from other machines may cross "
            "the network in clear (see docs/security.md)"
        )
    clear = bool(section["allow_clear_login"])
    if section["starttls"] == OFF:
        return StartTlsPolicy(allow_clear_login=clear)
    return StartTlsPolicy(section["starttls"], listener_context(ctid, "cti"), clear)
