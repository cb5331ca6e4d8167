"""Every hook of ctid/hookspecs.py exercised through the daemon that calls it.

A meta-test (tests/meta) checks that each hook has a `test_hook_<name>_…` here or elsewhere.
"""

import pathlib
from collections.abc import Mapping
from typing import Any

import gevent

from ctid.api import CallEvent, Ctid, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid.testing.fagiclient import FakeAgiClient
from ctid.testing.sheets import SheetCatcher, call_event, user
from ctid_ami.protocol import AmiParser
from ctid_fagi.plugin import FagiPlugin


def fixture_events(data_dir: pathlib.Path, name: str) -> list[Mapping[str, str]]:
    messages = AmiParser().feed((data_dir / "ami" / name).read_bytes())
    return [message for message in messages if "Event" in message]


class Lifecycle:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.config: dict[str, Any] = {}

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.calls.append("start")
        self.config = dict(ctid.config)

    @hookimpl
    def ctid_reload(self, changed: frozenset[str]) -> None:
        self.calls.append(f"reload {sorted(changed)}")

    @hookimpl
    def ctid_stop(self, ctid: Ctid) -> None:
        self.calls.append(f"stop {ctid.name}")


def test_hook_ctid_start_gets_the_plugins_own_handle() -> None:
    plugin = Lifecycle()
    with make_daemon({}, {"life": plugin}):
        assert plugin.calls == ["start"]
        assert plugin.config == {}


def test_hook_ctid_stop_is_called_with_the_handle_at_stop() -> None:
    plugin = Lifecycle()
    with make_daemon({}, {"life": plugin}):
        pass
    assert plugin.calls == ["start", "stop life"]


def test_hook_ctid_reload_names_the_changed_sections() -> None:
    plugin = Lifecycle()
    config: dict[str, Any] = {}
    with make_daemon(config, {"life": plugin}) as daemon:
        config["parting"] = {"context_separation": False}
        daemon.reload()
        daemon.reload()  # nothing changed the second time
    assert plugin.calls == ["start", "reload ['parting']", "reload []", "stop life"]


class AmiWatcher:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.calls: list[CallEvent] = []

    @hookimpl
    def ctid_ami_event_received(self, ipbx_id: str, event: Mapping[str, str]) -> None:
        self.events.append(f"{ipbx_id}:{event['Event']}")

    @hookimpl
    def ctid_ami_link_changed(self, state: str, detail: str) -> None:
        self.links.append((state, detail))

    @hookimpl
    def ctid_call_event_emitted(self, event: CallEvent) -> None:
        self.calls.append(event)


def test_hook_ctid_ami_event_received_sees_every_event_in_order(data_dir: pathlib.Path) -> None:
    watcher = AmiWatcher()
    events = fixture_events(data_dir, "originate.txt")
    with make_daemon({"ipbx": {"id": "pbx1"}}, {"watch": watcher}) as daemon:
        for event in events:
            daemon.ipbx.ingest(event)
    assert watcher.events == [f"pbx1:{event['Event']}" for event in events]


class Transport:
    def send_action(self, action: str, fields: Any, timeout: float) -> Any:
        raise AssertionError("not used")


def test_hook_ctid_ami_link_changed_reports_up_and_down() -> None:
    watcher = AmiWatcher()
    with make_daemon({}, {"watch": watcher}) as daemon:
        daemon.ipbx.attach(Transport(), "11.0.0")
        daemon.ipbx.detach("auth_failed", "Authentication failed")
        daemon.ipbx.detach("down", "connection refused")
    assert watcher.links == [
        ("up", "Asterisk Call Manager 11.0.0"),
        ("auth_failed", "Authentication failed"),
        ("down", "connection refused"),
    ]


def test_hook_ctid_call_event_emitted_carries_normalized_calls(data_dir: pathlib.Path) -> None:
    watcher = AmiWatcher()
    with make_daemon({}, {"watch": watcher}) as daemon:
        for event in fixture_events(data_dir, "originate.txt"):
            daemon.ipbx.ingest(event)
    wheres = [event.where for event in watcher.calls]
    assert wheres[0] == "dial" and wheres[-1] == "hangup"
    assert all(event.ipbx_id == "xivo" for event in watcher.calls)
    assert [event.sequence for event in watcher.calls] == sorted(
        event.sequence for event in watcher.calls
    )


class Normalizer:
    @hookimpl
    def ctid_normalize_number(self, number: str, context: str) -> list[str]:
        return [f"+33{number[1:]}", number] if context == "fr" else []


class Asker:
    ctid: Ctid

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid


def test_hook_ctid_normalize_number_answers_through_query() -> None:
    asker = Asker()
    with make_daemon({}, {"norm": Normalizer(), "ask": asker}):
        assert asker.ctid.query("ctid_normalize_number", number="0612345678", context="fr") == [
            "+33612345678",
            "0612345678",
        ]
        assert asker.ctid.query("ctid_normalize_number", number="1", context="x") == []


class Directory:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.asked: list[tuple[str, str]] = []

    @hookimpl
    def ctid_reverse_lookup(self, number: str, context: str) -> dict[str, str] | None:
        self.asked.append((number, context))
        gevent.sleep(self.delay)
        if number == "0612345678":
            return {"dbr-display": 'Zoé "VIP" Martin', "xivo-directory": "test"}
        return None


def test_hook_ctid_reverse_lookup_names_the_caller_for_phones() -> None:
    directory = Directory()
    with make_daemon({}, {"fagi": FagiPlugin(), "dir": directory}) as daemon:
        address = daemon.objects["fagi"].server.address
        client = FakeAgiClient(address, script="callerid_forphones", calleridname="unknown")
        client.run()
    assert directory.asked == [("0612345678", "default")]
    assert ("CALLERID(name)", 'Zoé "VIP" Martin') in client.variables_set


def test_hook_ctid_reverse_lookup_past_its_deadline_leaves_the_name_alone() -> None:
    directory = Directory(delay=5.0)
    config = {"plugins": {"fagi": {"lookup_deadline": "100ms"}}}
    with make_daemon(config, {"fagi": FagiPlugin(), "dir": directory}) as daemon:
        address = daemon.objects["fagi"].server.address
        client = FakeAgiClient(address, script="callerid_forphones", calleridname="")
        started = gevent.get_hub().loop.now()
        client.run()
        assert gevent.get_hub().loop.now() - started < 1.0
    assert not any(name == "CALLERID(name)" for name, _value in client.variables_set)


class Provider:
    """Registers one thing of every kind."""

    def __init__(self) -> None:
        self.script_requests: list[str] = []

    @hookimpl
    def ctid_register_directory_backends(self) -> dict[str, Any]:
        return {"crm": dict}

    @hookimpl
    def ctid_register_urlauto_handlers(self) -> dict[str, Any]:
        return {"sip": print}

    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        def route(session: Any, request: Any) -> None:
            self.script_requests.append(request.uniqueid)
            session.set_variable("CTI_ROUTE", "1001")

        return {"incoming_call": route}

    @hookimpl
    def ctid_register_cti_commands(self) -> dict[str, Any]:
        return {"crmlookup": len}

    @hookimpl
    def ctid_register_info_commands(self) -> dict[str, Any]:
        return {"crm_status": len}

    @hookimpl
    def ctid_register_user_sources(self) -> dict[str, Any]:
        return {"crm_users": list}

    @hookimpl
    def ctid_register_sheet_variables(self) -> dict[str, Any]:
        return {"crm": lambda event: {"crm-id": event.caller_num}}


def test_hook_ctid_register_directory_backends_reaches_the_registry() -> None:
    with make_daemon({}, {"p": Provider()}) as daemon:
        assert daemon.registry("directory_backends") == {"crm": dict}


def test_hook_ctid_register_urlauto_handlers_reaches_the_registry() -> None:
    with make_daemon({}, {"p": Provider()}) as daemon:
        assert daemon.registry("urlauto_handlers") == {"sip": print}


def test_hook_ctid_register_fagi_scripts_serves_a_third_party_script() -> None:
    provider = Provider()
    with make_daemon({}, {"fagi": FagiPlugin(), "p": provider}) as daemon:
        assert set(daemon.registry("fagi_scripts")) == {
            "callerid_forphones",
            "callerid_extend",
            "incoming_call",
        }
        client = FakeAgiClient(daemon.objects["fagi"].server.address, script="incoming_call")
        client.run()
    assert provider.script_requests == ["1795727755.3"]
    assert client.variables_set == [("CTI_ROUTE", "1001")]


def test_hook_ctid_register_cti_commands_reaches_the_registry() -> None:
    with make_daemon({}, {"p": Provider()}) as daemon:
        # `sheet` is the core sheet engine's own (ctid.sheets.commands)
        assert daemon.registry("cti_commands").keys() == {"crmlookup", "sheet"}
        assert daemon.registry("cti_commands")["crmlookup"] is len


def test_hook_ctid_register_info_commands_reaches_the_registry() -> None:
    with make_daemon({}, {"p": Provider()}) as daemon:
        # `reverse` is the core directory service's own (ctid.directory.provider)
        assert daemon.registry("info_commands").keys() == {"crm_status", "sheet", "reverse"}
        assert daemon.registry("info_commands")["crm_status"] is len


def test_hook_ctid_register_user_sources_reaches_the_registry() -> None:
    with make_daemon({}, {"p": Provider()}) as daemon:
        assert daemon.registry("user_sources") == {"crm_users": list}


def test_hook_ctid_register_sheet_variables_provides_a_family() -> None:
    with make_daemon({}, {"p": Provider()}) as daemon:
        provider = daemon.registry("sheet_variables")["crm"]
    event = CallEvent(
        where="dial",
        ipbx_id="x",
        sequence=1,
        time=0.0,
        channel="c",
        uniqueid="u",
        linkedid="u",
        caller_num="0612345678",
    )
    assert provider(event) == {"crm-id": "0612345678"}


def test_hook_ctid_sheet_rendered_gets_each_configured_sheet_off_the_ami_reader() -> None:
    catcher = SheetCatcher()
    sheets = {
        "events": {"dial": ["ringing"]},
        "definitions": {
            "ringing": {
                "conditions": {"whom": "dest"},
                "sheet_info": [["Caller", "text", "?", "{crm-id} {xivo-calleridname}"]],
            }
        },
    }
    config = {"users": [user("alice", "1001")], "sheets": sheets}
    with make_daemon(config, {"p": Provider(), "catch": catcher}) as daemon:
        event = call_event("dial", peer_exten="1001", peer_context="default")
        daemon.hooks.notify("ctid_call_event_emitted", event=event)
        assert catcher.sheets == []  # the AMI reader only queued it
        [sheet] = catcher.wait_for(1)
    assert (sheet.name, sheet.where, sheet.channel) == ("ringing", "dial", event.channel)
    assert sheet.recipients.users == {"alice"}
    # crm-id comes from the third-party family; xivo-calleridname is unknown without xivovars
    assert [line.value for line in sheet.items] == ["0612345678 {xivo-calleridname}"]


class Health:
    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        return {"state": "up", "sessions": 3}  # "state" is the core's: it must not win


def test_hook_ctid_report_status_feeds_the_status_summary() -> None:
    with make_daemon({}, {"health": Health()}) as daemon:
        wait_until(lambda: daemon.status()["plugins"]["health"]["sessions"] == 3)
        assert daemon.status()["plugins"]["health"]["state"] == "loaded"
