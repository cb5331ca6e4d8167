"""The only module plugins import: the hook marker, the plugin handle, public models and errors.

Bundled plugins use nothing else from ctid (a meta-test checks it); if one needs more, this module
grows. Third-party plugins rely on it staying stable.
"""

from __future__ import annotations

import pluggy
import voluptuous as vol

from ctid import __version__
from ctid.callevents import WHERE_VALUES, CallEvent, is_where
from ctid.config.validators import (
    Secret,
    SecretRequired,
    address,
    between,
    duration,
    log_level,
    port,
    positive_duration,
    string_list,
)
from ctid.consoles import InfoCommandError, InfoConsole, InfoHandler
from ctid.handle import Ctid
from ctid.ipbx import ActionResult, ActionTimeout, Ipbx, IpbxUnavailable
from ctid.net import LineConnection, LineHandler, LineServer, tls_server_context
from ctid.users import Line, User, UserChanges, UserDirectory

hookimpl = pluggy.HookimplMarker("ctid")
"""Mark a plugin method or function as a hook implementation: `@hookimpl def ctid_start(ctid)`."""

__all__ = [
    "WHERE_VALUES",
    "ActionResult",
    "ActionTimeout",
    "CallEvent",
    "Ctid",
    "Ipbx",
    "InfoCommandError",
    "InfoConsole",
    "InfoHandler",
    "IpbxUnavailable",
    "Line",
    "LineConnection",
    "LineHandler",
    "LineServer",
    "Secret",
    "SecretRequired",
    "User",
    "UserChanges",
    "UserDirectory",
    "__version__",
    "address",
    "between",
    "duration",
    "hookimpl",
    "is_where",
    "log_level",
    "port",
    "positive_duration",
    "string_list",
    "tls_server_context",
    "vol",
]
