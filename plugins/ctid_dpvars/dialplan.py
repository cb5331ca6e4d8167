"""The `dp-*` variables: what the dialplan attached to the call with `UserEvent(dialplan2cti)`.

`UserEvent(dialplan2cti,VARIABLE: name,VALUE: x)` gives `{dp-name}`; the other form,
`UserEvent(dialplan2cti,Name: x)`, gives `{dp-name}` too (names are lower case). The call model
attaches the values to the call, so every later event of the call carries them.
"""

from __future__ import annotations

from ctid.api import CallEvent


def dp_variables(event: CallEvent) -> dict[str, str]:
    """The event's dialplan values as `dp-<name>` variables."""
    return {f"dp-{name}": value for name, value in event.dialplan.items() if name}
