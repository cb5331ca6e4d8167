"""Normalized call events: what the call model tells plugins, named by the seed's `where` values.

A call event is plain, serializable data (architecture §9): no live objects, no callbacks.
Raw AMI field names stop at the AMI boundary; here everything is snake_case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

WHERE_VALUES = (
    "dial",
    "link",
    "unlink",
    "hangup",
    "incomingdid",
    "incomingqueue",
    "agentcalled",
    "agentlinked",
    "agentunlinked",
    "outcall",
)
"""The fixed `where` values; `custom.<name>` comes on top for configured UserEvents."""

CUSTOM_PREFIX = "custom."

_EMPTY: Mapping[str, str] = MappingProxyType({})


def is_where(value: str) -> bool:
    """Tell whether `value` names a call event (`dial` … `outcall`, or `custom.<name>`)."""
    if value in WHERE_VALUES:
        return True
    return value.startswith(CUSTOM_PREFIX) and len(value) > len(CUSTOM_PREFIX)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """One normalized call event.

    Field names follow the seed's sheet variables (`xivo-calleridnum` → `caller_num`) so that
    variable providers map them one to one.
    """

    where: str
    """`dial`, `link`, … or `custom.<name>`."""
    ipbx_id: str
    """The Asterisk this event comes from (`xivo-ipbxid`)."""
    sequence: int
    """Per-ipbx sequence number, strictly increasing."""
    time: float
    """Unix time of the AMI event that caused this one (Asterisk's Timestamp when present)."""
    channel: str
    """The channel the event is about (`xivo-channel`)."""
    uniqueid: str
    """That channel's Uniqueid (`xivo-uniqueid`)."""
    linkedid: str
    """The call's Linkedid: the id that groups every channel of one call."""
    context: str = ""
    """Dialplan context of the channel when the event happened (`xivo-context`)."""
    exten: str = ""
    """Extension dialled or entered."""
    did: str = ""
    """The DID for calls that entered an incoming context (`xivo-did`)."""
    incoming_context: str = ""
    """The incoming context the call entered with that DID (one of `incoming_contexts`)."""
    caller_num: str = ""
    caller_name: str = ""
    caller_rdnis: str = ""
    caller_ton: str = ""
    called_num: str = ""
    called_name: str = ""
    queue: str = ""
    """Queue name for queue and agent events (`xivo-queuename`)."""
    agent: str = ""
    """Agent number for agent events (`xivo-agentnumber`)."""
    member_interface: str = ""
    """The queue member's interface for agent events (e.g. `Local/1002@default`)."""
    direction: str = ""
    """`internal`, `incoming` or `outgoing` (`xivo-direction`)."""
    origin: str = ""
    """How the call reached the event: `did`, `internal`, `queue`, `outcall`… (`xivo-origin`)."""
    peer_channel: str = ""
    """The other side: the dialled channel for dial, the bridged one for link/unlink."""
    peer_uniqueid: str = ""
    peer_interface: str = ""
    """The peer channel's device (`SIP/abc`, `PJSIP/1001`, `Local/1001@default`)."""
    peer_context: str = ""
    """Context of the dialled or bridged line, used to pick recipients."""
    peer_exten: str = ""
    """Number of the dialled or bridged line, used to pick recipients."""
    cause: str = ""
    """Hangup cause code for hangup events."""
    contexts: frozenset[str] = frozenset()
    """Every dialplan context the event concerns: its tenant scope for parting."""
    dialplan: Mapping[str, str] = dataclasses.field(default_factory=lambda: _EMPTY)
    """Values from `UserEvent: dialplan2cti`, keys without the `dp-` prefix, lower case."""
    extra: Mapping[str, str] = dataclasses.field(default_factory=lambda: _EMPTY)
    """The fields of a custom UserEvent (`custom.<name>`), keys lower case."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (for buses, logs and the info console)."""
        # Not dataclasses.asdict: it deep-copies the read-only mappings, which cannot be copied.
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["contexts"] = sorted(self.contexts)
        data["dialplan"] = dict(self.dialplan)
        data["extra"] = dict(self.extra)
        return data
