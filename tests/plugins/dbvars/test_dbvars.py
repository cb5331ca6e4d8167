"""db-/dbr- variables: the directory's answer filtered, asked only when it makes sense, and a slow
directory never holding a sheet past the lookup deadline."""

from typing import Any

import gevent

from ctid.api import hookimpl
from ctid.testing import make_daemon
from ctid.testing.sheets import SheetCatcher, call_event
from ctid_dbvars.lookup import db_variables
from ctid_dbvars.plugin import DbVarsPlugin


def test_only_directory_names_become_variables() -> None:
    asked: list[tuple[str, str, str]] = []

    def lookup(number: str, context: str, did: str) -> dict[str, Any]:
        asked.append((number, context, did))
        return {
            "db-a": "1",
            "dbr-display": 2,
            "xivo-directory": "corp",
            "xivo-where": "x",
            "db-list": ["no"],
            "db-flag": True,
            "other": "y",
        }

    event = call_event("incomingdid", did="2000")
    assert db_variables(event, lookup, ["incoming"]) == {
        "db-a": "1",
        "dbr-display": "2",
        "xivo-directory": "corp",
    }
    assert asked == [("0612345678", "default", "2000")]
    assert db_variables(event, lookup, ["internal"]) == {}
    assert db_variables(call_event(caller_num=" "), lookup, ["incoming"]) == {}
    assert db_variables(event, lambda *args: None, ["incoming"]) == {}
    assert len(asked) == 1


class SlowDirectory:
    @hookimpl
    def ctid_reverse_lookup(self, number: str) -> dict[str, str]:
        gevent.sleep(10)
        return {"db-fullname": "too late"}


def test_a_slow_directory_costs_the_sheet_only_its_db_lines() -> None:
    catcher = SheetCatcher()
    config = {
        "sheets": {
            "events": {"dial": ["pop"]},
            "definitions": {
                "pop": {
                    "conditions": {"whom": "all"},
                    "sheet_info": [["", "text", "?", "{db-fullname}"]],
                }
            },
        },
        "plugins": {"dbvars": {"deadline": "100ms"}},
    }
    plugins = {"dbvars": DbVarsPlugin(), "slow": SlowDirectory(), "catch": catcher}
    with make_daemon(config, plugins) as daemon:
        started = gevent.get_hub().loop.now()
        daemon.hooks.notify("ctid_call_event_emitted", event=call_event("dial"))
        [sheet] = catcher.wait_for(1)
        elapsed = gevent.get_hub().loop.now() - started
    assert sheet.items[0].value == "?"
    assert elapsed < 0.9  # the lookup deadline, well under sheets.variables_deadline
