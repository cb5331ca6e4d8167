"""What ctid-client shows: sheets decoded from the payloads the server really builds (XML
compressed or not, JSON), hostile caller data escaped before it reaches a terminal, payloads
that would exhaust memory refused, and the pushes worth a line."""

import base64
import io
import json
import struct
import zlib
from typing import Any

import pytest

from ctid.client.output import Output
from ctid.client.render import (
    MAX_SHEET,
    SheetFormatError,
    SheetView,
    clean,
    decode_sheet,
    message_lines,
    sheet_lines,
)
from ctid.sheets.model import Recipients, SheetForm
from ctid.sheets.payload import xml_safe
from ctid.sheets.render import Definition, Line, build_sheet
from ctid.testing.sheets import call_event

UI = '<ui version="4.0"><widget class="QWidget" name="form"/></ui>'
HOSTILE = "Zoé \x1b]0;pwned\x07\x9b2J\u202eevil ]]></sheet_info><x>"
"""Terminal escapes: ESC and BEL (JSON carries them, XML drops them), CSI as one C1 character
(XML 1.0 carries it), a right-to-left override, and XML structure."""
PICTURE = base64.b64encode(b"\x89PNG" + bytes(296)).decode()


def sheet(name: str = "Zoé Martin", *, compressed: bool = True) -> Any:
    definition = Definition(
        name="popup",
        whom="dest",
        contexts=(),
        profiles=(),
        focus=True,
        compressed=compressed,
        sheet_info=(
            Line("", "title", "Call", "Call from {xivo-calleridname}"),
            Line("Caller", "text", "?", "{xivo-calleridname}"),
            Line("Number", "phone", "", "{xivo-calleridnum}"),
            Line("Company", "text", "", "{db-company}"),
            Line("Picture", "picture", "", "{xivo-callerpicture}"),
            Line("Customer file", "form", "", "crm"),
        ),
        systray_info=(Line("", "title", "", "{xivo-calleridname}"), Line("", "body", "", "hi")),
        action_info=(Line("", "urlauto", "", "https://crm.example.com/pop?n={xivo-calleridnum}"),),
        forms=(SheetForm("crm", UI),),
        server_actions=(),
    )
    values = {
        "xivo-calleridname": name,
        "xivo-calleridnum": "0612345678",
        "db-company": "",
        "xivo-callerpicture": PICTURE,
    }
    return build_sheet(definition, call_event("dial"), values, Recipients("dest"))


def expected(name: str = "Zoé Martin") -> SheetView:
    return SheetView(
        channel="PJSIP/trunk-00000001",
        where="dial",
        focus=True,
        title=f"Call from {name}",
        items=(
            ("Caller", "text", name),
            ("Number", "phone", "0612345678"),
            ("Company", "text", ""),
            ("Picture", "picture", PICTURE),
            ("Customer file", "form", "crm"),
        ),
        systray=(("title", name), ("body", "hi")),
        actions=("https://crm.example.com/pop?n=0612345678",),
        forms=("crm",),
    )


@pytest.mark.parametrize(("serial", "compressed"), [("xml", True), ("xml", False), ("json", False)])
def test_every_serial_decodes_to_the_same_sheet(serial: str, compressed: bool) -> None:
    message = sheet(compressed=compressed).message(serial)
    assert message["compressed"] is compressed
    assert decode_sheet(message) == expected()


def test_the_sheet_reads_as_title_lines_tray_and_action() -> None:
    lines = sheet_lines(decode_sheet(sheet().message("xml")))
    assert lines == [
        "== Call from Zoé Martin ==  [dial, focus]",
        "   channel       PJSIP/trunk-00000001",
        "   Caller        Zoé Martin",
        "   Number        0612345678",
        "   Picture       [picture, 300 bytes]",
        "   Customer file [form crm]",
        "   tray          Zoé Martin | hi",
        "   action        https://crm.example.com/pop?n=0612345678",
    ]


@pytest.mark.parametrize("serial", ["xml", "json"])
def test_a_hostile_caller_name_cannot_reach_the_terminal_as_control_bytes(serial: str) -> None:
    view = decode_sheet(sheet(HOSTILE).message(serial))
    sent = HOSTILE if serial == "json" else xml_safe(HOSTILE)
    assert view.items[0] == ("Caller", "text", sent)  # decoded faithfully…
    shown = "\n".join(sheet_lines(view))
    assert not [c for c in shown if c != "\n" and not c.isprintable()]  # …shown inert
    assert "\\x9b2J\\u202eevil ]]></sheet_info><x>" in shown
    if serial == "json":
        assert "Zoé \\x1b]0;pwned\\x07\\x9b2J" in shown


def test_clean_escapes_controls_and_keeps_text() -> None:
    assert clean("Zoé Müller-Łukasz 日本") == "Zoé Müller-Łukasz 日本"
    assert clean("a\tb\r\nc\x00\x7f\x9b") == "a\\x09b\\x0d\\x0ac\\x00\\x7f\\x9b"
    assert clean("back\\slash\u2028") == "back\\\\slash\\u2028"
    assert clean(None) == "None"


def compressed_payload(document: bytes, announced: int | None = None) -> str:
    length = len(document) if announced is None else announced
    return base64.b64encode(struct.pack(">I", length) + zlib.compress(document)).decode()


@pytest.mark.parametrize(
    "message",
    [
        {"serial": "xml", "compressed": False, "payload": "not base64!"},
        {"serial": "xml", "compressed": True, "payload": base64.b64encode(b"ab").decode()},
        {"serial": "xml", "compressed": False, "payload": base64.b64encode(b"<profile").decode()},
        {"serial": "json", "payload": "text"},
        {"serial": "yaml", "payload": ""},
        # a zip bomb announcing a huge document, or lying about its size
        {"serial": "xml", "compressed": True, "payload": compressed_payload(b"<a/>", 1 << 30)},
        {
            "serial": "xml",
            "compressed": True,
            "payload": compressed_payload(b" " * (MAX_SHEET + 10), 100),
        },
        # entities: refused before any parser sees them
        {
            "serial": "xml",
            "compressed": False,
            "payload": base64.b64encode(
                b'<!DOCTYPE p [<!ENTITY a "aaaa">]><profile>&a;</profile>'
            ).decode(),
        },
    ],
)
def test_unreadable_or_dangerous_payloads_are_refused(message: dict[str, Any]) -> None:
    with pytest.raises(SheetFormatError):
        decode_sheet({"class": "sheet", "channel": "x", **message})


def test_a_json_sheet_with_odd_types_still_renders() -> None:
    payload = {"internal": "x", "sheet_info": [{"type": "title", "value": 3}, "junk", {}]}
    view = decode_sheet({"serial": "json", "channel": "c", "payload": payload})
    assert view.title == "3" and view.items == (("", "", ""),)


@pytest.mark.parametrize(
    ("message", "lines"),
    [
        (
            {"class": "getlist", "function": "updatestatus", "listname": "users", "tid": "bob",
             "status": {"availstate": "away"}},
            ["presence   bob is away"],
        ),
        (
            {"class": "getlist", "function": "updatestatus", "listname": "phones",
             "tid": "1001@default", "status": {"hintstatus": "8"}},
            ["phone      1001@default ringing"],
        ),
        (
            {"class": "getlist", "function": "updatestatus", "listname": "channels",
             "tid": "PJSIP/1001-1", "status": {"state": "Up", "caller_num": "1001",
                                               "caller_name": "Me", "connected_num": "06"}},
            ["call       PJSIP/1001-1 Up: 1001 Me - 06"],
        ),
        (
            {"class": "getlist", "function": "delconfig", "listname": "channels",
             "list": ["PJSIP/1001-1"]},
            ["call       PJSIP/1001-1 ended"],
        ),
        (
            {"class": "chitchat", "from": "xivo/bob", "fromname": "Bob\x1b[31m", "text": "hi"},
            ["message    from Bob\\x1b[31m: hi"],
        ),
        ({"class": "sheet", "function": "getownership", "channel": "c"},
         ["sheet      c: you own it now"]),
        ({"class": "disconnect", "type": "force"},
         ["server     disconnects this session (force)"]),
        ({"class": "nope", "warning_string": "unknown_class"},
         ["server     nope: unknown_class"]),
        ({"class": "getlist", "function": "listid", "listname": "users", "list": []}, []),
        ({"class": "keepalive"}, []),
    ],
)  # fmt: skip
def test_pushes_worth_a_line(message: dict[str, Any], lines: list[str]) -> None:
    assert message_lines(message) == lines


def test_json_output_is_every_message_plus_the_decoded_sheet_in_ascii() -> None:
    stream = io.StringIO()
    output = Output(stream, json_lines=True)
    message = sheet(HOSTILE).message("xml")
    output.sheet(message, decode_sheet(message))
    output.message({"class": "keepalive", "replyid": 4})
    output.record("result", "dial 1002: ok", command="dial", ok=True)
    text = stream.getvalue()
    assert text.isascii() and "\x1b" not in text
    first, second, third = (json.loads(line) for line in text.splitlines())
    assert first["payload"] == message["payload"]
    assert first["decoded"]["items"][0]["value"] == xml_safe(HOSTILE)
    assert second == {"class": "keepalive", "replyid": 4}
    assert third == {"client": "result", "command": "dial", "ok": True}


def test_text_output_survives_a_terminal_without_unicode() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    Output(stream).record("note", "Zoé")
    assert raw.getvalue().decode().endswith(" Zo\\xe9\n")
