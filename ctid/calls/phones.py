"""Phone status: device state by device (DeviceStateChange), hint state by exten@context.

Bounded by Asterisk's devices and hints, except Local devices: Asterisk reports one per dialled
`Local/<number>@<context>`, so an idle Local device is forgotten instead of kept for ever.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

_FORGET_STATES = frozenset({"INVALID", "UNKNOWN"})
_LOCAL_PREFIX = "Local/"
_IDLE = "NOT_INUSE"
_HINT_REMOVED = "-2"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionInfo:
    """The state of one dialplan hint, as ExtensionStatus gave it."""

    exten: str
    context: str
    hint: str
    status: str
    """-1 not found, 0 idle, 1 in use, 2 busy, 4 unavailable, 8 ringing, 16 on hold…"""
    status_text: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PhonesInfo:
    """A read-only copy of every device and hint state."""

    devices: dict[str, str]
    """Device (`PJSIP/1001`, `Queue:support`, `Custom:x`) → state (`NOT_INUSE`, `INUSE`, …)."""
    extensions: dict[str, ExtensionInfo]
    """`exten@context` → its hint state."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return dataclasses.asdict(self)


class PhoneBook:
    """Device and extension state, as Asterisk last reported them."""

    def __init__(self) -> None:
        self._devices: dict[str, str] = {}
        self._extensions: dict[str, ExtensionInfo] = {}

    def device_state(self, event: Mapping[str, str]) -> None:
        """DeviceStateChange (also the items of a DeviceStateList)."""
        device = event.get("Device")
        if not device:
            return
        state = event.get("State", "")
        idle_local = state == _IDLE and device.startswith(_LOCAL_PREFIX)
        if idle_local or state in _FORGET_STATES:
            self._devices.pop(device, None)
        else:
            self._devices[device] = state

    def extension_status(self, event: Mapping[str, str]) -> None:
        """ExtensionStatus (also the items of an ExtensionStateList)."""
        exten = event.get("Exten")
        if not exten:
            return
        context = event.get("Context", "")
        key = f"{exten}@{context}"
        status = event.get("Status", "")
        if status == _HINT_REMOVED:
            self._extensions.pop(key, None)
            return
        self._extensions[key] = ExtensionInfo(
            exten=exten,
            context=context,
            hint=event.get("Hint", ""),
            status=status,
            status_text=event.get("StatusText", ""),
        )

    def phones(self) -> PhonesInfo:
        """Read-only copies of every device and hint state."""
        return PhonesInfo(devices=dict(self._devices), extensions=dict(self._extensions))
