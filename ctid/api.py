"""The only module plugins import: the hook marker, the plugin handle, public models and errors.

Bundled plugins use nothing else from ctid (a meta-test checks it); if one needs more, this module
grows. Third-party plugins rely on it staying stable.
"""

from __future__ import annotations

import pluggy
import voluptuous as vol

from ctid import __version__
from ctid.callevents import WHERE_VALUES, CallEvent, is_where
from ctid.calls import AgentInfo, ChannelInfo, QueueInfo
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
    SelfScope,
    cti_hub,
    provide_cti_hub,
)
from ctid.directory.numbers import index_keys
from ctid.directory.sources import (
    Backend,
    BackendFactory,
    Record,
    SourceSpec,
    field_source,
    source_fields,
    template_names,
)
from ctid.handle import Ctid
from ctid.ipbx import ActionResult, ActionTimeout, Ipbx, IpbxUnavailable
from ctid.net import LineConnection, LineHandler, LineServer, tls_server_context
from ctid.passwords import hash_password, verify_password
from ctid.sheets.commands import send_notices
from ctid.sheets.conditions import calling_user, dest_users, user_of_channel, user_of_interface
from ctid.sheets.model import Recipients, Sheet, SheetForm, SheetLine
from ctid.sheets.payload import decode_xml_payload
from ctid.sheets.state import SheetError, SheetNotice, SheetState, sheet_state
from ctid.sheets.urlauto import (
    UrlautoError,
    UrlautoHandler,
    UrlautoRequest,
    render_argv,
    render_url,
    scheme_of,
    socket_target,
)
from ctid.sheets.variables import substitute
from ctid.users import Line, User, UserChanges, UserDirectory

hookimpl = pluggy.HookimplMarker("ctid")
"""Mark a plugin method or function as a hook implementation: `@hookimpl def ctid_start(ctid)`."""

__all__ = [
    "SELF",
    "WHERE_VALUES",
    "ActionResult",
    "ActionTimeout",
    "AgentInfo",
    "Backend",
    "BackendFactory",
    "CallEvent",
    "ChannelInfo",
    "CtiCommandError",
    "CtiHandler",
    "CtiHub",
    "CtiSession",
    "Ctid",
    "InfoCommandError",
    "InfoConsole",
    "InfoHandler",
    "Ipbx",
    "IpbxUnavailable",
    "Line",
    "LineConnection",
    "LineHandler",
    "LineServer",
    "QueueInfo",
    "Recipients",
    "Record",
    "Scope",
    "Secret",
    "SecretRequired",
    "SelfScope",
    "Sheet",
    "SheetError",
    "SheetForm",
    "SheetLine",
    "SheetNotice",
    "SheetState",
    "SourceSpec",
    "UrlautoError",
    "UrlautoHandler",
    "UrlautoRequest",
    "User",
    "UserChanges",
    "UserDirectory",
    "__version__",
    "address",
    "between",
    "calling_user",
    "cti_hub",
    "decode_xml_payload",
    "dest_users",
    "duration",
    "field_source",
    "hash_password",
    "hookimpl",
    "index_keys",
    "is_where",
    "log_level",
    "networks",
    "port",
    "positive_duration",
    "provide_cti_hub",
    "render_argv",
    "render_url",
    "scheme_of",
    "send_notices",
    "sheet_state",
    "socket_target",
    "source_fields",
    "string_list",
    "substitute",
    "template_names",
    "tls_server_context",
    "user_of_channel",
    "user_of_interface",
    "verify_password",
    "vol",
]
