"""Per-channel sheet state: who saw the sheet, who owns it, the notes added to it.

XiVO's sheet manager, kept small and bounded: the engine records each rendered sheet; the
delivery side records its viewers; a `link` or `agentlinked` makes the user on the other side
of the bridge the owner (`getownership` to them, `loseownership` to the previous owner, and the
sheet itself when the new owner never received it); `sheet addentry` notes go to every viewer
as `entryadded`. A channel's state is released when it hangs up, and past `channels` entries
the oldest is forgotten. Functions return `SheetNotice`s: messages for the CTI side to send.
"""

from __future__ import annotations

import collections
import dataclasses
import time
import weakref
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from ctid.callevents import CallEvent
from ctid.sheets.conditions import agent_users, peer_user, user_of_channel
from ctid.sheets.model import Sheet
from ctid.users import User, UserDirectory

if TYPE_CHECKING:
    from ctid.handle import Ctid

OWNER_EVENTS = frozenset({"link", "agentlinked"})


class SheetError(Exception):
    """A sheet request cannot be honoured; `code` is the CTI warning string."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclasses.dataclass(frozen=True, slots=True)
class SheetNotice:
    """One message for one user's sessions, scoped to the call's contexts."""

    user_id: str
    message: Mapping[str, Any]
    contexts: frozenset[str]
    sheet: Sheet | None = None
    """With `getownership`: the new owner never received the sheet; deliver it too."""


@dataclasses.dataclass
class _Entry:
    sheet: Sheet
    viewers: set[str] = dataclasses.field(default_factory=set)
    owner: str = ""
    notes: collections.deque[dict[str, Any]] = dataclasses.field(default_factory=collections.deque)


def _sheet_message(function: str, channel: str, **fields: Any) -> dict[str, Any]:
    return {"class": "sheet", "function": function, "channel": channel, **fields}


class SheetState:
    """The sheet state of every channel with a recent sheet, bounded."""

    def __init__(
        self,
        users: UserDirectory,
        *,
        channels: int = 10_000,
        notes: int = 50,
        note_length: int = 1000,
    ) -> None:
        self._users = users
        self._entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self.configure(channels=channels, notes=notes, note_length=note_length)

    def configure(self, *, channels: int, notes: int, note_length: int) -> None:
        """Apply new bounds (config reload)."""
        self.max_channels, self.max_notes, self.max_note_length = channels, notes, note_length
        self._trim()

    def __len__(self) -> int:
        return len(self._entries)

    def knows(self, channel: str) -> bool:
        """Whether a sheet of this channel is remembered."""
        return channel in self._entries

    def rendered(self, sheet: Sheet) -> None:
        """Remember a channel's latest sheet (the engine, before delivery)."""
        entry = self._entries.get(sheet.channel)
        if entry is None:
            self._entries[sheet.channel] = _Entry(sheet)
            self._trim()
        else:
            entry.sheet = sheet
            self._entries.move_to_end(sheet.channel)

    def delivered(self, sheet: Sheet, user_ids: Collection[str]) -> None:
        """Record the users a sheet was sent to (the delivery side, after sending)."""
        entry = self._entries.get(sheet.channel)
        if entry is None:
            self.rendered(sheet)
            entry = self._entries[sheet.channel]
        entry.viewers.update(user_ids)

    def linked(self, event: CallEvent) -> list[SheetNotice]:
        """A `link`/`agentlinked`: the user on the other side of the sheet's channel owns it."""
        if event.where not in OWNER_EVENTS:
            return []
        found = self._owner_of(event)
        if found is None:
            return []
        channel, entry, owner = found
        if entry.owner == owner.id:
            return []
        contexts = entry.sheet.contexts
        notices = []
        if entry.owner:
            lose = _sheet_message("loseownership", channel)
            notices.append(SheetNotice(entry.owner, lose, contexts))
        unseen = owner.id not in entry.viewers
        entry.owner = owner.id
        entry.viewers.add(owner.id)
        get = _sheet_message("getownership", channel)
        notices.append(SheetNotice(owner.id, get, contexts, entry.sheet if unseen else None))
        return notices

    def _owner_of(self, event: CallEvent) -> tuple[str, _Entry, User] | None:
        entry = self._entries.get(event.channel)
        if entry is not None:
            if event.where == "agentlinked":
                candidates = agent_users(event, self._users)
                owner = candidates[0] if candidates else None
            else:
                owner = peer_user(event, self._users)
            return (event.channel, entry, owner) if owner is not None else None
        entry = self._entries.get(event.peer_channel)
        owner = user_of_channel(event.channel, self._users)
        if entry is None or owner is None:
            return None
        return event.peer_channel, entry, owner

    def add_entry(self, channel: str, user_id: str, text: str) -> list[SheetNotice]:
        """A note on a channel's sheet by one of its viewers: `entryadded` to every viewer.

        :raises SheetError: `unknown_sheet`, `unallowed` (not a viewer), `missing:text`,
            `toolong:text`.
        """
        entry = self._entries.get(channel)
        if entry is None:
            raise SheetError("unknown_sheet")
        if user_id not in entry.viewers:
            raise SheetError("unallowed")
        text = text.strip()
        if not text:
            raise SheetError("missing:text")
        if len(text) > self.max_note_length:
            raise SheetError("toolong:text")
        note = {"user": user_id, "time": round(time.time(), 3), "text": text}
        entry.notes.append(note)
        while len(entry.notes) > self.max_notes:
            entry.notes.popleft()
        added = _sheet_message("entryadded", channel, entry=note)
        return [
            SheetNotice(viewer, added, entry.sheet.contexts) for viewer in sorted(entry.viewers)
        ]

    def release(self, channel: str) -> bool:
        """Forget a channel's sheet (its hangup); False when none was remembered."""
        return self._entries.pop(channel, None) is not None

    def describe(self, channel: str) -> dict[str, Any] | None:
        """A channel's state as plain data (info console, tests)."""
        entry = self._entries.get(channel)
        if entry is None:
            return None
        return {
            "sheet": entry.sheet.name,
            "where": entry.sheet.where,
            "viewers": sorted(entry.viewers),
            "owner": entry.owner,
            "notes": list(entry.notes),
        }

    def _trim(self) -> None:
        while len(self._entries) > self.max_channels:
            self._entries.popitem(last=False)


# The sheet state of each running daemon, keyed by its user directory (one per daemon), as the
# CTI hub is: several in-process daemons (tests) never share sheets.
_STATES: weakref.WeakKeyDictionary[object, SheetState] = weakref.WeakKeyDictionary()


def provide_sheet_state(users: UserDirectory, state: SheetState | None) -> None:
    """Publish the sheet state of the daemon owning `users` (the engine; None at stop)."""
    if state is None:
        _STATES.pop(users, None)
    else:
        _STATES[users] = state


def sheet_state(ctid: Ctid) -> SheetState | None:
    """The sheet state of `ctid`'s daemon, for the CTI plugin (record viewers, ownership)."""
    return _STATES.get(ctid.users)
