"""A plugin that raises in every hook it can implement (every notification, query, registration
and gather hook, reload and stop), and one that answers garbage where the core merges answers:
the daemon starts, serves CTI clients, pops sheets with their directory values, answers FastAGI
and reloads, and status shows that one plugin degraded and every other one healthy. (A plugin
raising in `ctid_start` stops startup on purpose: tests/integration/test_daemon.py.)"""

from collections.abc import Callable
from typing import Any

import pytest

from ctid import hookspecs
from ctid.api import hookimpl
from ctid.testing.directories import MemoryDirectories

from .conftest import ROUND_TRIP, SHEETS, Site, round_trip, sheet_for, sheet_lines

pytestmark = pytest.mark.timeout(30)

SKIPPED = {"ctid_start"}
DIRECTORY: dict[str, Any] = {
    "directories": {
        "book": {
            "type": "memory",
            "match_direct": ["fullname"],
            "match_reverse": ["phone"],
            "fields": {"fullname": "fullname", "phone": "phone"},
        }
    },
    "contexts": {"default": {"directories": ["book"], "reverse": {"*": ["book"]}}},
    "reverse": {"default_region": "FR"},
}
ZOE = {"fullname": ["Zoé Lefèvre"], "phone": ["0612345678"]}


def _raising(hook: str) -> Callable[..., Any]:
    def implementation(self: "Raising") -> Any:
        self.called.add(hook)
        raise RuntimeError(f"{hook} broken on purpose")

    implementation.__name__ = hook
    return hookimpl(implementation)


class Raising:
    """Implements every hook but ctid_start, each raising; records which ones were called."""

    def __init__(self) -> None:
        self.called: set[str] = set()


for _hook in hookspecs.hook_names():
    if _hook not in SKIPPED:
        setattr(Raising, _hook, _raising(_hook))


class Garbage:
    """Answers every registration and gather hook with something that is not a mapping."""


for _number, _hook in enumerate(hookspecs.hook_names()):
    if hookspecs.kind_of(getattr(hookspecs, _hook)) in (hookspecs.REGISTRATION, hookspecs.GATHER):
        _answer: Any = [("name", print), 42, "text"][_number % 3]
        setattr(Garbage, _hook, hookimpl(lambda self, _a=_answer: _a, specname=_hook))


def serves_everything(site: Site) -> None:
    """Sheets with directory values, FastAGI names, searches, chats, round trips."""
    alice, bob = site.client("alice"), site.client("bob")
    caller, ringing = site.call("1001")
    lines = sheet_lines(alice.expect(sheet_for(caller.channel)))
    assert lines == {"Number": "0612345678", "Name": "Zoé Lefèvre"}
    site.hang_up(ringing, caller)
    assert site.agi().run() == ['SET VARIABLE CALLERID(name) "Zoé Lefèvre"']
    found = bob.request({"class": "directory", "pattern": "zoé"})
    assert (found["status"], found["resultlist"]) == ("ok", ["Zoé Lefèvre;0612345678;book"])
    assert bob.request({"class": "chitchat", "to": "xivo/alice", "text": "hi"})["status"] == "ok"
    assert alice.expect("chitchat")["text"] == "hi"
    assert round_trip(alice) < ROUND_TRIP
    # A reload applies, and the users it refreshes reach the CTI plugin.
    site.config["users"][1]["firstname"] = "Robert"
    assert site.running.reload() is True
    pushed = bob.expect(lambda m: m.get("tid") == "bob" and "config" in m)
    assert pushed["config"]["firstname"] == "Robert"


def only_bad_is_degraded(site: Site, reason: str) -> dict[str, Any]:
    status = site.running.status()["plugins"]
    assert status["bad"]["state"] == "degraded"
    assert reason in status["bad"]["last_failure"]
    healthy = {name: entry["state"] for name, entry in status.items() if name != "bad"}
    assert set(healthy.values()) == {"loaded"}, healthy
    assert all(status[name]["failures"] == 0 for name in healthy)
    return dict(status["bad"])


def start(site: Site, bad: object) -> None:
    site.start(
        plugins={"book": MemoryDirectories({"book": [ZOE]}), "bad": bad},
        sheets=SHEETS,
        **DIRECTORY,
    )


def test_a_plugin_raising_in_every_hook_is_isolated_and_shown_degraded(site: Site) -> None:
    bad = Raising()
    start(site, bad)
    serves_everything(site)
    status = only_bad_is_degraded(site, "broken on purpose")
    assert status["failures"] >= len(bad.called)
    # Every hook the daemon called while serving reached the raiser (stop comes at teardown).
    assert bad.called == set(hookspecs.hook_names()) - SKIPPED - {"ctid_stop"}


def test_a_plugin_answering_garbage_to_merged_hooks_is_isolated_and_shown_degraded(
    site: Site,
) -> None:
    # Regression: a registration or status answer that was not a mapping crashed the daemon
    # at start (and status() later), instead of being charged to its plugin.
    start(site, Garbage())
    serves_everything(site)
    only_bad_is_degraded(site, "not a mapping")
