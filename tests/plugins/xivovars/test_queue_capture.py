"""The real queue capture through the fake Asterisk: the queue and agent sheets go to the
ringing member's user, with the queue's variables."""

import pathlib

from ctid.testing import make_daemon, wait_until
from ctid.testing.fakeami import FakeAmi
from ctid.testing.sheets import SheetCatcher, user
from ctid_ami.plugin import AmiPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

AGENT_EVENTS = ("agentcalled", "agentlinked", "agentunlinked")


def test_agent_sheets_go_to_the_member_who_rings(fake: FakeAmi, data_dir: pathlib.Path) -> None:
    catcher = SheetCatcher()
    line = [["q", "text", "-", "{xivo-queuename} {xivo-calledidnum} {xivo-dstid}"]]
    config = {
        "ipbx": {"ami": {"host": "127.0.0.1", "port": fake.port, "secret": "ctidpass"}},
        "users": [user("alice", "1001"), user("bob", "1002")],
        "sheets": {
            "events": {where: ["agent"] for where in (*AGENT_EVENTS, "link")},
            "definitions": {"agent": {"conditions": {"whom": "dest"}, "sheet_info": line}},
        },
    }
    plugins = {"ami": AmiPlugin(), "xivovars": XivoVarsPlugin(), "catch": catcher}
    with make_daemon(config, plugins) as daemon:
        wait_until(lambda: daemon.ipbx.connected)
        fake.wait_for_action("ExtensionStateList")
        fake.replay(data_dir / "ami" / "queue.txt")
        catcher.wait_for(4)
        everyone = list(daemon.users.all().values())
    assert [sheet.where for sheet in catcher.sheets] == [*AGENT_EVENTS[:2], "link", AGENT_EVENTS[2]]
    for sheet in catcher.sheets:
        assert [u.id for u in everyone if sheet.recipients.includes(u)] == ["bob"]
    # the bridge event names no queue; the agent events do
    assert [sheet.items[0].value for sheet in catcher.sheets] == [
        "support 1002 bob",
        "support 1002 bob",
        " 1002 bob",
        "support 1002 bob",
    ]
