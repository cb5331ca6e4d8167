"""Sheet delivery: each rendered sheet (`ctid_sheet_rendered`) to the logged-in sessions it is
for, in each session's serial, and sheet ownership as calls are answered.

A session gets a sheet when its profile receives sheets (`sheets: true`), the sheet's
recipients include its user, and the hub's tenant filter lets the sheet's contexts through. The
XML serial is what the Qt client renders in its `customerinfo` panel (`capaxlets` always lists
it for such profiles); `sheet_serial: json` profiles get the same content as structured data. A
session whose `login_capas` carried `subscribe: true` also gets the `whom: subscribe` sheets.
The users reached are recorded in the sheet state, where ownership (`getownership`/
`loseownership` on link) and notes (`sheet addentry`) find the viewers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ctid.api import CallEvent, Ctid, Sheet, sheet_state
from ctid_cti.sessions import Hub, Session

log = logging.getLogger(__name__)


class SheetDelivery:
    """Sends sheets and ownership notices through the hub."""

    def __init__(self, ctid: Ctid, hub: Hub) -> None:
        self.ctid = ctid
        self.hub = hub
        self.delivered = 0

    def deliver(self, sheet: Sheet) -> int:
        """Send a rendered sheet to every session it is for; the number of users reached."""
        if sheet.recipients.whom == "dest":
            # Only the named users can receive it: their sessions, not a scan of every session
            # (a sheet per call must not cost O(clients)).
            users = sorted(sheet.recipients.users)
            sessions = [session for user in users for session in self.hub.sessions_of(user)]
        else:
            sessions = self.hub.sessions()
        reached = self._send(sheet, sessions, check_recipients=True)
        state = sheet_state(self.ctid)
        if state is not None and reached:
            state.delivered(sheet, reached)
        log.debug("sheet %s on %s reached %s", sheet.name, sheet.channel, reached or "no one")
        return len(reached)

    def call_event(self, event: CallEvent) -> None:
        """On `link`/`agentlinked`: tell the new owner of a channel's sheet (and give it the
        sheet if it never had it), and tell the previous owner it lost it."""
        state = sheet_state(self.ctid)
        if state is None:
            return
        for notice in state.linked(event):
            sessions = self.hub.sessions_of(notice.user_id)
            if notice.sheet is not None:
                self._send(notice.sheet, sessions, check_recipients=False)
            self.hub.send(notice.message, contexts=notice.contexts, to=sessions)

    def _send(
        self, sheet: Sheet, sessions: Iterable[Session], *, check_recipients: bool
    ) -> list[str]:
        """Send to the sessions that want it, one encoding per serial; the users reached."""
        by_serial: dict[str, list[Session]] = {}
        for session in sessions:
            user = session.user
            if user is None or not session.profile.get("sheets", True):
                continue
            if check_recipients and not sheet.recipients.includes(
                user, subscribed=session.subscribed
            ):
                continue
            if self.hub.admits(session, sheet.contexts):
                serial = str(session.profile.get("sheet_serial", "xml"))
                by_serial.setdefault(serial, []).append(session)
        reached: dict[str, None] = {}
        for serial, group in by_serial.items():
            message = sheet.message(serial)
            self.delivered += self.hub.send(message, contexts=sheet.contexts, to=group)
            reached.update((session.user.id, None) for session in group if session.user)
        return list(reached)
