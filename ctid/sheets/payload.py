"""The sheet on the wire: the Qt client's XML document, its JSON twin, and the CTI message.

The XML is built with ElementTree, so every value is a text node or an attribute escaped by the
library: a caller name such as `]]></sheet_info><x>` or `<script>` is text, never structure.
Characters XML 1.0 cannot carry (most control characters, lone surrogates) are dropped, so the
document always parses; everything else comes back exactly (a CR too, written `&#13;`). Element
order follows what the Qt client reads as it streams: the internals, then `sheet_qtui` (forms
must be known before the line that shows them), `action_info`, `sheet_info`, `systray_info`;
the popup appears when `</profile>` closes.

Compressed payload: base64(4-byte big-endian length ‖ zlib(xml)), Qt's `qUncompress` format;
uncompressed: base64(xml).
"""

from __future__ import annotations

import base64
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctid.sheets.model import Sheet, SheetLine

XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters outside XML 1.0's Char production."""


def xml_safe(text: str) -> str:
    """`text` without the characters an XML 1.0 document cannot contain."""
    return _NOT_XML.sub("", text)


def order_of(line: SheetLine) -> str:
    """The order attribute as XiVO wrote it: zero-padded to four digits."""
    return f"{line.order:04d}"


def _add(parent: ET.Element, tag: str, value: str, **attributes: str) -> None:
    element = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attributes.items()})
    element.text = xml_safe(value)


def sheet_xml(sheet: Sheet) -> bytes:
    """The Qt client's XML document for a sheet, UTF-8 encoded."""
    profile = ET.Element("profile")
    user = ET.SubElement(profile, "user")
    _add(user, "internal", sheet.where, name="where")
    _add(user, "internal", sheet.ipbx_id, name="ipbxid")
    _add(user, "internal", sheet.channel, name="channel")
    _add(user, "internal", "yes" if sheet.focus else "no", name="focus")
    for form in sheet.forms:
        _add(user, "sheet_qtui", form.ui, name=form.name)
    for line in sheet.actions:
        _add(user, "action_info", line.value, order=order_of(line), type=line.type, name=line.title)
    for line in sheet.items:
        _add(user, "sheet_info", line.value, order=order_of(line), type=line.type, name=line.title)
    for line in sheet.systray:
        _add(user, "systray_info", line.value, order=order_of(line), type=line.type)
    text = ET.tostring(profile, encoding="unicode")
    # ElementTree escapes CR in attributes only; a raw CR in text would be read back as LF (XML
    # end-of-line handling). Every CR left in the document is text, so its reference is exact.
    return XML_DECLARATION + text.replace("\r", "&#13;").encode("utf-8")


def xml_payload(xml: bytes, compressed: bool) -> str:
    """The `payload` of an XML sheet message."""
    if compressed:
        xml = struct.pack(">I", len(xml)) + zlib.compress(xml)
    return base64.b64encode(xml).decode("ascii")


def decode_xml_payload(payload: str, compressed: bool) -> bytes:
    """The XML document of a payload (what the Qt client does; for tests and the reference
    client). Raises ValueError when the payload is not in the expected format."""
    data = base64.b64decode(payload, validate=True)
    if not compressed:
        return data
    if len(data) < 4:
        raise ValueError("compressed payload shorter than its length prefix")
    (length,) = struct.unpack(">I", data[:4])
    xml = zlib.decompress(data[4:])
    if len(xml) != length:
        raise ValueError(f"payload announces {length} bytes, holds {len(xml)}")
    return xml


def _lines(lines: tuple[SheetLine, ...], named: bool = True) -> list[dict[str, Any]]:
    return [
        {"order": line.order, "type": line.type, "value": line.value}
        | ({"name": line.title} if named else {})
        for line in lines
    ]


def json_payload(sheet: Sheet) -> dict[str, Any]:
    """The same sheet as structured data (`serial: json`), in the XML's order and names."""
    return {
        "internal": {
            "where": sheet.where,
            "ipbxid": sheet.ipbx_id,
            "channel": sheet.channel,
            "uniqueid": sheet.uniqueid,
            "focus": sheet.focus,
        },
        "sheet_qtui": {form.name: form.ui for form in sheet.forms},
        "action_info": _lines(sheet.actions),
        "sheet_info": _lines(sheet.items),
        "systray_info": _lines(sheet.systray, named=False),
    }


def message(sheet: Sheet, serial: str, payload: str | dict[str, Any]) -> dict[str, Any]:
    """The CTI `sheet` message around a payload (JSON payloads are never compressed)."""
    return {
        "class": "sheet",
        "function": "displaysheet",
        "channel": sheet.channel,
        "serial": serial,
        "compressed": sheet.compressed if serial == "xml" else False,
        "payload": payload,
    }
