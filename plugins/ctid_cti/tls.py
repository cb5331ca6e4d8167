"""The TLS of the CTI ports: the `listen.ctis` context, STARTTLS on `listen.cti`, a warning for
each weakening an operator chose (an old TLS floor for the Qt client, clear-text logins from the
network), and certificate renewal on reload.

Both listeners bind at start, and STARTTLS's mode is fixed then too. What a reload does change is
the certificate: when `certfile`, `keyfile`, `tls_min_version` or the files themselves (their
modification time, size or inode: a renewal tool replacing them) differ from what the running
context was built from, a new context is built. Connections accepted (or upgraded by STARTTLS)
from then on use it; connections already encrypted keep the certificate they shook hands with.
New files that do not load (a key that does not match its certificate, a file half written) are
logged as an error and the previous context stays in service.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Mapping
from typing import Any

from ctid.api import Ctid
from ctid_cti.starttls import OFF, StartTlsPolicy

log = logging.getLogger(__name__)

MODERN = ("1.2", "1.3")
"""TLS versions OpenSSL serves at its default security level."""

Fingerprint = tuple[object, ...]


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


def fingerprint(ctid: Ctid, name: str) -> Fingerprint:
    """What the context of `listen.<name>` is built from: its settings and its files' stamps."""
    section = ctid.settings["listen"][name]
    stamps: list[object] = []
    for key in ("certfile", "keyfile"):
        try:
            found = os.stat(section[key]) if section[key] else None
        except OSError:
            found = None  # missing now: building the context will say so
        stamps.append((found.st_mtime_ns, found.st_size, found.st_ino) if found else None)
    return (section["certfile"], section["keyfile"], section["tls_min_version"], *stamps)


class Certificates:
    """The TLS contexts of the CTI listeners, and what each was built from."""

    def __init__(self, ctid: Ctid) -> None:
        self.ctid = ctid
        self._built: dict[str, Fingerprint] = {}

    def context(self, name: str) -> ssl.SSLContext:
        """The context of `listen.<name>` at start (errors propagate: the start fails)."""
        stamp = fingerprint(self.ctid, name)
        context = listener_context(self.ctid, name)
        self._built[name] = stamp
        return context

    def renewed(self, name: str) -> ssl.SSLContext | None:
        """A new context when what `listen.<name>`'s was built from changed; None when nothing
        changed, when that listener has no context, or when the new files do not load."""
        built = self._built.get(name)
        stamp = fingerprint(self.ctid, name)
        if built is None or stamp == built:
            return None
        try:
            context = listener_context(self.ctid, name)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            # Not recorded as built: the next reload tries again, once the files are right.
            log.error("listen.%s: new certificate not loaded, the current one stays: %s", name, exc)
            return None
        self._built[name] = stamp
        log.info("listen.%s: certificate reloaded from %s", name, stamp[0])
        return context


def starttls_policy(ctid: Ctid, certificates: Certificates) -> StartTlsPolicy:
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
    return StartTlsPolicy(section["starttls"], certificates.context("cti"), clear)
