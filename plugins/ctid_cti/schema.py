"""The options of the `cti` plugin (`plugins.cti`); ports, TLS and login timeout are core keys."""

from __future__ import annotations

from typing import Any

from ctid.api import between, duration, positive_duration, string_list, vol

Opt = vol.Optional

_TEMPLATE = vol.All(
    str, vol.Match(r"^[^\s,]*\{agent\}[^\s,]*\Z", msg="expected a template with {agent}")
)
_FAMILY = vol.All(str, vol.Match(r"^[A-Za-z0-9_-]{1,40}\Z", msg="expected an AstDB family name"))

SCHEMA: dict[Any, Any] = {
    Opt(
        "plain_password_on_loopback",
        default=True,
        description="accept the clear `password` login field on the plain CTI port from "
        "127.0.0.1/::1 (it is always accepted over TLS, never from elsewhere in clear)",
    ): bool,
    Opt(
        "login_failures",
        default=5,
        description="failed logins per source address, and per login, within "
        "failure_window before further attempts are refused",
    ): between(1, 1000),
    Opt(
        "failure_window",
        default=300.0,
        description="how long a failed login counts against its address and login",
    ): positive_duration,
    Opt(
        "failure_delay",
        default=0.5,
        description="a failed login is answered after this delay (slows guessing)",
    ): vol.All(duration, vol.Range(max=10)),
    Opt(
        "tracked_failures",
        default=10000,
        description="addresses and logins whose failures are remembered (oldest forgotten first)",
    ): between(100, 10_000_000),
    Opt(
        "password_checks",
        default=4,
        description="password hashes verified at once (each scrypt check takes ~32 MiB)",
    ): between(1, 64),
    Opt(
        "push_interval",
        default=0.1,
        description="status pushes (users, phones, channels, queues, agents) go out at most "
        "this often; the changes in between are merged, one write per client (0: at once)",
    ): vol.All(duration, vol.Range(max=10)),
    Opt(
        "ring_timeout",
        default=30.0,
        description="how long Originate rings the user's phone (dial, originate, agentlogin)",
    ): positive_duration,
    Opt(
        "action_timeout",
        default=10.0,
        description="deadline of one AMI action sent for a client (plus ring_timeout for "
        "an Originate, whose result comes when the phone answers)",
    ): positive_duration,
    Opt(
        "pending_commands",
        default=4,
        description="AMI commands one session may have in flight; more are refused (busy)",
    ): between(1, 100),
    Opt(
        "features_family",
        default="ctid",
        description="AstDB family of user services: <family>/<userid>/<key>, e.g. "
        "${DB(ctid/alice/enablednd)} in the dialplan",
    ): _FAMILY,
    Opt(
        "features_at_login",
        default=True,
        description="read the user's services from AstDB when it logs in",
    ): bool,
    Opt(
        "agent_interface",
        default="Local/{agent}@agents",
        description="queue member interface of an agent (app_agent_pool: a Local channel "
        "running AgentRequest)",
    ): _TEMPLATE,
    Opt(
        "agent_state_interface",
        default="Agent:{agent}",
        description="state interface of an agent queue member",
    ): _TEMPLATE,
    Opt(
        "directory_timeout",
        default=3.0,
        description="deadline of a `directory` search (the ctid_search_directory hook)",
    ): positive_duration,
    Opt(
        "directory_limit",
        default=50,
        description="most results of one `directory` search",
    ): between(1, 10_000),
    Opt(
        "queue_contexts",
        default={},
        description="tenant contexts per queue name; a queue not listed belongs to the "
        "contexts of its members' users",
    ): {str: string_list},
}
