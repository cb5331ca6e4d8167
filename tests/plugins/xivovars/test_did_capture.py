"""The real DID capture replayed through the fake Asterisk: every seed `xivo-` variable, the
`db-`/`dbr-` ones from a directory and the `dp-` ones from the dialplan reach the sheets, and
the dial sheet goes to the user whose line rings, and to nobody else."""

import pathlib
import time
from typing import Any

from ctid.api import hookimpl
from ctid.testing import make_daemon, wait_until
from ctid.testing.fakeami import FakeAmi
from ctid.testing.sheets import SheetCatcher, user
from ctid_ami.plugin import AmiPlugin
from ctid_dbvars.plugin import DbVarsPlugin
from ctid_dpvars.plugin import DpVarsPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

SEED = [
    "xivo-where",
    "xivo-origin",
    "xivo-direction",
    "xivo-did",
    "xivo-calleridnum",
    "xivo-calleridname",
    "xivo-calleridrdnis",
    "xivo-calleridton",
    "xivo-calledidnum",
    "xivo-calledidname",
    "xivo-context",
    "xivo-ipbxid",
    "xivo-directory",
    "xivo-queuename",
    "xivo-agentnumber",
    "xivo-date",
    "xivo-time",
    "xivo-channel",
    "xivo-uniqueid",
]
MORE = ["xivo-userid", "xivo-dstid", "db-fullname", "db-company", "dbr-display"]
DIALPLAN = ["dp-did", "dp-calleridnum", "dp-calleridname"]
MISSING = "<missing>"


class Directory:
    @hookimpl
    def ctid_reverse_lookup(self, number: str, context: str, did: str) -> dict[str, str] | None:
        if (number, context, did) != ("0612345678", "default", "2000"):
            return None
        return {
            "db-fullname": "Zoé Martin",
            "db-company": "ACME <b>",
            "dbr-display": "Zoé Martin (ACME)",
            "xivo-directory": "corp",
            "xivo-where": "forged by the directory",
            "secret": "never a variable",
        }


def settings(fake: FakeAmi) -> dict[str, Any]:
    lines = [[name, "text", MISSING, "{" + name + "}"] for name in SEED + MORE + DIALPLAN]
    return {
        "ipbx": {"ami": {"host": "127.0.0.1", "port": fake.port, "secret": "ctidpass"}},
        "incoming_contexts": ["default"],
        "users": [user("alice", "1001", firstname="Alice", lastname="Doe"), user("bob", "1002")],
        "sheets": {
            "events": {w: ["all"] for w in ("incomingdid", "dial", "link", "unlink", "hangup")},
            "definitions": {"all": {"conditions": {"whom": "dest"}, "sheet_info": lines}},
        },
        "plugins": {"ami": {"backoff_min": "50ms", "backoff_max": "200ms"}},
    }


def values(sheet: Any) -> dict[str, str]:
    return {line.title: line.value for line in sheet.items}


def test_the_did_call_gives_every_variable(fake: FakeAmi, data_dir: pathlib.Path) -> None:
    catcher = SheetCatcher()
    plugins = {
        "ami": AmiPlugin(),
        "xivovars": XivoVarsPlugin(),
        "dbvars": DbVarsPlugin(),
        "dpvars": DpVarsPlugin(),
        "directory": Directory(),
        "catch": catcher,
    }
    with make_daemon(settings(fake), plugins) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        fake.wait_for_action("ExtensionStateList")
        fake.replay(data_dir / "ami" / "did_agi_ami.txt")
        catcher.wait_for(7)
        wait_until(lambda: not daemon.ipbx.model.calls())
    wheres = [sheet.where for sheet in catcher.sheets]
    assert wheres == ["dial", "incomingdid", "dial", "link", "unlink", "hangup", "hangup"]
    did = values(catcher.sheets[1])
    moment = time.localtime(catcher.sheets[1].time)
    assert {name: did[name] for name in SEED} == {
        "xivo-where": "incomingdid",
        "xivo-origin": "did",
        "xivo-direction": "incoming",
        "xivo-did": "2000",
        "xivo-calleridnum": "0612345678",
        "xivo-calleridname": "Outside Caller",
        "xivo-calleridrdnis": "",  # the capture's dialplan sends no redirecting number
        "xivo-calleridton": "",
        "xivo-calledidnum": "2000",
        "xivo-calledidname": "",
        "xivo-context": "default",
        "xivo-ipbxid": "xivo",
        "xivo-directory": "corp",
        "xivo-queuename": "",
        "xivo-agentnumber": "",
        "xivo-date": time.strftime("%Y-%m-%d", moment),
        "xivo-time": time.strftime("%H:%M:%S", moment),
        "xivo-channel": "Local/2000@default-00000001;2",
        "xivo-uniqueid": "1795727755.3",
    }
    # the UserEvent(dialplan2cti) comes after the call entered the DID context: the incomingdid
    # sheet waited for it
    assert {name: did[name] for name in DIALPLAN} == {
        "dp-did": "2000",
        "dp-calleridnum": "0612345678",
        "dp-calleridname": "Outside Caller",
    }
    assert (did["db-fullname"], did["db-company"], did["dbr-display"]) == (
        "Zoé Martin",
        "ACME <b>",
        "Zoé Martin (ACME)",
    )
    assert (did["xivo-userid"], did["xivo-dstid"]) == (MISSING, MISSING)
    assert catcher.sheets[1].recipients.users == frozenset()  # the DID's user is not known yet


def test_the_dial_sheet_goes_to_the_ringing_user_only(
    fake: FakeAmi, data_dir: pathlib.Path
) -> None:
    catcher = SheetCatcher()
    plugins = {"ami": AmiPlugin(), "xivovars": XivoVarsPlugin(), "catch": catcher}
    with make_daemon(settings(fake), plugins) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        fake.wait_for_action("ExtensionStateList")
        fake.replay(data_dir / "ami" / "did_agi_ami.txt")
        catcher.wait_for(7)
        users = list(daemon.users.all().values())
    originate, _did, dial, link, unlink, *hangups = catcher.sheets
    assert originate.recipients.users == frozenset()  # it dialled 2000, nobody's line
    for sheet in (dial, link, unlink):
        assert sheet.recipients.users == {"alice"}
        assert [u.id for u in users if sheet.recipients.includes(u)] == ["alice"]
    ringing = values(dial)
    assert (ringing["xivo-dstid"], ringing["xivo-calledidnum"], ringing["xivo-calledidname"]) == (
        "alice",
        "1001",
        "Alice Doe",
    )
    assert ringing["dp-did"] == MISSING  # no dpvars plugin in this daemon
    assert ringing["db-fullname"] == MISSING  # no directory: the default shows
    assert [sheet.recipients.users for sheet in hangups] == [{"alice"}, frozenset()]
