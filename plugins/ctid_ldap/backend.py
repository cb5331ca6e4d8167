"""`LdapBackend`: one LDAP directory source; the class is the factory registered as type `ldap`.

It turns the core's calls into filters (ldapsource), runs them on the source's connection pool
(pool), and turns entries into records. A failure raises LdapError with a clear message and is
kept for `health()`; the core, which calls every source under a deadline, fails open.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gevent
import ldap3

from ctid.api import Record, SourceSpec, source_fields
from ctid_ldap.ldapsource import (
    TERM,
    check_attribute,
    direct_filter,
    requested,
    reverse_filter,
    to_record,
)
from ctid_ldap.pool import ConnectionPool, LdapError, Settings
from ctid_ldap.schema import SCHEMA, problems

log = logging.getLogger(__name__)

SCOPES = {"base": ldap3.BASE, "one": ldap3.LEVEL, "sub": ldap3.SUBTREE}
# Result codes after which the entries already received are good: success, timeLimitExceeded,
# sizeLimitExceeded (the server stopped at our size limit or its own).
_USABLE = (0, 3, 4)


class LdapBackend:
    """A directory source on one LDAP tree, reached through one or more servers."""

    config_schema: ClassVar[dict[Any, Any]] = SCHEMA
    config_problems = staticmethod(problems)

    def __init__(self, spec: SourceSpec) -> None:
        options = spec.options
        found = problems(options)
        try:
            for name in (*spec.match_direct, *spec.match_reverse):
                check_attribute(name)
        except ValueError as error:
            found.append(str(error))
        if found:
            raise ValueError(f"directories -> {spec.name}: {'; '.join(found)}")
        self.name = spec.name
        self._base: str = options["base_dn"]
        self._scope: str = options["scope"]
        self._custom: str = options["filter"]
        self._direct = spec.match_direct
        self._reverse = spec.match_reverse
        self._attributes = requested(source_fields(spec), options["attributes"])
        self._size_limit: int = options["size_limit"]
        self._settings = _settings(options, spec.timeout)
        self._pool = ConnectionPool(self._settings, spec.name)
        self._searches = self._failures = 0
        self._last_error = ""
        self._last_ms = 0.0
        _warn_at_start(spec.name, options, self._settings)

    def search(self, term: str, limit: int) -> list[Record]:
        """Entries whose match_direct attributes contain `term`; [] for an empty term."""
        if not term or limit <= 0 or not (self._direct or self._custom):
            return []
        return self._find(direct_filter(term, self._direct, self._custom), limit)

    def reverse(self, candidates: Sequence[str], limit: int) -> list[Record]:
        """Entries whose match_reverse attributes equal one of the candidates (one filter)."""
        forms = [item for item in candidates if item]
        if not forms or limit <= 0 or not (self._reverse or TERM in self._custom):
            return []
        return self._find(reverse_filter(forms, self._reverse, self._custom), limit)

    def close(self) -> None:
        self._pool.close()

    def health(self) -> dict[str, Any]:
        view = self._pool.health()
        view.update(
            base_dn=self._base,
            bind_dn=self._settings.bind_dn or "(anonymous)",
            searches=self._searches,
            failures=self._failures,
            last_ms=round(self._last_ms, 3),
        )
        if self._last_error:
            view["last_error"] = self._last_error
        return view

    def _find(self, query: str, limit: int) -> list[Record]:
        started = time.monotonic()
        self._searches += 1
        try:
            records = self._pool.run(lambda connection: self._search(connection, query, limit))
        except LdapError as error:
            self._failed(str(error))
            raise
        except gevent.Timeout:
            self._failed("cut short by the lookup deadline")
            raise
        self._last_error = ""
        self._last_ms = (time.monotonic() - started) * 1000
        log.debug(
            "directory %s: %s gave %d entries in %.1f ms",
            self.name,
            query,
            len(records),
            self._last_ms,
        )
        return records

    def _failed(self, error: str) -> None:
        self._failures += 1
        if error != self._last_error:
            log.warning("directory %s: lookup failed: %s", self.name, error)
        self._last_error = error

    def _search(self, connection: ldap3.Connection, query: str, limit: int) -> list[Record]:
        connection.search(
            self._base,
            query,
            search_scope=SCOPES[self._scope],
            attributes=self._attributes or ldap3.NO_ATTRIBUTES,
            size_limit=min(limit, self._size_limit),
            time_limit=max(1, math.ceil(self._settings.search_timeout)),
        )
        result: Mapping[str, Any] = connection.result or {}
        if result.get("result") not in _USABLE:
            detail = f"{result.get('description', '?')} {result.get('message', '')}".rstrip()
            raise LdapError(f"search under {self._base} failed: {detail}")
        entries = [
            to_record(entry["dn"], entry["raw_attributes"], self._attributes)
            for entry in connection.response or ()
            if entry.get("type") == "searchResEntry"
        ]
        return entries[:limit]


def _settings(options: Mapping[str, Any], deadline: float) -> Settings:
    servers = options["servers"] if "servers" in options else [options["uri"]]
    return Settings(
        servers=tuple(servers),
        bind_dn=options["bind_dn"],
        bind_password=options["bind_password"],
        start_tls=options["start_tls"],
        ca_file=options.get("ca_file"),
        verify=options["verify"],
        # Never wait past the core's own deadline for this source.
        connect_timeout=min(options["connect_timeout"], deadline),
        search_timeout=min(options["search_timeout"], deadline),
        pool_size=options["pool_size"],
        referrals=options["referrals"],
        retry_min=options["retry_min"],
        retry_max=options["retry_max"],
    )


def _warn_at_start(name: str, options: Mapping[str, Any], settings: Settings) -> None:
    if settings.uses_tls and not settings.verify:
        log.warning(
            "directory %s: TLS certificate verification is OFF (verify: false): anyone on the "
            "network path can pose as the LDAP server and read the bind password and lookups",
            name,
        )
    if not settings.uses_tls:
        if options.get("ca_file"):
            log.warning("directory %s: ca_file is set but no TLS is used: ignored", name)
        remote = [uri for uri in settings.servers if not _is_loopback(uri)]
        if settings.bind_dn and remote:
            log.warning(
                "directory %s: the bind password goes unencrypted to %s: use ldaps:// or start_tls",
                name,
                ", ".join(remote),
            )
    log.info(
        "directory %s: LDAP on %s, base %s, bound as %s",
        name,
        ", ".join(settings.servers),
        options["base_dn"],
        settings.bind_dn or "(anonymous)",
    )


def _is_loopback(uri: str) -> bool:
    host = urllib.parse.urlsplit(uri).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
