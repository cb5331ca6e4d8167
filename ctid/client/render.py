"""What the reference client shows: sheets decoded from either serial, presence, phones and calls,
as short readable lines; pure (no sockets, no output stream).

Every value that comes from a server may carry caller data, and caller data is hostile: before a
value reaches a terminal, `clean()` escapes control and format characters, so a caller named
`\\x1b]0;pwned\\x07` shows as that text and cannot retitle, recolour or rewrite the screen.
Sheets are decoded with bounds: an XML payload is inflated at most `MAX_SHEET` bytes and a
document type (entities) is refused, so a rogue server cannot exhaust the client's memory.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import struct
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from ctid.sheets.payload import decode_xml_payload

MAX_SHEET = 8 * 1024 * 1024
"""Largest decoded sheet document accepted."""

_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
HINTS = {
    "-2": "unknown",
    "-1": "unknown",
    "0": "idle",
    "1": "in use",
    "2": "busy",
    "4": "unavailable",
    "8": "ringing",
    "9": "in use and ringing",
    "16": "on hold",
}
"""Asterisk hint states, as the server's phone status says them (`capas.phonestatus`)."""


class SheetFormatError(ValueError):
    """A sheet message whose payload cannot be read."""


def clean(value: Any) -> str:
    """`value` as text safe for a terminal: control, format and separator characters escaped
    (`\\x1b`, `\\u202e`), backslashes doubled so an escape always means one."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "\\" not in text:
        return text  # the common case
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in _ESCAPED:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


@dataclasses.dataclass(frozen=True)
class SheetView:
    """A sheet as the client understood it, whatever its serial."""

    channel: str
    where: str = ""
    focus: bool = False
    title: str = ""
    items: tuple[tuple[str, str, str], ...] = ()
    """(name, type, value) of each `sheet_info` line but the title, in order."""
    systray: tuple[tuple[str, str], ...] = ()
    """(type, value) of each `systray_info` line: `title`, `body`."""
    actions: tuple[str, ...] = ()
    """The urlauto strings of `action_info` lines."""
    forms: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The decoded sheet for `--json` output."""
        return {
            "where": self.where,
            "channel": self.channel,
            "focus": self.focus,
            "title": self.title,
            "items": [{"name": n, "type": t, "value": v} for n, t, v in self.items],
            "systray": [{"type": t, "value": v} for t, v in self.systray],
            "actions": list(self.actions),
            "forms": list(self.forms),
        }


def decode_sheet(message: Mapping[str, Any]) -> SheetView:
    """Read a `displaysheet` message of serial `xml` (compressed or not) or `json`."""
    serial = message.get("serial")
    channel = str(message.get("channel", ""))
    if serial == "json":
        payload = message.get("payload")
        if not isinstance(payload, Mapping):
            raise SheetFormatError("a json sheet without an object payload")
        return _from_json(channel, payload)
    if serial != "xml":
        raise SheetFormatError(f"unknown sheet serial {serial!r}")
    payload = message.get("payload")
    if not isinstance(payload, str):
        raise SheetFormatError("an xml sheet without a text payload")
    compressed = bool(message.get("compressed"))
    try:
        if compressed:
            _check_inflated_size(payload)
        document = decode_xml_payload(payload, compressed)
    except (ValueError, zlib.error) as exc:
        raise SheetFormatError(f"unreadable sheet payload: {exc}") from None
    return _from_xml(channel, document)


def _check_inflated_size(payload: str) -> None:
    """Refuse a compressed payload that announces or inflates to more than MAX_SHEET."""
    try:
        data = base64.b64decode(payload, validate=True)
    except binascii.Error as exc:
        raise SheetFormatError(f"not base64: {exc}") from None
    if len(data) < 4 or struct.unpack(">I", data[:4])[0] > MAX_SHEET:
        raise SheetFormatError("compressed sheet missing its length or over the size bound")
    inflater = zlib.decompressobj()
    inflater.decompress(data[4:], MAX_SHEET)
    if inflater.unconsumed_tail:
        raise SheetFormatError("compressed sheet inflates over the size bound")


def _from_xml(channel: str, document: bytes) -> SheetView:
    if len(document) > MAX_SHEET:
        raise SheetFormatError("sheet over the size bound")
    if b"<!doctype" in document.lower() or b"<!entity" in document.lower():
        raise SheetFormatError("sheet with a document type (never sent by ctid)")
    try:
        root = ET.fromstring(document)  # noqa: S314  (bounded, no DTD: checked above)
    except ET.ParseError as exc:
        raise SheetFormatError(f"sheet is not well-formed XML: {exc}") from None
    internal = {e.get("name", ""): e.text or "" for e in root.iter("internal")}
    lines = [(e.get("name", ""), e.get("type", ""), e.text or "") for e in root.iter("sheet_info")]
    return _view(
        channel or internal.get("channel", ""),
        where=internal.get("where", ""),
        focus=internal.get("focus") == "yes",
        lines=lines,
        systray=[(e.get("type", ""), e.text or "") for e in root.iter("systray_info")],
        actions=[e.text or "" for e in root.iter("action_info") if e.get("type") == "urlauto"],
        forms=[e.get("name", "") for e in root.iter("sheet_qtui")],
    )


def _from_json(channel: str, payload: Mapping[str, Any]) -> SheetView:
    internal = payload.get("internal")
    internal = internal if isinstance(internal, Mapping) else {}

    def rows(part: str) -> list[Mapping[str, Any]]:
        found = payload.get(part)
        return [row for row in found if isinstance(row, Mapping)] if isinstance(found, list) else []

    def text(row: Mapping[str, Any], key: str) -> str:
        value = row.get(key, "")
        return value if isinstance(value, str) else str(value)

    forms = payload.get("sheet_qtui")
    return _view(
        channel or text(internal, "channel"),
        where=text(internal, "where"),
        focus=internal.get("focus") is True,
        lines=[(text(r, "name"), text(r, "type"), text(r, "value")) for r in rows("sheet_info")],
        systray=[(text(r, "type"), text(r, "value")) for r in rows("systray_info")],
        actions=[text(r, "value") for r in rows("action_info") if r.get("type") == "urlauto"],
        forms=[str(name) for name in forms] if isinstance(forms, Mapping) else [],
    )


def _view(
    channel: str,
    *,
    where: str,
    focus: bool,
    lines: list[tuple[str, str, str]],
    systray: list[tuple[str, str]],
    actions: list[str],
    forms: list[str],
) -> SheetView:
    titles = [value for _name, kind, value in lines if kind == "title"]
    return SheetView(
        channel=channel,
        where=where,
        focus=focus,
        title=titles[0] if titles else "",
        items=tuple(line for line in lines if line[1] != "title"),
        systray=tuple(systray),
        actions=tuple(actions),
        forms=tuple(forms),
    )


def sheet_lines(sheet: SheetView) -> list[str]:
    """A sheet as the terminal shows it: a header, its lines, the tray notice, its actions."""
    focus = ", focus" if sheet.focus else ""
    head = f"== {clean(sheet.title) or 'sheet'} ==  [{clean(sheet.where)}{focus}]"
    width = max([7, *(len(clean(name)) for name, _t, _v in sheet.items)])
    out = [head, f"   {'channel':<{width}} {clean(sheet.channel)}"]
    for name, kind, value in sheet.items:
        shown = _item_value(kind, value)
        if shown:
            out.append(f"   {clean(name):<{width}} {shown}")
    tray = " | ".join(clean(value) for _kind, value in sheet.systray if value)
    if tray:
        out.append(f"   {'tray':<{width}} {tray}")
    out += [f"   {'action':<{width}} {clean(action)}" for action in sheet.actions if action]
    return out


def _item_value(kind: str, value: str) -> str:
    if kind == "picture":
        return f"[picture, {len(value) * 3 // 4} bytes]" if value else ""
    if kind == "form":
        return f"[form {clean(value)}]"
    return clean(value)


def _getlist(message: Mapping[str, Any]) -> list[str]:
    function, listname = message.get("function"), message.get("listname")
    tid = clean(message.get("tid", ""))
    status = message.get("status")
    if function == "updatestatus" and isinstance(status, Mapping):
        if listname == "users" and "availstate" in status:
            return [f"presence   {tid} is {clean(status['availstate'])}"]
        if listname == "phones" and "hintstatus" in status:
            hint = str(status["hintstatus"])
            return [f"phone      {tid} {clean(HINTS.get(hint, hint))}"]
        if listname == "channels" and "state" in status:
            return [f"call       {tid} {_channel_status(status)}"]
    if listname == "channels" and function == "delconfig":
        names = message.get("list")
        return [f"call       {clean(name)} ended" for name in names or () if isinstance(name, str)]
    return []


def _channel_status(status: Mapping[str, Any]) -> str:
    """`Ringing: 1001 Demo User - 0612345678`: the state, then who talks with whom."""
    ends = [
        " ".join(clean(status.get(key) or "") for key in (f"{side}_num", f"{side}_name")).strip()
        for side in ("caller", "connected")
    ]
    parties = " - ".join(end for end in ends if end)
    state = clean(status.get("state", ""))
    return f"{state}: {parties}" if parties else state


def _sheet_notice(message: Mapping[str, Any]) -> list[str]:
    function, channel = message.get("function"), clean(message.get("channel", ""))
    if function == "getownership":
        return [f"sheet      {channel}: you own it now"]
    if function == "loseownership":
        return [f"sheet      {channel}: someone else owns it now"]
    entry = message.get("entry")
    if function == "entryadded" and isinstance(entry, Mapping):
        return [
            f"sheet      {channel}: note by {clean(entry.get('user', ''))}: "
            f"{clean(entry.get('text', ''))}"
        ]
    return []


def _chitchat(message: Mapping[str, Any]) -> list[str]:
    if "from" not in message:
        return []  # the answer to our own message
    who = clean(message.get("fromname") or message.get("from", ""))
    return [f"message    from {who}: {clean(message.get('text', ''))}"]


def _disconnect(message: Mapping[str, Any]) -> list[str]:
    return [f"server     disconnects this session ({clean(message.get('type', ''))})"]


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "getlist": _getlist,
    "sheet": _sheet_notice,
    "chitchat": _chitchat,
    "disconnect": _disconnect,
    "disconn": _disconnect,
}


def message_lines(message: Mapping[str, Any]) -> list[str]:
    """What a pushed (not answered) server message shows, if anything: presence, phone and
    call states, chat, sheet ownership, disconnection, warnings. Sheets to display go through
    `decode_sheet` and `sheet_lines` instead."""
    kind = message.get("class")
    if "warning_string" in message or "error_string" in message:
        code = message.get("warning_string", message.get("error_string"))
        return [f"server     {clean(kind)}: {clean(code)}"]
    render = _RENDERERS.get(kind) if isinstance(kind, str) else None
    return render(message) if render is not None else []
