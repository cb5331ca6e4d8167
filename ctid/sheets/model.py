"""What a rendered sheet is: plain, frozen data (architecture §9), and whom it is for.

A `Sheet` carries every value already substituted, its recipients as a spec the delivery side
applies to its sessions, and builds each wire serial at most once (`message`), however many
clients receive it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from ctid.sheets import payload
from ctid.users import User

DEST = "dest"
ALL = "all"
ALL_CONTEXT = "all-context"
SUBSCRIBE = "subscribe"
WHOM = (DEST, ALL, ALL_CONTEXT, SUBSCRIBE)

SERIALS = ("xml", "json")


@dataclasses.dataclass(frozen=True, slots=True)
class SheetLine:
    """One line of a sheet part (`sheet_info`, `systray_info` or `action_info`)."""

    order: int
    """Position in its part, 10, 20, 30… (zero-padded to four digits in the XML)."""
    title: str
    type: str
    value: str
    """The substituted value."""


@dataclasses.dataclass(frozen=True, slots=True)
class SheetForm:
    """A Qt Designer form embedded in the sheet (`sheet_qtui`), read at config load."""

    name: str
    ui: str


@dataclasses.dataclass(frozen=True, slots=True)
class Recipients:
    """Who a sheet is for; the delivery side asks `includes()` for each logged-in session.

    Logged-in state, the profile's `sheets` flag and tenant separation are the delivery side's
    business; this answers only the sheet's own conditions.
    """

    whom: str
    """`dest`, `all`, `all-context` or `subscribe`."""
    users: frozenset[str] = frozenset()
    """For `dest`: the ids of the destination users, conditions already applied."""
    event_contexts: frozenset[str] = frozenset()
    """For `all-context`: a user must have a line in one of these (the call's contexts)."""
    contexts: frozenset[str] = frozenset()
    """Condition: a user must have a line in one of these (empty: no condition)."""
    profiles: frozenset[str] = frozenset()
    """Condition: a user's profile must be one of these (empty: no condition)."""

    def admits(self, user: User) -> bool:
        """Whether the sheet's conditions (contexts, profiles) let this user see it."""
        if self.contexts and not self.contexts & user.contexts:
            return False
        return not self.profiles or user.profile in self.profiles

    def includes(self, user: User, *, subscribed: bool = False) -> bool:
        """Whether a session of `user` gets the sheet.

        :param subscribed: the session asked for every sheet (only `subscribe` reads it).
        """
        if self.whom == DEST:
            return user.id in self.users
        if self.whom == ALL_CONTEXT and not self.event_contexts & user.contexts:
            return False
        if self.whom == SUBSCRIBE and not subscribed:
            return False
        return self.admits(user)


@dataclasses.dataclass(frozen=True)
class Sheet:
    """One rendered sheet, ready for every recipient."""

    name: str
    """The definition's name under `sheets.definitions`."""
    where: str
    ipbx_id: str
    channel: str
    uniqueid: str
    linkedid: str
    sequence: int
    """The call event's sequence number: sheets of one channel are delivered in this order."""
    time: float
    contexts: frozenset[str]
    """The call's contexts: the tenant scope given to the delivery's send function."""
    focus: bool
    compressed: bool
    """The `zip` option: the XML payload is zlib-compressed (Qt's qUncompress format)."""
    items: tuple[SheetLine, ...]
    systray: tuple[SheetLine, ...]
    actions: tuple[SheetLine, ...]
    forms: tuple[SheetForm, ...]
    recipients: Recipients

    def message(self, serial: str = "xml") -> dict[str, Any]:
        """The CTI message `{"class": "sheet", "function": "displaysheet", …}` in `serial`
        (`xml` for the Qt client, `json` for structured clients). Built once per serial; each
        call returns a fresh top-level dict, so a sender may add its own keys."""
        if serial == "json":
            return dict(self._json_message)
        if serial == "xml":
            return dict(self._xml_message)
        raise ValueError(f"unknown sheet serial {serial!r}")

    @functools.cached_property
    def xml(self) -> bytes:
        """The sheet as the Qt client's XML document (UTF-8)."""
        return payload.sheet_xml(self)

    @functools.cached_property
    def _xml_message(self) -> Mapping[str, Any]:
        return payload.message(self, "xml", payload.xml_payload(self.xml, self.compressed))

    @functools.cached_property
    def _json_message(self) -> Mapping[str, Any]:
        return payload.message(self, "json", payload.json_payload(self))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (buses, logs, the info console)."""
        return {
            "name": self.name,
            "where": self.where,
            "ipbx_id": self.ipbx_id,
            "channel": self.channel,
            "uniqueid": self.uniqueid,
            "linkedid": self.linkedid,
            "sequence": self.sequence,
            "time": self.time,
            "contexts": sorted(self.contexts),
            "focus": self.focus,
            "compressed": self.compressed,
            "items": [dataclasses.asdict(line) for line in self.items],
            "systray": [dataclasses.asdict(line) for line in self.systray],
            "actions": [dataclasses.asdict(line) for line in self.actions],
            "forms": [dataclasses.asdict(form) for form in self.forms],
            "recipients": {
                "whom": self.recipients.whom,
                "users": sorted(self.recipients.users),
                "event_contexts": sorted(self.recipients.event_contexts),
                "contexts": sorted(self.recipients.contexts),
                "profiles": sorted(self.recipients.profiles),
            },
        }
