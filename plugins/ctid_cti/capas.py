"""What `login_capas` tells a client about its profile: who it is, its panels, its presence and
phone states, the services it may set and the settings it must take.

These are the fields the Qt client reads (`ipbxid`, `userid`, `appliname`, `capaxlets`, and in
`capas`: `userstatus`, `phonestatus`, `preferences`, `services`); v1.2 clients read the same,
plus the command lists. Everything comes from the profile (`profiles.<name>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ctid.api import User
from ctid_cti.presence import DISCONNECTED, userstatus

CUSTOMERINFO = ("customerinfo", "dock", "cms")
"""The sheet panel: the Qt client shows a sheet only when its profile lists this xlet."""
DISCONNECTED_STATE = {"longname": "Disconnected", "color": "#9E9E9E", "allowed": [], "actions": {}}
"""How users without a session look; no one may choose it, so it allows nothing."""
PHONE_STATUS = {
    "-2": {"longname": "Does not exist", "color": "#030303"},
    "-1": {"longname": "Deactivated", "color": "#000000"},
    "0": {"longname": "Available", "color": "#0DFF25"},
    "1": {"longname": "On the phone", "color": "#FF032D"},
    "2": {"longname": "Busy", "color": "#FF0008"},
    "4": {"longname": "Unavailable", "color": "#FFFFFF"},
    "8": {"longname": "Ringing", "color": "#1B0AFF"},
    "9": {"longname": "On the phone and ringing", "color": "#FF0526"},
    "16": {"longname": "On hold", "color": "#F7FF05"},
}
"""`capas.phonestatus`: what each `hintstatus` code means."""


def capaxlets(profile: Mapping[str, Any]) -> list[list[str]]:
    """The profile's panels as `[name, dock|grid|tab(, options)]`; a profile that receives
    sheets also gets the sheet panel, or its users would never see one."""
    xlets = [list(xlet) for xlet in profile["xlets"]]
    if profile["sheets"] and not any(xlet[0] == CUSTOMERINFO[0] for xlet in xlets):
        xlets.append(list(CUSTOMERINFO))
    return xlets


def presence_states(profile: Mapping[str, Any]) -> dict[str, Any]:
    """`capas.userstatus`: the profile's states, and `disconnected`, the state other users
    show while they have no session (the client needs its name and colour to draw them)."""
    states = userstatus(profile)
    states.setdefault(DISCONNECTED, dict(DISCONNECTED_STATE))
    return states


def capas_reply(
    user: User, profile: Mapping[str, Any], *, ipbx_id: str, presence: str
) -> dict[str, Any]:
    """The `login_capas` answer: who the user is and what its profile lets it do."""
    return {
        "ipbxid": ipbx_id,
        "userid": user.id,
        "appliname": profile["appliname"],
        "presence": presence,
        "capaxlets": capaxlets(profile),
        "capas": {
            "userstatus": presence_states(profile),
            "phonestatus": PHONE_STATUS,
            "channelstatus": {},
            "agentstatus": {},
            "services": list(profile["services"]),
            "preferences": dict(profile["preferences"]),
            "ipbxcommands": list(profile["ipbxcommands"]),
            "regcommands": list(profile["commands"]),
        },
    }
