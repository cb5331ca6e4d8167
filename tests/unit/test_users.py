"""Users: building from config, indexes, diffs, and sources that misbehave."""

from typing import Any

import pytest

from ctid.api import User, hookimpl
from ctid.config import ConfigError
from ctid.config.people import USER
from ctid.testing import make_daemon
from ctid.users import UserDirectory, parse_users, user_from_options

ALICE = {
    "login": "alice",
    "firstname": "Alice",
    "lastname": "Martin",
    "profile": "default",
    "lines": [{"context": "a", "number": "1001", "interface": "PJSIP/1001"}],
}


def user(**options: Any) -> User:
    return user_from_options(USER({**ALICE, **options}))


def test_defaults_and_public_view_hide_secrets() -> None:
    alice = user(password="scrypt$1$1$1$x$y", legacy_secret="old")
    assert alice.id == "alice" and alice.fullname == "Alice Martin"
    assert alice.contexts == {"a"}
    assert alice.lines[0].id == "1001@a"
    public = alice.public()
    assert "password" not in public and "legacy_secret" not in public
    assert "scrypt" not in repr(alice) and "old" not in repr(alice)


def test_indexes_find_users_by_line_agent_and_extension() -> None:
    directory = UserDirectory()
    directory.replace(
        [
            user(agent="2001"),
            user(
                login="bob",
                id="7",
                lines=[{"context": "b", "number": "1002", "interface": "SIP/bob"}],
            ),
        ]
    )
    assert directory.by_interface("pjsip/1001").login == "alice"  # type: ignore[union-attr]
    assert directory.by_extension("1002", "b").id == "7"  # type: ignore[union-attr]
    assert directory.by_extension("1002", "a") is None
    assert directory.by_agent("2001").login == "alice"  # type: ignore[union-attr]
    assert directory.by_login("bob").id == "7"  # type: ignore[union-attr]


def test_replace_reports_exactly_what_changed() -> None:
    directory = UserDirectory()
    first = directory.replace([user(), user(login="bob")])
    assert [u.login for u in first.added] == ["alice", "bob"]
    second = directory.replace([user(firstname="Alicia"), user(login="carol")])
    assert [u.login for u in second.added] == ["carol"]
    assert [u.login for u in second.removed] == ["bob"]
    assert [u.firstname for u in second.changed] == ["Alicia"]
    assert not directory.replace([user(firstname="Alicia"), user(login="carol")])


def test_duplicate_logins_from_sources_keep_the_first() -> None:
    directory = UserDirectory()
    directory.replace([user(), user(id="other")])
    assert len(directory) == 1 and directory.by_login("alice").id == "alice"  # type: ignore[union-attr]


def test_bad_entries_from_a_source_are_skipped_not_fatal() -> None:
    users = parse_users(
        [ALICE, {"login": ""}, "garbage", {**ALICE, "login": "x", "lines": 3}], "ws"
    )
    assert [u.login for u in users] == ["alice"]


def test_config_cross_checks_profiles_and_duplicates() -> None:
    config = {
        "users": [ALICE, {**ALICE, "profile": "nope"}],
        "profiles": {"default": {"presence_default": "gone"}},
    }
    with pytest.raises(ConfigError) as caught, make_daemon(config, {}):
        pass
    text = str(caught.value)
    assert "users -> 1 -> profile: a profile defined under profiles: (default), got 'nope'" in text
    assert "users -> 1 -> login: a login unique among users (users -> 0 has it)" in text
    assert "profiles -> default -> presence_default: one of available" in text


class Source:
    def __init__(self) -> None:
        self.answer: Any = [{"login": "ws1", "lines": []}]

    def fetch(self) -> Any:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    @hookimpl
    def ctid_register_user_sources(self) -> dict[str, Any]:
        return {"ws": self.fetch}


class Watcher:
    def __init__(self) -> None:
        self.seen: list[tuple[list[str], list[str], list[str]]] = []

    @hookimpl
    def ctid_users_changed(self, added: Any, removed: Any, changed: Any) -> None:
        self.seen.append(
            ([u.login for u in added], [u.login for u in removed], [u.login for u in changed])
        )


def test_hook_ctid_users_changed_follows_sources_and_reloads() -> None:
    source, watcher = Source(), Watcher()
    config: dict[str, Any] = {"users": [ALICE]}
    with make_daemon(config, {"ws": source, "watch": watcher}) as daemon:
        assert watcher.seen == [(["alice", "ws1"], [], [])]
        source.answer = RuntimeError("web service down")
        assert daemon.refresh_users() is False  # a failing source keeps its last users
        assert daemon.users.by_login("ws1") is not None
        source.answer = [{"login": "ws2"}]
        assert daemon.refresh_users() is True
        config["users"] = [{**ALICE, "lastname": "Durand"}]
        daemon.reload()
    assert watcher.seen[1:] == [(["ws2"], ["ws1"], []), ([], [], ["alice"])]
