"""Options of the `info` plugin (`plugins.info`); where it listens is the core's `listen.info`."""

from __future__ import annotations

from ctid.api import Secret, positive_duration, vol

Opt = vol.Optional

TOKEN = vol.Any(
    "",
    vol.All(str, vol.Match(r"^\S{8,200}$")),
    msg="expected an empty token (none) or 8 to 200 characters without blanks",
)

SCHEMA = {
    Secret(
        "token",
        default="",
        description="shared secret: when set, a console's first line must be `token <value>`; "
        "empty: no token (rely on the loopback bind)",
    ): TOKEN,
    Opt(
        "token_timeout",
        default=10.0,
        description="a console that has not sent the token by then is disconnected",
    ): positive_duration,
}
