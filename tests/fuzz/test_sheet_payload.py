"""Fuzzing sheet payloads: values holding `]]>`, markup, control characters, lone surrogates and
NULs. The XML always parses and gives every value back exactly, less the characters XML 1.0
cannot carry (the documented stripping); both serials always encode as one CTI line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from ctid.sheets.model import Recipients, Sheet, SheetForm, SheetLine
from ctid.sheets.payload import decode_xml_payload, sheet_xml, xml_safe
from ctid.testing.strategies import fuzz_settings, hostile_text
from ctid_cti import codec


def lines(text: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[SheetLine, ...]]:
    line = st.builds(
        SheetLine,
        order=st.integers(min_value=0, max_value=99_999),
        title=text,
        type=st.sampled_from(["text", "url", "form", "phone"]),
        value=text,
    )
    return st.lists(line, max_size=3).map(tuple)


def sheets(text: st.SearchStrategy[str]) -> st.SearchStrategy[Sheet]:
    return st.builds(
        Sheet,
        name=text,
        where=text,
        ipbx_id=text,
        channel=text,
        uniqueid=text,
        linkedid=text,
        sequence=st.integers(min_value=0, max_value=2**40),
        time=st.floats(min_value=0, max_value=2e9),
        contexts=st.frozensets(text, max_size=2),
        focus=st.booleans(),
        compressed=st.booleans(),
        items=lines(text),
        systray=lines(text),
        actions=lines(text),
        forms=st.lists(st.builds(SheetForm, text, text), max_size=2).map(tuple),
        recipients=st.just(Recipients("all")),
    )


def parts(root: ET.Element) -> list[tuple[str, dict[str, str], str]]:
    return [(child.tag, dict(child.attrib), child.text or "") for child in root[0]]


def expected(sheet: Sheet) -> list[tuple[str, dict[str, str], str]]:
    """Each element the document must hold, its values stripped as documented."""
    safe = xml_safe
    found = [
        ("internal", {"name": name}, safe(value))
        for name, value in (
            ("where", sheet.where),
            ("ipbxid", sheet.ipbx_id),
            ("channel", sheet.channel),
            ("focus", "yes" if sheet.focus else "no"),
        )
    ]
    found += [("sheet_qtui", {"name": safe(form.name)}, safe(form.ui)) for form in sheet.forms]
    for tag, part in (("action_info", sheet.actions), ("sheet_info", sheet.items)):
        found += [
            (tag, {"order": f"{line.order:04d}", "type": safe(line.type), "name": safe(line.title)},
             safe(line.value))
            for line in part
        ]  # fmt: skip
    found += [
        ("systray_info", {"order": f"{line.order:04d}", "type": safe(line.type)}, safe(line.value))
        for line in sheet.systray
    ]
    return found


@fuzz_settings(200)
@given(sheet=sheets(hostile_text()))
def test_the_xml_always_parses_and_gives_every_value_back(sheet: Sheet) -> None:
    document = sheet_xml(sheet)
    root = ET.fromstring(document)  # expat: a well-formedness error raises

    assert root.tag == "profile"
    assert parts(root) == expected(sheet)
    message = sheet.message("xml")
    assert decode_xml_payload(message["payload"], message["compressed"]) == document


@fuzz_settings(200)
@given(sheet=sheets(hostile_text(surrogates=False)))
def test_both_serials_encode_as_one_line_the_json_one_carrying_values_as_is(sheet: Sheet) -> None:
    # Sheet values never hold lone surrogates: providers' values are cleaned, the config loader
    # refuses them, AMI text is decoded with replacement.
    assert codec.encode(sheet.message("xml"), 0.0).count(b"\n") == 1
    line = codec.encode(sheet.message("json"), 0.0)

    assert line.count(b"\n") == 1
    payload = json.loads(line)["payload"]
    assert [item["value"] for item in payload["sheet_info"]] == [i.value for i in sheet.items]
    assert payload["internal"]["channel"] == sheet.channel


# --- regressions the fuzzer found ------------------------------------------------------------


def test_a_carriage_return_in_a_value_survives_the_xml() -> None:
    # A raw CR in a text node is read back as LF by every XML parser (end-of-line handling).
    sheet = Sheet(
        name="s", where="dial", ipbx_id="xivo", channel="c\r\n", uniqueid="1", linkedid="1",
        sequence=1, time=0.0, contexts=frozenset(), focus=False, compressed=False,
        items=(SheetLine(10, "Name", "text", "Evil\rCorp\r\n"),), systray=(), actions=(),
        forms=(), recipients=Recipients("all"),
    )  # fmt: skip
    root = ET.fromstring(sheet_xml(sheet))
    assert [(tag, text) for tag, _, text in parts(root)][2:] == [
        ("internal", "c\r\n"),
        ("internal", "no"),
        ("sheet_info", "Evil\rCorp\r\n"),
    ]
