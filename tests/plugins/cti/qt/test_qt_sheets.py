"""Sheets as the Qt client renders them: a rendered sheet reaches the sessions it is for, and its
payload, decoded exactly as the client decodes it (base64, then qUncompress when compressed, then
the streaming XML parser), shows the internals, the lines, the tray notice and the urlauto
action; profiles without sheets get none, JSON profiles get the same content as data; the user
a call is linked to becomes the sheet's owner."""

from collections.abc import Callable
from typing import Any

import pytest

from ctid.api import sheet_state
from ctid.testing.cticlient import CtiTestClient
from ctid.testing.sheets import call_event

Replay = Callable[[CtiTestClient, list[str]], list[dict[str, Any]]]
CHANNEL = "SIP/alice-00000001"


def sheets(zipped: bool = True, **conditions: Any) -> dict[str, Any]:
    return {
        "events": {"dial": ["ringing"]},
        "definitions": {
            "ringing": {
                "conditions": {"whom": "all", **conditions},
                "options": {"focus": False, "zip": zipped},
                "sheet_info": [
                    ["title", "title", "", "Incoming call"],
                    ["Caller name", "text", "", "Bob Example"],
                    ["Caller number", "phone", "", "1002"],
                ],
                "systray_info": [["", "title", "", "Call from Bob"], ["", "body", "", "1002"]],
                "action_info": [["", "urlauto", "", "https://crm.example.com/call?n=1002"]],
            }
        },
    }


def start(cti: Any, make_user: Any, **sheet_options: Any) -> None:
    users = [
        make_user("alice", id="1", profile="1"),
        make_user("bob", number="1002", id="2", profile="other"),
        make_user("carol", number="1003", id="3", profile="nosheets"),
        make_user("dave", number="1004", id="4", profile="structured"),
    ]
    profiles = {
        "1": {"xlets": [["identity", "grid"]]},
        "other": {},
        "nosheets": {"sheets": False},
        "structured": {"sheet_serial": "json"},
    }
    cti.start(users, profiles=profiles, sheets=sheets(**sheet_options))


def ring(cti: Any, **fields: Any) -> None:
    event = call_event("dial", channel=CHANNEL, **fields)
    cti.daemon.hooks.notify("ctid_call_event_emitted", event=event)


@pytest.mark.parametrize("zipped", [True, False])
def test_the_client_decodes_and_shows_the_sheet(
    cti: Any,
    make_user: Any,
    connect: Any,
    capture: Any,
    replay: Replay,
    sheet_reader: Any,
    zipped: bool,
) -> None:
    start(cti, make_user, zipped=zipped)
    client = connect()
    client.read_line()
    login = replay(client, capture("mock-plain.txt")[:3])
    assert ["customerinfo", "dock", "cms"] in login[2]["capaxlets"]  # or no popup at all
    ring(cti)
    message = client.expect("sheet")
    assert message["channel"] == CHANNEL and message["compressed"] is zipped
    assert message["serial"] == "xml"
    sheet = sheet_reader(message)
    assert sheet.shown
    assert sheet.of("internal") == [
        ("", "", "where", "dial"),
        ("", "", "ipbxid", "xivo"),
        ("", "", "channel", CHANNEL),
        ("", "", "focus", "no"),
    ]
    assert sheet.of("sheet_info") == [
        ("0010", "title", "title", "Incoming call"),
        ("0020", "text", "Caller name", "Bob Example"),
        ("0030", "phone", "Caller number", "1002"),
    ]
    assert sheet.of("systray_info") == [
        ("0010", "title", "", "Call from Bob"),
        ("0020", "body", "", "1002"),
    ]
    assert sheet.of("action_info") == [
        ("0010", "urlauto", "", "https://crm.example.com/call?n=1002")
    ]
    state = sheet_state(cti.daemon.handles["cti"])
    assert state is not None and "1" in state.describe(CHANNEL)["viewers"]


def test_profiles_choose_whether_and_how_sheets_come(
    cti: Any, make_user: Any, sheet_reader: Any
) -> None:
    start(cti, make_user)
    carol, dave = cti.client("carol"), cti.client("dave")
    [capas] = [m for m in carol.received if m["class"] == "login_capas"]
    assert capas["capaxlets"] == [["identity", "grid"], ["dial", "grid"]]  # no sheet panel
    ring(cti)
    data = dave.expect("sheet")
    assert data["serial"] == "json" and data["compressed"] is False
    assert data["payload"]["internal"]["channel"] == CHANNEL
    assert [line["value"] for line in data["payload"]["systray_info"]] == ["Call from Bob", "1002"]
    # Sheets are queued for every session in one go: an answer carol gets after dave's sheet
    # came would come after a sheet of hers.
    carol.request({"class": "keepalive"})
    assert not [m for m in carol.received if m["class"] == "sheet"]


def test_the_user_a_call_is_linked_to_owns_its_sheet(
    cti: Any, make_user: Any, sheet_reader: Any
) -> None:
    start(cti, make_user, profiles=["1"])  # only alice's profile sees the sheet pop
    alice, bob = cti.client("alice"), cti.client("bob")
    ring(cti)
    assert alice.expect("sheet")["channel"] == CHANNEL
    linked = call_event("link", channel=CHANNEL, peer_interface="PJSIP/1002")
    cti.daemon.hooks.notify("ctid_call_event_emitted", event=linked)
    late = bob.expect("sheet")  # the new owner never had it: it comes first
    assert sheet_reader(late).of("internal")[2] == ("", "", "channel", CHANNEL)
    owner = bob.expect(lambda m: m.get("function") == "getownership")
    assert owner["channel"] == CHANNEL
    assert bob.received.index(late) < bob.received.index(owner)
