"""UserEvents from the dialplan: their custom fields, and the values of `dialplan2cti`.

`UserEvent(Name,K1: v1,K2: v2)` reaches AMI as the channel snapshot, `UserEvent: Name`, then the
custom keys. Header and snapshot fields are not custom, except when the dialplan sends one of
them again (`UserEvent(dialplan2cti,CallerIDNum: ${CALLERID(num)})`): the key is then repeated,
and its last value is the custom one. Repeats are seen through the message's `getall(key)` (the
AMI plugin's messages have it); a plain mapping keeps one value per key, so there a custom key
named like a snapshot field cannot be told from the snapshot and is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

DIALPLAN2CTI = "dialplan2cti"

SNAPSHOT_FIELDS = frozenset(
    {
        # the channel snapshot every call event of Asterisk 12+ carries
        "Channel",
        "ChannelState",
        "ChannelStateDesc",
        "CallerIDNum",
        "CallerIDName",
        "ConnectedLineNum",
        "ConnectedLineName",
        "Language",
        "AccountCode",
        "Context",
        "Exten",
        "Priority",
        "Uniqueid",
        "Linkedid",
        "Tenantid",
    }
)
HEADER_FIELDS = SNAPSHOT_FIELDS | {
    "Event",
    "Privilege",
    "Timestamp",
    "SystemName",
    "SequenceNumber",
    "File",
    "Line",
    "Func",
    "ActionID",
    "UserEvent",
}
_CHANVARIABLE = "ChanVariable"


def custom_fields(event: Mapping[str, str]) -> dict[str, str]:
    """The custom fields of a UserEvent, keys lower-cased."""
    fields = {
        key.lower(): value
        for key, value in event.items()
        if key not in HEADER_FIELDS and not key.startswith(_CHANVARIABLE)
    }
    getall: Callable[[str], list[str]] | None = getattr(event, "getall", None)
    if getall is not None:
        for key in SNAPSHOT_FIELDS.intersection(event):
            values = getall(key)
            if len(values) > 1:
                fields[key.lower()] = values[-1]
    return fields


def dialplan_values(event: Mapping[str, str]) -> dict[str, str]:
    """The values a `UserEvent: dialplan2cti` attaches to its call, keys lower-cased.

    Two forms: XiVO's `VARIABLE: name` + `VALUE: x` gives {name: x}; otherwise every custom
    field `Key: x` gives {key: x}.
    """
    fields = custom_fields(event)
    variable = fields.get("variable")
    if variable:
        return {variable.lower(): fields.get("value", "")}
    return fields
