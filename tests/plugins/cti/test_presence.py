"""Presence rules of a profile: allowed transitions, services switched, the login state."""

from typing import Any

from ctid.config.people import PROFILE
from ctid_cti.presence import initial_state, refusal, service_changes, userstatus


def profile(**options: Any) -> dict[str, Any]:
    return PROFILE(options)


def test_a_state_must_exist_and_be_allowed_from_the_current_one() -> None:
    strict = profile(
        presence={
            "available": {"allowed": ["away"]},
            "away": {"allowed": ["available"]},
            "lunch": {},
        }
    )
    assert refusal(strict, "available", "away") is None
    assert refusal(strict, "available", "lunch") == "not_allowed"
    assert refusal(strict, "available", "available") is None
    assert refusal(strict, "available", "disconnected") == "unknown_state"
    assert refusal(strict, "available", 42) == "unknown_state"
    assert refusal(strict, "lunch", "away") is None  # allowed unset: every state


def test_login_takes_the_asked_state_or_the_default() -> None:
    default = profile()
    assert initial_state(default, "away") == "away"
    assert initial_state(default, "nonsense") == "available"
    assert initial_state(default, None) == "available"


def test_leaving_a_state_switches_its_services_back_off() -> None:
    default = profile()
    assert service_changes(default, "available", "donotdisturb") == {"enablednd": True}
    assert service_changes(default, "donotdisturb", "away") == {"enablednd": False}
    assert service_changes(default, "away", "available") == {}
    explicit = profile(
        presence={
            "available": {"actions": {"enablednd": "false"}},
            "dnd": {"actions": {"enablednd": "true", "unknownservice": "true"}},
        },
    )
    assert service_changes(explicit, "dnd", "available") == {"enablednd": False}
    assert service_changes(explicit, "available", "dnd") == {"enablednd": True}


def test_userstatus_lists_every_state_with_its_transitions() -> None:
    states = userstatus(profile(presence={"a": {"longname": "A", "allowed": ["b"]}, "b": {}}))
    assert states == {
        "a": {"longname": "A", "color": "#0DFF25", "allowed": ["b"], "actions": {}},
        "b": {"longname": "b", "color": "#0DFF25", "allowed": ["a", "b"], "actions": {}},
    }
