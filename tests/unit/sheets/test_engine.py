"""The sheet engine in a daemon: which events pop which sheets for whom, off the AMI reader,
in order per channel, bounded, with providers under a deadline and state released at hangup."""

import pathlib
from collections.abc import Mapping
from typing import Any

import gevent
import gevent.event
import pytest

from ctid.api import CallEvent, hookimpl
from ctid.callevents import WHERE_VALUES
from ctid.ctisession import CtiCommandError, provide_cti_hub
from ctid.sheets.state import sheet_state
from ctid.testing import make_daemon, wait_until
from ctid.testing.sheets import SheetCatcher, call_event, user
from ctid_ami.protocol import AmiParser
from ctid_dpvars.plugin import DpVarsPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

USERS = [
    user("alice", "1001"),
    user("bob", "1002", agent="42"),
    user("carol", "1003", context="other"),
]
WHERES = [*WHERE_VALUES, "custom.crm"]


def sheets_config(whom: str = "dest", **extra: Any) -> dict[str, Any]:
    return {
        "events": {where: ["pop"] for where in WHERES},
        "definitions": {
            "pop": {
                "conditions": {"whom": whom},
                "sheet_info": [
                    ["Caller", "text", "?", "{xivo-calleridname}"],
                    ["Extra", "text", "none", "{crm-id}"],
                    ["Dialplan", "text", "none", "{dp-did}"],
                ],
            }
        },
        **extra,
    }


def config(**sheets: Any) -> dict[str, Any]:
    return {
        "users": USERS,
        "sheets": sheets_config(**sheets),
        "custom_user_events": ["crm"],
        "plugins": {"xivovars": {}, "dpvars": {}},
    }


def plugins(catcher: SheetCatcher, **more: Any) -> dict[str, Any]:
    return {"xivovars": XivoVarsPlugin(), "dpvars": DpVarsPlugin(), "catch": catcher, **more}


def emit(daemon: Any, event: CallEvent) -> None:
    daemon.hooks.notify("ctid_call_event_emitted", event=event)


def status(daemon: Any) -> dict[str, Any]:
    return dict(daemon.hooks.gather("ctid_report_status"))["sheets"]


# what each event says about its destination, and who that is
DEST_FACTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "dial": ({"peer_exten": "1001", "peer_context": "default"}, {"alice"}),
    "link": ({"peer_interface": "PJSIP/1002"}, {"bob"}),
    "unlink": ({"peer_interface": "PJSIP/1002"}, {"bob"}),
    "hangup": ({"channel": "PJSIP/1001-0000000b"}, {"alice"}),
    "incomingdid": ({"did": "2000"}, set()),
    "incomingqueue": ({"queue": "support"}, set()),  # no member in the model
    "agentcalled": ({"member_interface": "Local/1001@default"}, {"alice"}),
    "agentlinked": ({"agent": "42"}, {"bob"}),
    "agentunlinked": ({"agent": "42"}, {"bob"}),
    "outcall": ({}, set()),
    "custom.crm": ({"channel": "PJSIP/1003-00000001"}, {"carol"}),
}


@pytest.mark.parametrize("where", WHERES)
def test_each_event_pops_its_sheet_for_exactly_its_destination(where: str) -> None:
    catcher = SheetCatcher()
    fields, expected = DEST_FACTS[where]
    with make_daemon(config(dialplan_wait=0), plugins(catcher)) as daemon:
        emit(daemon, call_event(where, **fields))
        [sheet] = catcher.wait_for(1)
        everyone = list(daemon.users.all().values())
    assert (sheet.name, sheet.where) == ("pop", where)
    assert sheet.recipients.whom == "dest" and sheet.recipients.users == expected
    assert {u.id for u in everyone if sheet.recipients.includes(u)} == expected
    assert sheet.items[0].value == "Outside Caller"


@pytest.mark.parametrize(
    ("whom", "contexts", "expected"),
    [
        ("all", [], {"alice", "bob", "carol"}),
        ("all", ["other"], {"carol"}),
        ("all-context", [], {"alice", "bob"}),  # the call's contexts: default
        ("subscribe", [], set()),  # only sessions that asked: the delivery side knows
    ],
)
def test_whom_and_conditions(whom: str, contexts: list[str], expected: set[str]) -> None:
    catcher = SheetCatcher()
    settings = config(whom=whom)
    settings["sheets"]["definitions"]["pop"]["conditions"]["contexts"] = contexts
    with make_daemon(settings, plugins(catcher)) as daemon:
        emit(daemon, call_event("dial"))
        [sheet] = catcher.wait_for(1)
        reached = {u.id for u in daemon.users.all().values() if sheet.recipients.includes(u)}
    assert reached == expected
    # The tenant scope of the message stays the call's: the call has been in `default`, a
    # tenant's context, so naming `other` selects users without letting the sheet reach
    # them (the hub's parting drops carol: see the security tests).
    assert sheet.contexts == {"default"}


def did_call(did: str, incoming: str = "from-extern", **fields: Any) -> CallEvent:
    """The incomingdid event of a call that has only been in its incoming context."""
    facts: dict[str, Any] = {
        "context": incoming,
        "exten": did,
        "did": did,
        "incoming_context": incoming,
        "contexts": frozenset({incoming}),
    }
    return call_event(fields.pop("where", "incomingdid"), **{**facts, **fields})


def test_a_did_sheet_names_the_tenant_of_a_call_that_has_none_yet() -> None:
    catcher = SheetCatcher()
    settings = config(whom="all", dialplan_wait=0)
    settings["sheets"]["definitions"]["pop"]["conditions"]["contexts"] = ["other"]
    with make_daemon(settings, plugins(catcher)) as daemon:
        emit(daemon, did_call("0145001234"))
        [sheet] = catcher.wait_for(1)
        reached = {u.id for u in daemon.users.all().values() if sheet.recipients.includes(u)}
    assert reached == {"carol"}
    assert sheet.contexts == {"from-extern", "other"}


@pytest.mark.parametrize(("dids", "scope"), [([], {"from-extern", "default"}), (["2000"], None)])
def test_a_did_call_from_another_tenant_reaches_the_did_owner_only_when_the_sheet_names_it(
    dids: list[str], scope: set[str] | None
) -> None:
    # alice (in `default`) dials carol's tenant's DID: the call has been in `default` already.
    catcher = SheetCatcher()
    settings = config(whom="all", dialplan_wait=0)
    settings["sheets"]["definitions"]["pop"]["conditions"].update(contexts=["other"], dids=dids)
    with make_daemon(settings, plugins(catcher)) as daemon:
        emit(daemon, did_call("2000", contexts=frozenset({"from-extern", "default"})))
        [sheet] = catcher.wait_for(1)
    assert sheet.contexts == (scope or {"from-extern", "default", "other"})


@pytest.mark.parametrize(
    ("conditions", "did", "incoming", "pops"),
    [
        ({"dids": ["0145001234"]}, "0145001234", "from-extern", True),
        ({"dids": ["0145001234"]}, "0145001235", "from-extern", False),
        ({"dids": ["_0145XXXXXX"]}, "0145009999", "from-extern", True),
        ({"dids": ["_0145XXXXXX"]}, "01450099999", "from-extern", False),  # whole number only
        ({"dids": ["_01-45-[1-3]X."]}, "01452123", "from-extern", True),
        ({"dids": ["_01-45-[1-3]X."]}, "0145412", "from-extern", False),
        ({"dids": ["_0145XXXXXX", "+33145001234"]}, "+33145001234", "from-extern", True),
        ({"incoming_contexts": ["from-extern-a"]}, "0145001234", "from-extern-a", True),
        ({"incoming_contexts": ["from-extern-a"]}, "0145001234", "from-extern-b", False),
        (
            {"incoming_contexts": ["from-extern-a"], "dids": ["_0145."]},
            "0199",
            "from-extern-a",
            False,
        ),
    ],
)
def test_call_conditions_pick_the_calls_a_sheet_pops_for(
    conditions: dict[str, Any], did: str, incoming: str, pops: bool
) -> None:
    catcher = SheetCatcher()
    settings = config(whom="all", dialplan_wait=0)
    settings["incoming_contexts"] = ["from-extern", "from-extern-a", "from-extern-b"]
    settings["sheets"]["definitions"]["pop"]["conditions"].update(conditions, contexts=["other"])
    with make_daemon(settings, plugins(catcher)) as daemon:
        emit(daemon, did_call(did, incoming))
        # A later event of the same call (its dial to a user) is judged on the same call facts.
        emit(daemon, did_call(did, incoming, where="dial", contexts=frozenset({incoming, "other"})))
        if pops:
            sheets = catcher.wait_for(2)
            assert [sheet.where for sheet in sheets] == ["incomingdid", "dial"]
        else:
            wait_until(lambda: status(daemon)["pending"] == 0, message="events handled")
            assert catcher.sheets == []
            assert status(daemon)["rendered"] == 0


class Gate:
    """A sheet variable provider that waits for the test to open it."""

    def __init__(self) -> None:
        self.opened = gevent.event.Event()
        self.calls: list[str] = []

    @hookimpl
    def ctid_register_sheet_variables(self) -> Mapping[str, Any]:
        def provide(event: CallEvent) -> dict[str, str]:
            self.calls.append(event.channel)
            if event.channel == "PJSIP/slow-1":
                self.opened.wait()
            return {"crm-id": f"crm{event.sequence}"}

        return {"crm": provide}


def test_rendering_never_blocks_the_reader_and_keeps_channel_order() -> None:
    catcher, gate = SheetCatcher(), Gate()
    limits = {"workers": 2, "queued_per_channel": 2}
    with make_daemon(
        config(limits=limits, variables_deadline=5), plugins(catcher, gate=gate)
    ) as daemon:
        slow = [call_event(where, channel="PJSIP/slow-1") for where in ("dial", "link", "unlink")]
        for event in slow:
            emit(daemon, event)  # returns at once: the first waits at the gate
        emit(daemon, call_event("hangup", channel="PJSIP/slow-1"))  # its queue is full: dropped
        emit(daemon, call_event("dial", channel="PJSIP/fast-1"))
        emit(daemon, call_event("dial", channel="PJSIP/third-1"))  # both workers busy: dropped
        [fast] = catcher.wait_for(1)
        assert fast.channel == "PJSIP/fast-1"
        gate.opened.set()
        catcher.wait_for(4)
        report = status(daemon)
    assert [(s.channel, s.where) for s in catcher.sheets[1:]] == [
        ("PJSIP/slow-1", "dial"),
        ("PJSIP/slow-1", "link"),
        ("PJSIP/slow-1", "unlink"),
    ]
    assert [s.sequence for s in catcher.sheets[1:]] == [e.sequence for e in slow]
    assert report["dropped"] == 2 and report["rendered"] == 4


class Broken:
    @hookimpl
    def ctid_register_sheet_variables(self) -> Mapping[str, Any]:
        def late(event: CallEvent) -> dict[str, str]:
            gevent.sleep(30)
            return {"late-x": "never"}

        def raising(event: CallEvent) -> dict[str, str]:
            raise RuntimeError("provider bug")

        return {"late": late, "raising": raising}


def test_a_failing_or_late_provider_costs_only_its_family() -> None:
    catcher = SheetCatcher()
    with make_daemon(
        config(variables_deadline="200ms"), plugins(catcher, broken=Broken())
    ) as daemon:
        started = gevent.get_hub().loop.now()
        emit(daemon, call_event("dial"))
        [sheet] = catcher.wait_for(1)
        assert gevent.get_hub().loop.now() - started < 2.0
        record = daemon.hooks.records["broken"]
    assert sheet.items[0].value == "Outside Caller"
    assert record.failures == 2 and "sheet variables" in record.last_failure


def test_incomingdid_waits_for_the_calls_dialplan_values() -> None:
    catcher = SheetCatcher()
    with make_daemon(config(dialplan_wait="5s"), plugins(catcher)) as daemon:
        did = call_event("incomingdid", channel="Local/2000@default-1;2", linkedid="L1")
        emit(daemon, did)
        wait_until(lambda: status(daemon)["waiting_for_dialplan"] == 1)
        assert catcher.sheets == []
        later = call_event(
            "dial", channel="Local/2000@default-1;2", linkedid="L1", dialplan={"did": "2000"}
        )
        emit(daemon, later)
        first, second = catcher.wait_for(2)
    assert (first.where, first.items[2].value) == ("incomingdid", "2000")
    assert (second.where, second.items[2].value) == ("dial", "2000")


def test_incomingdid_without_dialplan_values_goes_out_after_the_wait() -> None:
    catcher = SheetCatcher()
    with make_daemon(config(dialplan_wait="100ms"), plugins(catcher)) as daemon:
        emit(daemon, call_event("incomingdid"))
        [sheet] = catcher.wait_for(1)
    assert sheet.items[2].value == "none"


def test_hangup_releases_the_channels_sheet_state() -> None:
    catcher = SheetCatcher()
    settings = config()
    settings["sheets"]["events"] = {"dial": ["pop"]}
    with make_daemon(settings, plugins(catcher)) as daemon:
        state = sheet_state(daemon.handles["catch"])
        emit(daemon, call_event("dial", channel="Local/1001@default-7;1"))
        catcher.wait_for(1)
        assert state is not None and state.knows("Local/1001@default-7;1")
        emit(daemon, call_event("hangup", channel="Local/1001@default-7;2"))  # the other half
        wait_until(lambda: not state.knows("Local/1001@default-7;1"))


def test_a_reload_applies_new_sheets() -> None:
    catcher = SheetCatcher()
    settings = config()
    with make_daemon(settings, plugins(catcher)) as daemon:
        settings["sheets"] = sheets_config(whom="all")
        assert daemon.reload()
        emit(daemon, call_event("dial"))
        [sheet] = catcher.wait_for(1)
    assert sheet.recipients.whom == "all"


def fixture_events(data_dir: pathlib.Path, name: str) -> list[Mapping[str, str]]:
    messages = AmiParser().feed((data_dir / "ami" / name).read_bytes())
    return [message for message in messages if "Event" in message]


class Console:
    peer = ("127.0.0.1", 1)

    def write(self, line: str) -> bool:
        return True


def test_the_info_command_fires_a_sheet_from_the_live_call(data_dir: pathlib.Path) -> None:
    catcher = SheetCatcher()
    settings = config()
    settings["sheets"]["events"] = {"link": ["pop"]}
    with make_daemon(settings, plugins(catcher)) as daemon:
        events = fixture_events(data_dir, "did_agi_ami.txt")
        for event in events[: next(i for i, e in enumerate(events) if e["Event"] == "BridgeLeave")]:
            daemon.ipbx.ingest(event)
        wait_until(lambda: catcher.sheets)  # the real link
        command = daemon.registry("info_commands")["sheet"]
        lines = command(Console(), ["link", "Local/2000@default-00000001;2"])
        bad = [["link"], ["nope", "x"], ["dial", "x"], ["link", "PJSIP/none"]]
        errors = []
        for args in bad:
            with pytest.raises(Exception) as caught:
                command(Console(), args)
            errors.append(str(caught.value))
    assert lines[0] == ("sheet pop (link) on Local/2000@default-00000001;2: whom=dest users=alice")
    assert lines[1] == '  sheet 0010 text "Caller": "Outside Caller"'
    assert catcher.sheets[-1].sequence == 0 and catcher.sheets[-1].where == "link"
    assert errors == [
        "usage: sheet <where> <channel> [<peer channel>]",
        "'nope' is not a call event",
        "no sheet is configured for dial",
        "no channel 'PJSIP/none' in the call model",
    ]


@pytest.mark.parametrize("dids", [["2000"], ["_3XXX"]])
def test_the_info_command_says_when_the_call_meets_no_sheets_call_conditions(
    data_dir: pathlib.Path, dids: list[str]
) -> None:
    catcher = SheetCatcher()
    settings = config()
    settings["incoming_contexts"] = ["default"]  # where the captured DID call comes in
    settings["sheets"]["events"] = {"link": ["pop"]}
    settings["sheets"]["definitions"]["pop"]["conditions"]["dids"] = dids
    with make_daemon(settings, plugins(catcher)) as daemon:
        events = fixture_events(data_dir, "did_agi_ami.txt")
        for event in events[: next(i for i, e in enumerate(events) if e["Event"] == "BridgeLeave")]:
            daemon.ipbx.ingest(event)
        command = daemon.registry("info_commands")["sheet"]
        if dids == ["2000"]:
            wait_until(lambda: catcher.sheets)  # the real link passes the condition
            lines = command(Console(), ["link", "Local/2000@default-00000001;2"])
            assert lines[0].startswith("sheet pop (link)")
            return
        with pytest.raises(Exception) as caught:
            command(Console(), ["link", "Local/2000@default-00000001;2"])
        wait_until(lambda: status(daemon)["pending"] == 0, message="events handled")
        assert catcher.sheets == []
    assert str(caught.value) == (
        "the call (DID 2000, incoming context default) meets the dids/incoming_contexts "
        "conditions of no sheet of link (pop)"
    )


class Session:
    def __init__(self, user: Any) -> None:
        self.user = user
        self.replies: list[dict[str, Any]] = []

    def reply(self, request: Mapping[str, Any], **fields: Any) -> bool:
        self.replies.append({"class": request["class"], **fields})
        return True


class Hub:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.sessions: dict[str, list[Any]] = {}

    def send(self, message: Mapping[str, Any], *, contexts: Any, to: Any = None) -> int:
        for session in to or []:
            self.sent.append((session, dict(message)))
        return len(to or [])

    def sessions_of(self, user_id: str) -> list[Any]:
        return [f"session-of-{user_id}"]


def test_cti_sheet_addentry_reaches_the_viewers() -> None:
    catcher = SheetCatcher()
    with make_daemon(config(), plugins(catcher)) as daemon:
        emit(daemon, call_event("dial", peer_exten="1001", peer_context="default"))
        [sheet] = catcher.wait_for(1)
        handle = daemon.handles["catch"]
        state = sheet_state(handle)
        assert state is not None
        state.delivered(sheet, ["alice"])
        hub = Hub()
        provide_cti_hub(handle, hub)  # type: ignore[arg-type]
        command = daemon.registry("cti_commands")["sheet"]
        alice, bob = daemon.users.by_id("alice"), daemon.users.by_id("bob")
        message = {"class": "sheet", "function": "addentry", "channel": sheet.channel, "text": "hi"}
        session = Session(alice)
        command(session, message)
        codes = []
        for who, changes in [(bob, {}), (alice, {"function": "nope"}), (alice, {"text": 3})]:
            with pytest.raises(CtiCommandError) as caught:
                command(Session(who), {**message, **changes})
            codes.append(caught.value.code)
        provide_cti_hub(handle, None)
    [(target, added)] = hub.sent
    assert target == "session-of-alice"
    assert (added["function"], added["channel"], added["entry"]["text"]) == (
        "entryadded",
        sheet.channel,
        "hi",
    )
    assert session.replies == [{"class": "sheet", "function": "addentry", "status": "ok"}]
    assert codes == ["unallowed", "unknown:function", "missing:text"]
