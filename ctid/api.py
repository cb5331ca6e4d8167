"""The only module plugins import: the hook marker, the plugin handle, public models and errors.

Bundled plugins use nothing else from ctid (a meta-test checks it); if one needs more, this module
grows. Third-party plugins rely on it staying stable.
"""

from __future__ import annotations

import pluggy
import voluptuous as vol

from ctid import __version__
from ctid.callevents import WHERE_VALUES, CallEvent, is_where
from ctid.calls import (
    AgentInfo,
    CallInfo,
    ChannelInfo,
    ExtensionInfo,
    MemberInfo,
    PhonesInfo,
    QueueInfo,
)
from ctid.calls.channels import interface_of
from ctid.config.validators import (
    Secret,
    SecretRequired,
    address,
    between,
    duration,
    log_level,
    networks,
    port,
    positive_duration,
    string_list,
)
from ctid.consoles import InfoCommandError, InfoConsole, InfoHandler
from ctid.ctisession import (
    SELF,
    CtiCommandError,
    CtiHandler,
    CtiHub,
    CtiSession,
    Scope,
    cti_hub,
    provide_cti_hub,
)
from ctid.handle import Ctid
from ctid.ipbx import ActionResult, ActionTimeout, Ipbx, IpbxUnavailable
from ctid.net import LineConnection, LineHandler, LineServer, tls_server_context
from ctid.passwords import hash_password, verify_password
from ctid.users import Line, User, UserChanges, UserDirectory

hookimpl = pluggy.HookimplMarker("ctid")
"""Mark a plugin method or function as a hook implementation: `@hookimpl def ctid_start(ctid)`."""

__all__ = [
    "SELF",
    "WHERE_VALUES",
    "ActionResult",
    "ActionTimeout",
    "AgentInfo",
    "CallEvent",
    "CallInfo",
    "ChannelInfo",
    "Ctid",
    "CtiCommandError",
    "CtiHandler",
    "CtiHub",
    "CtiSession",
    "ExtensionInfo",
    "InfoCommandError",
    "InfoConsole",
    "InfoHandler",
    "Ipbx",
    "IpbxUnavailable",
    "Line",
    "LineConnection",
    "LineHandler",
    "LineServer",
    "MemberInfo",
    "PhonesInfo",
    "QueueInfo",
    "Scope",
    "Secret",
    "SecretRequired",
    "User",
    "UserChanges",
    "UserDirectory",
    "__version__",
    "address",
    "between",
    "cti_hub",
    "duration",
    "hash_password",
    "hookimpl",
    "interface_of",
    "is_where",
    "log_level",
    "networks",
    "port",
    "positive_duration",
    "provide_cti_hub",
    "string_list",
    "tls_server_context",
    "verify_password",
    "vol",
]
