"""The xivo- variables outside the captures: calling user, picture (bounded, cached), formats."""

import base64
import os
import pathlib

from ctid.api import User, UserDirectory
from ctid.config.people import USER
from ctid.testing.sheets import call_event, user
from ctid.users import user_from_options
from ctid_xivovars.pictures import Pictures
from ctid_xivovars.xivo import xivo_variables


def directory(picture: str | None) -> UserDirectory:
    users = UserDirectory()
    entries = [user("alice", "1001", picture=picture, firstname="Alice"), user("bob", "1002")]
    users.replace([user_from_options(USER(entry)) for entry in entries])
    return users


def test_an_internal_call_names_both_users_and_the_callers_picture(tmp_path: pathlib.Path) -> None:
    picture = tmp_path / "alice.png"
    picture.write_bytes(b"\x89PNG fake")
    users = directory(str(picture))
    event = call_event(
        "dial",
        channel="PJSIP/1001-00000001",
        caller_num="1001",
        direction="internal",
        peer_exten="1002",
        peer_context="default",
        called_num="1002",
    )
    values = xivo_variables(event, users, Pictures(1000).get, "%d/%m/%Y", "%Hh%M")
    assert values["xivo-userid"] == "alice" and values["xivo-dstid"] == "bob"
    assert values["xivo-calledidname"] == "bob"  # the destination user's name (login: no name)
    assert base64.b64decode(values["xivo-callerpicture"]) == b"\x89PNG fake"
    assert values["xivo-date"].count("/") == 2 and "h" in values["xivo-time"]


def test_pictures_are_bounded_and_read_once_per_version(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.jpg"
    path.write_bytes(b"12345")
    pictures = Pictures(max_bytes=5)
    assert pictures.get(str(path)) == base64.b64encode(b"12345").decode()
    reads: list[str] = []
    original = pictures._read

    def counting(name: str, size: int) -> str | None:
        reads.append(name)
        return original(name, size)

    pictures._read = counting  # type: ignore[method-assign]
    pictures.get(str(path))
    assert reads == []  # cached
    path.write_bytes(b"123456")
    os.utime(path, ns=(1, 1))
    assert pictures.get(str(path)) is None  # too large now
    assert reads == [str(path)]
    assert pictures.get(str(tmp_path / "missing.png")) is None


def test_no_user_no_picture_and_unknown_fields_are_empty() -> None:
    users = directory(None)
    values = xivo_variables(call_event("incomingdid", did="2000"), users, lambda path: None)
    assert "xivo-userid" not in values and "xivo-callerpicture" not in values
    assert values["xivo-queuename"] == "" and values["xivo-did"] == "2000"
    assert isinstance(users.by_login("alice"), User)
