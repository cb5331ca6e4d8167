"""Schemas of `users:` (the embedded user source) and `profiles:` (what a user may do)."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from ctid.config.validators import Secret, between, string_list

Opt = vol.Optional
Req = vol.Required

_ID = vol.All(
    vol.Coerce(str),
    vol.Match(r"^[A-Za-z0-9_.@-]{1,64}\Z", msg="expected an id of letters, digits, _ . @ -"),
)
_CONTEXT = vol.All(
    str, vol.Match(r"^[A-Za-z0-9_.-]{1,80}\Z", msg="expected a dialplan context name")
)

LINE = vol.Schema(
    {
        Opt("id", description="stable phone id (default: <number>@<context>)"): _ID,
        Req("context", description="dialplan context of the line: its tenant"): _CONTEXT,
        Req("number", description="extension that rings this line"): vol.All(
            vol.Coerce(str), vol.Match(r"^[0-9*#+]{1,40}\Z", msg="expected an extension number")
        ),
        Req("interface", description="Asterisk device, e.g. PJSIP/1001 or Local/1001@default"): (
            vol.All(str, vol.Match(r"^[A-Za-z0-9]+/[^\s,]+\Z", msg="expected TECH/resource"))
        ),
    }
)

USER = vol.Schema(
    {
        Req("login", description="CTI login"): vol.All(str, vol.Length(min=1, max=64)),
        Opt("id", description="stable user id shown to clients (default: the login)"): _ID,
        Secret(
            "password",
            default="",
            description="hash from `ctid hash-password` (no clear "
            "passwords); empty: CTI login refused",
        ): str,
        Secret(
            "legacy_secret",
            default="",
            description="clear secret for old clients' sha1(sessionid:secret) login; avoid",
        ): str,
        Opt("profile", default="default", description="name under profiles:"): str,
        Opt("firstname", default="", description="first name"): str,
        Opt("lastname", default="", description="last name"): str,
        Opt("mobile", default="", description="mobile phone number"): str,
        Opt("agent", default="", description="agent number when the user is a queue agent"): (
            vol.All(vol.Coerce(str), vol.Match(r"^[0-9]{0,20}\Z", msg="expected digits"))
        ),
        Opt("picture", default=None, description="picture file for {xivo-callerpicture}"): (
            vol.Any(None, str)
        ),
        Opt("lines", default=[], description="the user's phone lines"): [LINE],
    }
)

STATE = vol.Schema(
    {
        Opt("longname", default="", description="name shown to users"): str,
        Opt("color", default="#0DFF25", description="colour shown to users"): vol.Match(
            r"^#[0-9A-Fa-f]{6}\Z", msg="expected a colour such as #08FD20"
        ),
        Opt(
            "allowed", default=None, description="states reachable from this one (default: all)"
        ): vol.Any(None, string_list),
        Opt(
            "actions",
            default={},
            description="services switched with this state, e.g. enablednd: true",
        ): {str: vol.Any(str, bool)},
    }
)

DEFAULT_STATES: dict[str, dict[str, Any]] = {
    "available": {"longname": "Available", "color": "#08FD20"},
    "away": {"longname": "Away", "color": "#FDE50A"},
    "outtolunch": {"longname": "Out to lunch", "color": "#001AFF"},
    "donotdisturb": {
        "longname": "Do not disturb",
        "color": "#FF032D",
        "actions": {"enablednd": True},
    },
    "berightback": {"longname": "Be right back", "color": "#FFB545"},
}

XLET_PLACES = ("dock", "grid", "tab")
SERVICES = ("enablednd", "fwdunc", "fwdbusy", "fwdrna")
"""The user services a profile may show, by the Qt client's names (AstDB keys: enablednd,
enableunc/destunc, enablebusy/destbusy, enablerna/destrna)."""


def _xlet(value: Any) -> list[str]:
    """One Qt client panel: `[name, dock|grid|tab]` or `[name, dock|grid|tab, options]`."""
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise vol.Invalid("expected [name, dock|grid|tab] or [name, dock|grid|tab, options]")
    if not all(isinstance(part, str) and part for part in value):
        raise vol.Invalid("expected non-empty strings in [name, dock|grid|tab, options]")
    if value[1] not in XLET_PLACES:
        raise vol.Invalid(f"expected dock, grid or tab as the place of {value[0]}")
    return list(value)


PROFILE = vol.Schema(
    {
        Opt("appliname", default="Client", description="application name shown by clients"): str,
        Opt(
            "commands",
            default=[
                "getlist",
                "getipbxlist",
                "availstate",
                "ipbxcommand",
                "chitchat",
                "directory",
                "featuresget",
                "featuresput",
                "keepalive",
                "logout",
                "sheet",
            ],
            description="CTI command classes this profile may use",
        ): string_list,
        Opt(
            "ipbxcommands",
            default=["dial", "hangup", "transfer", "atxfer"],
            description="ipbxcommand commands this profile may use",
        ): string_list,
        Opt(
            "acts_for_others",
            default=False,
            description="switchboard or supervisor: ids of "
            "other users and channels in commands are honoured (same tenant only)",
        ): bool,
        Opt("max_sessions", default=1, description="concurrent sessions of one user"): (
            between(1, 100)
        ),
        Opt(
            "session_policy",
            default="last_wins",
            description="when max_sessions is reached: "
            "last_wins (the oldest session is closed) or refuse",
        ): vol.In(["last_wins", "refuse"], msg="expected last_wins or refuse"),
        Opt("presence_default", default="available", description="state after login"): str,
        Opt("presence", default=DEFAULT_STATES, description="presence states by name"): {
            str: STATE
        },
        Opt("sheets", default=True, description="sessions of this profile receive sheets"): bool,
        Opt("sheet_serial", default="xml", description="sheet payload: xml (Qt client) or json"): (
            vol.In(["xml", "json"], msg="expected xml or json")
        ),
        Opt(
            "xlets",
            default=[["identity", "grid"], ["dial", "grid"]],
            description="Qt client panels as [name, dock|grid|tab, options] (customerinfo "
            "is added as [customerinfo, dock, cms] when the profile receives sheets)",
        ): [_xlet],
        Opt(
            "services",
            default=list(SERVICES),
            description="user services the Qt client shows and featuresput may set: enablednd, "
            "fwdunc, fwdbusy, fwdrna",
        ): [vol.In(SERVICES, msg=f"expected one of {', '.join(SERVICES)}")],
        Opt(
            "preferences",
            default={},
            description="settings merged into the Qt client's own at login (the "
            "`preferences` of login_capas), by the client's setting names",
        ): {str: vol.Any(str, int, float, bool, list, dict)},
    }
)

PROFILES = {str: PROFILE}
USERS = [USER]
