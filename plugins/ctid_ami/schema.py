"""Options of the `ami` plugin (`plugins.ami`); where Asterisk is lives in the core's `ipbx.ami`."""

from ctid.api import between, positive_duration, vol

Opt = vol.Optional

SCHEMA = {
    Opt("connect_timeout", default=5.0, description="TCP connect, banner and login deadline"): (
        positive_duration
    ),
    Opt("action_timeout", default=10.0, description="deadline of one action's whole answer"): (
        positive_duration
    ),
    Opt("ping_interval", default=20.0, description="send Ping this often"): positive_duration,
    Opt("ping_timeout", default=5.0, description="an unanswered Ping past this kills the link"): (
        positive_duration
    ),
    Opt("backoff_min", default=0.5, description="first reconnect delay"): positive_duration,
    Opt("backoff_max", default=30.0, description="longest reconnect delay"): positive_duration,
    Opt(
        "max_message",
        default=1024 * 1024,
        description="largest AMI message accepted, in bytes; a larger one resets the link",
    ): between(4096, 64 * 1024 * 1024),
}
