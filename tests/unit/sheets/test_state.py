"""Per-channel sheet state: viewers, ownership on link, notes, release, bounds."""

import pytest

from ctid.config.people import USER
from ctid.sheets.model import Recipients, Sheet
from ctid.sheets.state import SheetError, SheetState
from ctid.testing.sheets import call_event, user
from ctid.users import UserDirectory, user_from_options

CALLER = "PJSIP/trunk-00000001"


def users() -> UserDirectory:
    directory = UserDirectory()
    entries = [user("alice", "1001"), user("bob", "1002", agent="42"), user("carol", "1003")]
    directory.replace([user_from_options(USER(entry)) for entry in entries])
    return directory


def sheet(channel: str = CALLER, name: str = "popup") -> Sheet:
    return Sheet(
        name=name,
        where="dial",
        ipbx_id="xivo",
        channel=channel,
        uniqueid="1.1",
        linkedid="1.1",
        sequence=1,
        time=0.0,
        contexts=frozenset({"default"}),
        focus=False,
        compressed=True,
        items=(),
        systray=(),
        actions=(),
        forms=(),
        recipients=Recipients("dest"),
    )


def link(peer: str, **fields: object) -> object:
    return call_event("link", channel=CALLER, peer_interface=peer, **fields)


def test_the_linked_user_owns_the_sheet_and_the_previous_owner_loses_it() -> None:
    state = SheetState(users())
    state.rendered(sheet())
    state.delivered(sheet(), ["alice", "bob"])
    [get] = state.linked(link("PJSIP/1001"))
    assert (get.user_id, dict(get.message), get.sheet) == (
        "alice",
        {"class": "sheet", "function": "getownership", "channel": CALLER},
        None,
    )
    assert get.contexts == {"default"}
    assert state.linked(link("PJSIP/1001")) == []  # already the owner
    lose, get = state.linked(link("PJSIP/1002"))  # a transfer to bob
    assert (lose.user_id, lose.message["function"]) == ("alice", "loseownership")
    assert (get.user_id, get.message["function"]) == ("bob", "getownership")
    assert state.describe(CALLER)["owner"] == "bob"


def test_an_owner_who_never_saw_the_sheet_gets_it() -> None:
    state = SheetState(users())
    state.rendered(sheet())
    [get] = state.linked(link("PJSIP/1003"))
    assert get.user_id == "carol" and get.sheet == sheet()
    assert "carol" in state.describe(CALLER)["viewers"]


def test_owner_from_the_other_side_and_from_agents() -> None:
    state = SheetState(users())
    state.rendered(sheet())
    entrant = call_event("link", channel="PJSIP/1001-00000002", peer_channel=CALLER)
    assert [n.user_id for n in state.linked(entrant)] == ["alice"]
    state.rendered(sheet("Local/3000@default-00000003;2"))
    agent = call_event(
        "agentlinked", channel="Local/3000@default-00000003;2", agent="42", member_interface="x"
    )
    assert [n.message["function"] for n in state.linked(agent)] == ["getownership"]
    assert state.describe("Local/3000@default-00000003;2")["owner"] == "bob"
    assert state.linked(call_event("unlink", channel=CALLER, peer_interface="PJSIP/1003")) == []
    assert state.linked(link("PJSIP/9999")) == []  # nobody's line


def test_notes_go_to_every_viewer_and_only_viewers_may_add_them() -> None:
    state = SheetState(users(), notes=2, note_length=11)
    state.rendered(sheet())
    state.delivered(sheet(), ["alice", "bob"])
    notices = state.add_entry(CALLER, "alice", " called back ")
    assert [n.user_id for n in notices] == ["alice", "bob"]
    entry = notices[0].message["entry"]
    assert (entry["user"], entry["text"]) == ("alice", "called back")
    assert notices[0].message["function"] == "entryadded"
    for channel, who, text, code in [
        ("nope", "alice", "x", "unknown_sheet"),
        (CALLER, "carol", "x", "unallowed"),
        (CALLER, "alice", "  ", "missing:text"),
        (CALLER, "alice", "x" * 12, "toolong:text"),
    ]:
        with pytest.raises(SheetError) as caught:
            state.add_entry(channel, who, text)
        assert caught.value.code == code
    state.add_entry(CALLER, "bob", "2")
    state.add_entry(CALLER, "bob", "3")
    assert [note["text"] for note in state.describe(CALLER)["notes"]] == ["2", "3"]


def test_release_and_the_bound_on_channels() -> None:
    state = SheetState(users(), channels=2)
    for index in range(3):
        state.rendered(sheet(f"PJSIP/x-{index}"))
    assert len(state) == 2 and not state.knows("PJSIP/x-0")
    assert state.release("PJSIP/x-1") and not state.release("PJSIP/x-1")
    assert state.describe("PJSIP/x-1") is None
