"""The `xivo-*` variables of one call event: the seed's list, plus the calling and destination
users and the caller's picture.

Every seed variable is always present (empty when the event does not know it), so a line such
as `{xivo-queuename}` reads "" rather than its placeholder; `xivo-userid`, `xivo-dstid` and
`xivo-callerpicture` are present only when there is such a user (a line's default then shows).
`xivo-directory` comes with the reverse lookup (the dbvars plugin).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ctid.api import CallEvent, UserDirectory, calling_user, dest_users

Picture = Callable[[str], str | None]


def seed_variables(event: CallEvent, date_format: str, time_format: str) -> dict[str, str]:
    """The variables the seed lists, straight from the event's facts."""
    moment = time.localtime(event.time)
    return {
        "xivo-where": event.where,
        "xivo-origin": event.origin,
        "xivo-direction": event.direction,
        "xivo-did": event.did,
        "xivo-calleridnum": event.caller_num,
        "xivo-calleridname": event.caller_name,
        "xivo-calleridrdnis": event.caller_rdnis,
        "xivo-calleridton": event.caller_ton,
        "xivo-calledidnum": event.called_num,
        "xivo-calledidname": event.called_name,
        "xivo-context": event.context,
        "xivo-ipbxid": event.ipbx_id,
        "xivo-queuename": event.queue,
        "xivo-agentnumber": event.agent,
        "xivo-date": time.strftime(date_format, moment),
        "xivo-time": time.strftime(time_format, moment),
        "xivo-channel": event.channel,
        "xivo-uniqueid": event.uniqueid,
    }


def xivo_variables(
    event: CallEvent,
    users: UserDirectory,
    picture: Picture,
    date_format: str = "%Y-%m-%d",
    time_format: str = "%H:%M:%S",
) -> dict[str, str]:
    """Every `xivo-*` variable this plugin knows for the event."""
    values = seed_variables(event, date_format, time_format)
    caller = calling_user(event, users)
    if caller is not None:
        values["xivo-userid"] = caller.id
        found = picture(caller.picture) if caller.picture else None
        if found:
            values["xivo-callerpicture"] = found
    dest = dest_users(event, users)
    if dest:
        values["xivo-dstid"] = dest[0].id
        if not event.called_name:
            values["xivo-calledidname"] = dest[0].fullname
    return values
