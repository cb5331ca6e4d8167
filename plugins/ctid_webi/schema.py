"""Options of the `webi` plugin (`plugins.webi`); where it listens is the core's `listen.webi`."""

from __future__ import annotations

import ipaddress
from typing import Any

from ctid.api import positive_duration, string_list, vol

Opt = vol.Optional


def networks(value: Any) -> list[str]:
    """A list of IP addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`)."""
    items = string_list(value)
    for item in items:
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            raise vol.Invalid(f"expected IP addresses or networks, got {item!r}") from None
    return [item.strip() for item in items]


SCHEMA = {
    Opt(
        "allowed_sources",
        default=["127.0.0.0/8", "::1"],
        description="addresses or networks that may connect; others are told "
        "NOT ALLOWED and disconnected",
    ): networks,
    Opt(
        "cli_timeout",
        default=2.0,
        description="how long a relayed Asterisk CLI command may take before it answers KO",
    ): positive_duration,
}
