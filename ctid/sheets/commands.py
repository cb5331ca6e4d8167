"""The sheet engine's commands: the info console's `sheet` (fire a sheet by hand from the live
call model, to test a config) and the CTI `sheet` class (`addentry`: a note on a sheet)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ctid.callevents import CallEvent, is_where
from ctid.calls import ChannelInfo
from ctid.calls.channels import local_target
from ctid.calls.events import RDNIS_KEY, TON_KEY
from ctid.consoles import InfoCommandError, InfoConsole
from ctid.ctisession import CtiCommandError, CtiHub, CtiSession, cti_hub
from ctid.sheets.state import SheetError, SheetNotice, SheetState

if TYPE_CHECKING:
    from ctid.handle import Ctid
    from ctid.ipbx import Ipbx
    from ctid.sheets.engine import SheetEngine
    from ctid.sheets.model import Sheet

ADDENTRY = "addentry"


class InfoSheetCommand:
    """sheet <where> <channel> [<peer channel>]: pop the sheets of <where> for a live call.

    The call event is made from the call model's current state of the channel (its name or
    uniqueid) and of a peer (given, or found in the same bridge or call); the sheets are
    rendered and delivered as if the event had happened, and described in the answer.
    """

    def __init__(self, engine: SheetEngine, ctid: Ctid) -> None:
        self._engine = engine
        self._ctid = ctid

    def __call__(self, console: InfoConsole, args: list[str]) -> list[str]:
        if len(args) not in (2, 3):
            raise InfoCommandError("usage: sheet <where> <channel> [<peer channel>]")
        where = args[0]
        if not is_where(where):
            raise InfoCommandError(f"{where!r} is not a call event")
        definitions = self._engine.book.events.get(where)
        if not definitions:
            raise InfoCommandError(f"no sheet is configured for {where}")
        event = live_event(self._ctid.ipbx, where, args[1], args[2] if len(args) == 3 else "")
        sheets = self._engine.fire(event, definitions)
        if not sheets:  # every definition's call conditions left this call out
            names = ", ".join(definition.name for definition in definitions)
            raise InfoCommandError(
                f"the call (DID {event.did or '-'}, incoming context "
                f"{event.incoming_context or '-'}) meets the dids/incoming_contexts conditions "
                f"of no sheet of {where} ({names})"
            )
        return [line for sheet in sheets for line in describe(sheet)]


def describe(sheet: Sheet) -> Iterable[str]:
    """A rendered sheet for the console: who gets it, then each line's value as JSON."""
    spec = sheet.recipients
    users = ",".join(sorted(spec.users)) or "-"
    yield f"sheet {sheet.name} ({sheet.where}) on {sheet.channel}: whom={spec.whom} users={users}"
    for part, lines in (
        ("sheet", sheet.items),
        ("systray", sheet.systray),
        ("action", sheet.actions),
    ):
        for line in lines:
            shown = line.value if len(line.value) <= 200 else f"<{len(line.value)} characters>"
            title = json.dumps(line.title)
            yield f"  {part} {line.order:04d} {line.type} {title}: {json.dumps(shown)}"


def _find(channels: Sequence[ChannelInfo], wanted: str) -> ChannelInfo | None:
    return next((info for info in channels if wanted in (info.name, info.uniqueid)), None)


def _peer(channel: ChannelInfo, channels: Sequence[ChannelInfo]) -> ChannelInfo | None:
    others = [
        info
        for info in channels
        if info.linkedid == channel.linkedid
        and info.uniqueid not in (channel.uniqueid, channel.partner)
    ]
    bridged = [info for info in others if channel.bridge and info.bridge == channel.bridge]
    return next(iter(bridged or others), None)


def live_event(ipbx: Ipbx, where: str, name: str, peer_name: str) -> CallEvent:
    """A call event made from the call model's current state of a channel (and a peer)."""
    channels = ipbx.model.channels()
    channel = _find(channels, name)
    if channel is None:
        raise InfoCommandError(f"no channel {name!r} in the call model")
    peer = _find(channels, peer_name) if peer_name else _peer(channel, channels)
    if peer_name and peer is None:
        raise InfoCommandError(f"no channel {peer_name!r} in the call model")
    call = ipbx.model.get_call(channel.linkedid)
    dialplan: Mapping[str, str] = dict(call.dialplan) if call else {}
    return CallEvent(
        where=where,
        ipbx_id=ipbx.id,
        sequence=0,  # made by hand: outside the ipbx's sequence
        time=time.time(),
        channel=channel.name,
        uniqueid=channel.uniqueid,
        linkedid=channel.linkedid,
        context=channel.context,
        exten=channel.exten,
        did=call.did if call else "",
        incoming_context=call.incoming_context if call else "",
        caller_num=channel.caller_num,
        caller_name=channel.caller_name,
        caller_rdnis=dialplan.get(RDNIS_KEY, ""),
        caller_ton=dialplan.get(TON_KEY, ""),
        queue=channel.queue or (call.queue if call else ""),
        direction=call.direction if call else "",
        origin=call.origin if call else "",
        contexts=frozenset(call.contexts) if call else frozenset({channel.context}),
        dialplan=MappingProxyType(dict(dialplan)),
        **_peer_fields(peer),
    )


def _peer_fields(peer: ChannelInfo | None) -> dict[str, Any]:
    if peer is None:
        return {}
    exten, context = local_target(peer.interface)
    return {
        "peer_channel": peer.name,
        "peer_uniqueid": peer.uniqueid,
        "peer_interface": peer.interface,
        "peer_context": context,
        "peer_exten": exten,
        "called_num": exten or peer.caller_num,
    }


def send_notices(hub: CtiHub | None, notices: Iterable[SheetNotice]) -> int:
    """Send each notice to its user's sessions through the hub; the number of sends queued.

    A notice carrying a sheet is not handled here (that needs each session's serial).
    """
    if hub is None:
        return 0
    return sum(
        hub.send(notice.message, contexts=notice.contexts, to=hub.sessions_of(notice.user_id))
        for notice in notices
    )


class CtiSheetCommand:
    """sheet: `addentry` adds a note to a sheet the user received; its viewers get it."""

    def __init__(self, state: SheetState, ctid: Ctid) -> None:
        self._state = state
        self._ctid = ctid

    def __call__(self, session: CtiSession, message: Mapping[str, Any]) -> None:
        if message.get("function") != ADDENTRY:
            raise CtiCommandError("unknown:function")
        user = session.user
        if user is None:
            raise CtiCommandError("unallowed")
        channel, text = message.get("channel"), message.get("text")
        if not isinstance(channel, str) or not channel:
            raise CtiCommandError("missing:channel")
        if not isinstance(text, str):
            raise CtiCommandError("missing:text")
        try:
            notices = self._state.add_entry(channel, user.id, text)
        except SheetError as exc:
            raise CtiCommandError(exc.code) from None
        send_notices(cti_hub(self._ctid), notices)
        session.reply(message, function=ADDENTRY, status="ok")
