"""The core's configuration schema: every section the core itself reads, with its defaults.

Defaults live here and only here. Plugins validate their own `plugins.<name>` section with the
schema they declare (`config_schema`); the core checks only that section's `enabled` flag.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from ctid.config.directories import CONTEXTS, DIRECTORIES, REVERSE
from ctid.config.people import PROFILES, USERS
from ctid.config.validators import (
    Secret,
    address,
    between,
    connect_port,
    log_level,
    one_line,
    port,
    positive_duration,
    string_list,
)
from ctid.sheets.config import SHEETS

Opt = vol.Optional


def _listener(
    host: str, number: int, what: str, extra: dict[Any, Any] | None = None, *, enabled: bool = True
) -> vol.Schema:
    return vol.Schema(
        {
            Opt("enabled", default=enabled, description=f"serve the {what}"): bool,
            Opt("address", default=host, description="address to bind"): address,
            Opt("port", default=number, description="port to bind"): port,
            **(extra or {}),
        }
    )


_TLS = {
    Opt("certfile", default=None, description="PEM certificate chain for TLS"): vol.Any(None, str),
    Opt("keyfile", default=None, description="PEM private key for TLS"): vol.Any(None, str),
    Opt(
        "tls_min_version",
        default="1.2",
        description="oldest TLS version accepted: 1.2 or 1.3 (1.0/1.1 only for old clients)",
    ): vol.In(["1.0", "1.1", "1.2", "1.3"], msg="expected one of 1.0, 1.1, 1.2, 1.3"),
}


def _starttls_mode(value: Any) -> str:
    """off, offer or require; YAML reads a bare `off` as false, which means off too."""
    if value is False:
        return "off"
    if value not in ("off", "offer", "require"):
        raise vol.Invalid("expected off, offer or require")
    return str(value)


_STARTTLS = {
    Opt(
        "starttls",
        default="off",
        description="STARTTLS on this clear port, as the Qt client does it: off, offer (a "
        "client may decline and stay in clear) or require (clear logins refused); needs "
        "certfile and keyfile",
    ): _starttls_mode,
    Opt(
        "allow_clear_login",
        default=False,
        description="accept the clear `password` login field on unencrypted connections from "
        "any address (passwords then cross the network in clear; loopback is "
        "plugins.cti.plain_password_on_loopback)",
    ): bool,
}

AMI = vol.Schema(
    {
        Opt("host", default="127.0.0.1", description="Asterisk manager host"): address,
        Opt("port", default=5038, description="Asterisk manager port"): connect_port,
        Opt("username", default="ctid", description="manager.conf user"): vol.All(str, one_line),
        Secret("secret", default="", description="manager.conf secret"): vol.All(str, one_line),
        Opt("auth", default="md5", description="login with md5 challenge or plain"): vol.In(
            ["md5", "plain"], msg="expected md5 or plain"
        ),
    }
)

IPBX = vol.Schema(
    {
        Opt("id", default="xivo", description="this Asterisk's id (xivo-ipbxid)"): vol.All(
            str, vol.Length(min=1, max=64)
        ),
        Opt("ami", default={}, description="how to reach the Asterisk Manager Interface"): AMI,
    }
)

LISTEN = vol.Schema(
    {
        Opt("fagi", default={}, description="FastAGI, Asterisk connects"): _listener(
            "127.0.0.1", 5002, "FastAGI server"
        ),
        Opt("cti", default={}, description="CTI clients, JSON lines"): _listener(
            "0.0.0.0",  # noqa: S104  (CTI clients are on the LAN: XiVO's default)
            5003,
            "CTI port",
            {**_TLS, **_STARTTLS},
        ),
        Opt("ctis", default={}, description="CTI clients over TLS"): _listener(
            "0.0.0.0",  # noqa: S104  (CTI clients are on the LAN: XiVO's default)
            5013,
            "CTI TLS port (needs certfile and keyfile)",
            _TLS,
            enabled=False,
        ),
        Opt("webi", default={}, description="web interface notifications"): _listener(
            "127.0.0.1", 5004, "webi port"
        ),
        Opt("info", default={}, description="operators' info console"): _listener(
            "127.0.0.1", 5005, "info console"
        ),
        Opt("announce", default={}, description="UDP notices of Asterisk reloads"): _listener(
            "127.0.0.1", 5006, "announce port"
        ),
    }
)

TIMEOUTS = vol.Schema(
    {
        Opt("update_period", default=60.0, description="how often user sources are polled"): (
            positive_duration
        ),
        Opt("socket", default=10.0, description="a write or TLS handshake may take this long"): (
            positive_duration
        ),
        Opt("login", default=5.0, description="a CTI client must log in within this"): (
            positive_duration
        ),
        Opt(
            "dead_peer",
            default=120.0,
            description="a client whose host vanished is dropped within this (TCP keepalive)",
        ): vol.All(
            positive_duration,
            vol.Range(min=10.0, max=86400.0, msg="expected a duration between 10s and 24h"),
        ),
        Opt("stop", default=5.0, description="graceful stop budget before exit"): positive_duration,
        Opt("query", default=1.0, description="default deadline of query hooks"): positive_duration,
    }
)

LIMITS = vol.Schema(
    {
        Opt("max_line", default=65536, description="longest line a client may send, in bytes"): (
            between(256, 16 * 1024 * 1024)
        ),
        Opt(
            "client_queue",
            default=2000,
            description="messages queued per client before it is disconnected as too slow",
        ): between(10, 1_000_000),
        Opt("max_connections", default=20000, description="connections per listener"): (
            between(1, 1_000_000)
        ),
    }
)

LOGGING = vol.Schema(
    {
        Opt("level", default="info", description="level of the root logger"): log_level,
        Opt("loggers", default={}, description="level per logger, e.g. ctid_ami: debug"): {
            str: log_level
        },
        Opt("file", default=None, description="log file (stderr when unset)"): vol.Any(None, str),
    }
)

PARTING = vol.Schema(
    {
        Opt("context_separation", default=True, description="tenants see only their contexts"): (
            bool
        ),
    }
)

PLUGIN_SECTION = vol.Schema(
    {
        Opt("enabled", default=False, description="load this plugin"): bool,
        vol.Extra: object,  # the plugin's own schema checks the rest
    }
)

CORE = vol.Schema(
    {
        Opt("ipbx", default={}, description="the Asterisk this ctid serves"): IPBX,
        Opt("listen", default={}, description="where each port listens"): LISTEN,
        Opt("timeouts", default={}, description="deadlines"): TIMEOUTS,
        Opt("limits", default={}, description="bounds that protect the daemon"): LIMITS,
        Opt("logging", default={}, description="log levels and destination"): LOGGING,
        Opt("parting", default={}, description="tenant separation"): PARTING,
        Opt("incoming_contexts", default=[], description="calls entering these are DID calls"): (
            string_list
        ),
        Opt("outgoing_contexts", default=[], description="calls entering these are outcalls"): (
            string_list
        ),
        Opt(
            "custom_user_events",
            default=[],
            description="UserEvent names that fire custom.<name> call events",
        ): string_list,
        Opt(
            "users",
            default=[],
            description="the embedded user source: logins, password hashes, profiles, lines",
        ): USERS,
        Opt(
            "profiles", default={"default": {}}, description="what users may do, by profile name"
        ): PROFILES,
        Opt("sheets", default={}, description="screen pops: events, definitions, variables"): (
            SHEETS
        ),
        Opt(
            "directories",
            default={},
            description="directory sources by name: type, fields, matches, backend options",
        ): DIRECTORIES,
        Opt(
            "contexts",
            default={},
            description="per context: directories searched, result display, reverse lookups",
        ): CONTEXTS,
        Opt("reverse", default={}, description="caller-number lookups: country, cache, deadline"): (
            REVERSE
        ),
        Opt("pidfile", default=None, description="write the daemon's pid here"): vol.Any(None, str),
        Opt("plugins", default={}, description="plugins by name: enabled, then their options"): {
            str: PLUGIN_SECTION
        },
    }
)

CORE_SECTIONS = frozenset(str(key) for key in CORE.schema)
