"""What login_capas says about a profile: panels (with the sheet panel when sheets come),
presence states (with `disconnected`), services and preferences."""

from typing import Any

from ctid.config.people import PROFILE
from ctid_cti.capas import capaxlets, presence_states


def profile(**options: Any) -> dict[str, Any]:
    return PROFILE(options)


def test_the_sheet_panel_comes_with_sheets_once() -> None:
    assert capaxlets(profile(xlets=[["identity", "grid"]])) == [
        ["identity", "grid"],
        ["customerinfo", "dock", "cms"],
    ]
    own = [["customerinfo", "tab", "1"], ["identity", "grid"]]
    assert capaxlets(profile(xlets=own)) == own  # the operator's placement stands
    assert capaxlets(profile(xlets=[["identity", "grid"]], sheets=False)) == [["identity", "grid"]]


def test_disconnected_is_listed_unless_the_profile_defines_it() -> None:
    states = presence_states(profile(presence={"here": {}}))
    assert states["disconnected"] == {
        "longname": "Disconnected",
        "color": "#9E9E9E",
        "allowed": [],
        "actions": {},
    }
    assert states["here"]["allowed"] == ["here"]  # users cannot pick disconnected
    mine = presence_states(profile(presence={"here": {}, "disconnected": {"color": "#000000"}}))
    assert mine["disconnected"]["color"] == "#000000"
