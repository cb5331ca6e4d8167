"""Destination users from the call model's facts, and the recipients spec."""

import pytest

from ctid.config.people import USER
from ctid.sheets.conditions import calling_user, dest_users, recipients
from ctid.sheets.model import Recipients
from ctid.testing.sheets import call_event, user
from ctid.users import UserDirectory, user_from_options


def directory() -> UserDirectory:
    users = UserDirectory()
    entries = [
        user("alice", "1001", profile="agent"),
        user("bob", "1002", agent="42"),
        user("carol", "1003", context="other"),
        {
            "login": "dave",
            "lines": [{"context": "default", "number": "1004", "interface": "SIP/dave"}],
        },
        {
            "login": "local",
            "lines": [{"context": "default", "number": "1005", "interface": "Local/1005@default"}],
        },
    ]
    users.replace([user_from_options(USER(entry)) for entry in entries])
    return users


USERS = directory()


def ids(found: list) -> list[str]:
    return [found_user.id for found_user in found]


@pytest.mark.parametrize(
    ("where", "fields", "expected"),
    [
        ("dial", {"peer_exten": "1001", "peer_context": "default"}, ["alice"]),
        ("dial", {"peer_exten": "1001", "peer_context": "other"}, []),
        ("dial", {"peer_interface": "SIP/dave"}, ["dave"]),
        ("dial", {"peer_interface": "Local/1002@default"}, ["bob"]),  # Local → line 1002
        ("dial", {"peer_interface": "Local/1005@default"}, ["local"]),  # the line is Local
        ("link", {"peer_interface": "PJSIP/1003"}, ["carol"]),
        ("link", {"channel": "PJSIP/1002-00000004", "peer_interface": "PJSIP/trunk"}, ["bob"]),
        ("unlink", {"peer_exten": "1004", "peer_context": "default"}, ["dave"]),
        ("agentcalled", {"member_interface": "Local/1001@default"}, ["alice"]),
        (
            "agentlinked",
            {"agent": "42", "member_interface": "Local/1001@default"},
            ["bob", "alice"],
        ),
        ("agentunlinked", {"agent": "42"}, ["bob"]),
        ("hangup", {"channel": "Local/1001@default-00000002;1"}, ["alice"]),
        ("hangup", {"channel": "PJSIP/trunk-00000001"}, []),
        ("custom.crm", {"channel": "SIP/dave-00000009"}, ["dave"]),
        ("incomingdid", {"peer_exten": "1001", "peer_context": "default"}, []),
        ("outcall", {"channel": "PJSIP/1001-00000001"}, []),
    ],
)
def test_dest_users_follow_the_event(where: str, fields: dict, expected: list[str]) -> None:
    assert ids(dest_users(call_event(where, **fields), USERS)) == expected


def test_incomingqueue_goes_to_the_unpaused_members() -> None:
    members = {"support": ["Local/1001@default", "PJSIP/1003"]}
    event = call_event("incomingqueue", queue="support")
    assert ids(dest_users(event, USERS, lambda queue: members.get(queue, []))) == ["alice", "carol"]
    assert dest_users(event, USERS) == []


def test_calling_user_of_an_internal_call() -> None:
    event = call_event("dial", channel="PJSIP/1001-0000000a")
    assert calling_user(event, USERS).id == "alice"
    local = call_event("dial", channel="Local/9@x-1;2", caller_num="1002", direction="internal")
    assert calling_user(local, USERS).id == "bob"
    assert calling_user(call_event("dial", caller_num="1002"), USERS) is None  # incoming


def test_recipients_of_each_whom() -> None:
    alice, bob, carol = (USERS.by_login(login) for login in ("alice", "bob", "carol"))
    event = call_event("dial", contexts=frozenset({"default"}))
    dest = recipients("dest", [], ["agent"], event, [alice, bob])
    assert dest.users == {"alice"}  # bob's profile is not admitted
    assert dest.includes(alice) and not dest.includes(bob) and not dest.includes(carol)
    everyone = recipients("all", ["other"], [], event, [])
    assert [everyone.includes(u) for u in (alice, bob, carol)] == [False, False, True]
    same = recipients("all-context", [], [], event, [])
    assert [same.includes(u) for u in (alice, bob, carol)] == [True, True, False]
    subscribed = recipients("subscribe", [], [], event, [])
    assert not subscribed.includes(alice) and subscribed.includes(alice, subscribed=True)
    assert Recipients("dest").users == frozenset()
