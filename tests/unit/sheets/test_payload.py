"""The wire format: the Qt client's XML (order, escaping, compression) and its JSON twin."""

import base64
import json
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from ctid.sheets.model import Recipients, SheetForm
from ctid.sheets.payload import decode_xml_payload, xml_payload
from ctid.sheets.render import Definition, Line, build_sheet
from ctid.testing.sheets import call_event

UI = '<ui version="4.0"><widget class="QWidget" name="form"/></ui>'


def definition(**changes: object) -> Definition:
    options: dict[str, object] = {
        "name": "popup",
        "whom": "dest",
        "contexts": (),
        "profiles": (),
        "focus": True,
        "compressed": True,
        "sheet_info": (
            Line("", "title", "Call", "Call from {xivo-calleridname}"),
            Line("Name", "text", "?", "{xivo-calleridname}"),
            Line("Number", "phone", "", "{xivo-calleridnum}"),
            Line("Form", "form", "", "crm"),
            Line("CRM", "url", "", "http://crm/?n={xivo-calleridname}"),
        ),
        "systray_info": (Line("", "title", "", "{xivo-calleridname}"), Line("", "body", "", "x")),
        "action_info": (Line("", "urlauto", "", "http://crm/pop?n={xivo-calleridnum}"),),
        "forms": (SheetForm("crm", UI),),
        "server_actions": (),
    }
    options.update(changes)
    return Definition(**options)  # type: ignore[arg-type]


def render(name: str, **changes: object) -> object:
    values = {"xivo-calleridname": name, "xivo-calleridnum": "0612345678"}
    return build_sheet(definition(**changes), call_event("dial"), values, Recipients("dest"))


def parse(sheet: object) -> ET.Element:
    message = sheet.message("xml")  # type: ignore[attr-defined]
    xml = decode_xml_payload(message["payload"], message["compressed"])
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?><profile><user>')
    return ET.fromstring(xml)


def test_elements_come_in_the_order_the_qt_client_streams_them() -> None:
    user = parse(render("Zoé"))[0]
    assert [(e.tag, e.get("name")) for e in user] == [
        ("internal", "where"),
        ("internal", "ipbxid"),
        ("internal", "channel"),
        ("internal", "focus"),
        ("sheet_qtui", "crm"),
        ("action_info", ""),
        ("sheet_info", ""),
        ("sheet_info", "Name"),
        ("sheet_info", "Number"),
        ("sheet_info", "Form"),
        ("sheet_info", "CRM"),
        ("systray_info", None),
        ("systray_info", None),
    ]
    assert [e.text for e in user[:4]] == ["dial", "xivo", "PJSIP/trunk-00000001", "yes"]
    assert user[4].text == UI
    assert [e.get("order") for e in user.iter("sheet_info")] == [
        "0010",
        "0020",
        "0030",
        "0040",
        "0050",
    ]
    assert user[7].attrib == {"order": "0020", "type": "text", "name": "Name"}
    assert user[7].text == "Zoé"
    assert user[5].text == "http://crm/pop?n=0612345678"


def test_the_compressed_payload_is_qt_quncompress_format() -> None:
    sheet = render("Zoé")
    raw = base64.b64decode(sheet.message("xml")["payload"])  # type: ignore[attr-defined]
    (length,) = struct.unpack(">I", raw[:4])
    assert zlib.decompress(raw[4:]) == sheet.xml  # type: ignore[attr-defined]
    assert length == len(sheet.xml)  # type: ignore[attr-defined]
    plain = render("Zoé", compressed=False)
    message = plain.message("xml")  # type: ignore[attr-defined]
    assert message["compressed"] is False
    assert base64.b64decode(message["payload"]) == plain.xml  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        "]]></sheet_info><x>",
        "<script>alert(1)</script>",
        "{xivo-channel}",
        "a\"b'c&d<e>f",
        "]]>]]><![CDATA[",
        "bell\x07null\x00esc\x1b\ud800end",
    ],
)
def test_caller_data_never_changes_the_document(name: str) -> None:
    user = parse(render(name))[0]
    assert len(user) == 13 and [e.tag for e in user].count("sheet_info") == 5
    expected = "".join(c for c in name if c not in "\x07\x00\x1b\ud800")
    assert user[7].text == expected
    assert user[0].text == "dial" and user[2].text == "PJSIP/trunk-00000001"
    assert user[8].text == "0612345678"
    assert user.find("x") is None and user.find("script") is None


def test_hostile_values_in_urls_are_encoded() -> None:
    user = parse(render("a&b=c/../#x"))[0]
    assert user[10].text == "http://crm/?n=a%26b%3Dc%2F..%2F%23x"


def test_json_serial_carries_the_same_items_and_is_built_once() -> None:
    sheet = render("Zoé")
    message = sheet.message("json")  # type: ignore[attr-defined]
    assert message["class"] == "sheet" and message["function"] == "displaysheet"
    assert (message["serial"], message["compressed"]) == ("json", False)
    payload = message["payload"]
    json.dumps(message)  # JSON-ready
    assert payload["internal"]["where"] == "dial" and payload["internal"]["focus"] is True
    assert payload["sheet_qtui"] == {"crm": UI}
    assert payload["sheet_info"][1] == {"order": 20, "type": "text", "value": "Zoé", "name": "Name"}
    assert payload["systray_info"][0] == {"order": 10, "type": "title", "value": "Zoé"}
    again = sheet.message("json")  # type: ignore[attr-defined]
    assert again is not message and again["payload"] is payload  # built once, fresh envelope
    assert sheet.message("xml")["payload"] is sheet.message("xml")["payload"]  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        sheet.message("yaml")  # type: ignore[attr-defined]


def test_decoding_refuses_a_wrong_length() -> None:
    data = base64.b64encode(struct.pack(">I", 3) + zlib.compress(b"abcd")).decode()
    with pytest.raises(ValueError):
        decode_xml_payload(data, True)
    assert decode_xml_payload(xml_payload(b"<a/>", True), True) == b"<a/>"
