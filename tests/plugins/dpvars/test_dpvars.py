"""dp- variables: the call's dialplan2cti values, on every sheet of the call after they came."""

import pathlib
from collections.abc import Mapping
from types import MappingProxyType

from ctid.testing import make_daemon
from ctid.testing.sheets import SheetCatcher, call_event
from ctid_ami.protocol import AmiParser
from ctid_dpvars.dialplan import dp_variables
from ctid_dpvars.plugin import DpVarsPlugin


def test_dialplan_values_are_dp_variables() -> None:
    event = call_event(dialplan=MappingProxyType({"did": "2000", "crm": "a b", "": "x"}))
    assert dp_variables(event) == {"dp-did": "2000", "dp-crm": "a b"}
    assert dp_variables(call_event()) == {}


def fixture_events(data_dir: pathlib.Path) -> list[Mapping[str, str]]:
    messages = AmiParser().feed((data_dir / "ami" / "did_agi_ami.txt").read_bytes())
    return [message for message in messages if "Event" in message]


def test_the_captures_dialplan2cti_reaches_the_later_sheets(data_dir: pathlib.Path) -> None:
    catcher = SheetCatcher()
    config = {
        "incoming_contexts": ["default"],
        "sheets": {
            "dialplan_wait": 0,  # no wait: shows what each event itself carries
            "events": {"incomingdid": ["pop"], "link": ["pop"]},
            "definitions": {
                "pop": {
                    "conditions": {"whom": "all"},
                    "sheet_info": [["", "text", "-", "{dp-did}"]],
                }
            },
        },
    }
    with make_daemon(config, {"dpvars": DpVarsPlugin(), "catch": catcher}) as daemon:
        events = fixture_events(data_dir)
        for event in events[: next(i for i, e in enumerate(events) if e["Event"] == "Hangup")]:
            daemon.ipbx.ingest(event)  # no switch: the sheets render once the call is up
        did, link = catcher.wait_for(2)
    assert (did.where, link.where) == ("incomingdid", "link")
    assert link.items[0].value == "2000"  # carried by the link event itself
    # the incomingdid event had no values yet; without a wait, the sheet still reads the
    # call's values as they are when it renders
    assert did.items[0].value == "2000"
