"""Fan-out to many clients: a batch of broadcasts costs one write per client per run of
messages for the same tenant, status changes within `push_interval` become one push, a push
that took long is followed by a longer pause, a `dest` sheet goes to its user's sessions
without a scan of every session, and unchanged phones are not rebuilt."""

import json
from types import SimpleNamespace
from typing import Any

import gevent
import pytest

from ctid.api import Line, User
from ctid.testing.sheets import call_event
from ctid_cti import views
from ctid_cti.sessions import Hub, Session
from ctid_cti.status import StatusPusher
from ctid_cti.views import Item

PROFILE = {"max_sessions": 1, "session_policy": "last_wins"}


class Server:
    name = "cti"


class Connection:
    """Records what the hub writes, write by write."""

    def __init__(self, port: int) -> None:
        self.peer = ("127.0.0.1", port)
        self.server = Server()
        self.is_tls = False
        self.writes: list[bytes] = []
        self.closed = False

    def send(self, data: bytes) -> bool:
        if self.closed:
            return False
        self.writes.append(data)
        return True

    def close(self, reason: str) -> None:
        self.closed = True

    def messages(self) -> list[str]:
        return [json.loads(line)["n"] for data in self.writes for line in data.splitlines()]


def user(login: str, *contexts: str) -> User:
    lines = tuple(
        Line(f"{login}{n}@{c}", c, str(n), f"PJSIP/{login}{n}") for n, c in enumerate(contexts)
    )
    return User(login, login, "", "", "default", "", "", "", "", None, lines)


def logged_in(hub: Hub, login: str, *contexts: str) -> Connection:
    connection = Connection(len(hub.connections) + 1000)
    session = Session(hub, connection)  # type: ignore[arg-type]  # the hub only writes to it
    hub.connections.add(session)
    assert hub.admit(session, user(login, *contexts), PROFILE) is None
    return connection


def test_a_batch_keeps_its_order_and_writes_once_per_run_of_one_tenant() -> None:
    hub = Hub(separation=lambda: True, on_leave=lambda user: None, clock=lambda: 1.0)
    alice = logged_in(hub, "alice", "ctx-a")
    bob = logged_in(hub, "bob", "ctx-b")
    carol = logged_in(hub, "carol", "ctx-a", "ctx-b")
    a, b = frozenset({"ctx-a"}), frozenset({"ctx-b"})
    batch = [({"class": "t", "n": n}, scope) for n, scope in (("1", a), ("2", a), ("3", b))]
    batch += [({"class": "t", "n": "4"}, a), ({"class": "t", "n": "5"}, frozenset())]

    assert hub.send_batch(batch) == 3 + 1 + 4

    assert (len(alice.writes), alice.messages()) == (2, ["1", "2", "4"])
    assert (len(bob.writes), bob.messages()) == (1, ["3"])
    assert (len(carol.writes), carol.messages()) == (3, ["1", "2", "3", "4"])
    assert json.loads(alice.writes[0].splitlines()[0]) == {"class": "t", "n": "1", "timenow": 1.0}


def test_without_separation_a_batch_reaches_every_logged_in_session() -> None:
    hub = Hub(separation=lambda: False, on_leave=lambda user: None)
    alice = logged_in(hub, "alice", "ctx-a")
    bob = logged_in(hub, "bob", "ctx-b")
    batch = [({"class": "t", "n": "1"}, frozenset({"ctx-a"})), ({"class": "t", "n": "2"}, ())]

    assert hub.send_batch(batch) == 4
    assert alice.messages() == bob.messages() == ["1", "2"]
    assert len(alice.writes) == 2  # two runs (different contexts), even if both reach alice


def test_a_long_batch_lets_other_greenlets_run_and_skips_who_left_meanwhile() -> None:
    hub = Hub(separation=lambda: False, on_leave=lambda user: None)  # login order
    alice, bob, carol = (logged_in(hub, login, "ctx-a") for login in ("alice", "bob", "carol"))
    seen: list[int] = []

    def meanwhile() -> None:  # e.g. the AMI reader, or bob's connection dropping
        seen.append(len(alice.writes) + len(bob.writes) + len(carol.writes))
        bob.close("gone")

    gevent.spawn(meanwhile)
    assert hub.send_batch([({"class": "t", "n": "1"}, {"ctx-a"})], yield_every=1) == 2
    assert seen == [1]  # it ran after the first write, not after the whole batch
    assert (alice.messages(), bob.messages(), carol.messages()) == (["1"], [], ["1"])


def test_changes_within_the_push_interval_reach_clients_as_one_push(
    cti: Any, make_user: Any
) -> None:
    cti.start(
        [make_user("alice"), make_user("bob", number="1002")], options={"push_interval": "1s"}
    )
    alice = cti.client("alice")
    bob = cti.client("bob")  # within a second of alice's login: its push is held back
    for state in ("away", "outtolunch"):
        assert bob.request({"class": "availstate", "availstate": state})["availstate"] == state

    def about_bob(message: dict[str, Any]) -> bool:
        return message.get("listname") == "users" and message.get("tid") == "bob"

    status = alice.expect(about_bob, timeout=5)["status"]
    assert status == {"availstate": "outtolunch", "connection": "yes"}
    alice.request({"class": "keepalive"})
    assert not [m for m in alice.pending if about_bob(m)], "one merged push, not three"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class SlowHub:
    """A hub whose writes take `cost` seconds of the clock (thousands of clients)."""

    def __init__(self, clock: Clock, cost: float) -> None:
        self.clock, self.cost = clock, cost
        self.batches: list[list[Any]] = []

    def send_batch(self, batch: list[Any], yield_every: int = 0) -> int:
        self.clock.now += self.cost
        self.batches.append(batch)
        return len(batch)


class Phones:
    """A catalog of one phone whose status is `state`."""

    def __init__(self, clock: Clock | None = None, cost: float = 0.0) -> None:
        self.state = "0"
        self.clock, self.cost = clock, cost
        self.built: list[str] = []

    def invalidate(self, *names: str) -> None:
        pass

    def items(self, name: str) -> dict[str, Item]:
        if self.clock is not None:
            self.clock.now += self.cost  # building a list of thousands of items takes time
        self.built.append(name)
        status = {"hintstatus": self.state}
        return {"1001@default": Item("1001@default", frozenset({"default"}), {}, status)}


def pusher(cost: float, build: float = 0.0) -> tuple[StatusPusher, Clock, Phones, SlowHub]:
    clock = Clock()
    catalog = Phones(clock, build)
    hub = SlowHub(clock, cost)
    ctid = SimpleNamespace(ipbx=SimpleNamespace(id="xivo"))
    status = StatusPusher(
        ctid,  # type: ignore[arg-type]
        catalog,  # type: ignore[arg-type]
        hub,  # type: ignore[arg-type]
        spawn=lambda function: None,
        interval=lambda: 0.1,
        clock=clock,
    )
    status.prime()
    return status, clock, catalog, hub


def test_a_push_waits_push_interval_after_the_previous_one() -> None:
    status, clock, catalog, hub = pusher(cost=0.001)
    assert status.delay == 0  # nothing pushed lately: the first change goes at once
    catalog.state = "1"
    status.touch("phones")
    status.flush()
    assert hub.batches[0][0][0]["status"] == {"hintstatus": "1"}
    assert status.delay == pytest.approx(0.099)
    clock.now += 0.1
    assert status.delay == 0


def test_a_push_that_took_long_is_followed_by_a_pause_twice_as_long() -> None:
    status, _, catalog, _ = pusher(cost=0.3)
    catalog.state = "1"
    status.touch("phones")
    status.flush()
    assert status.delay == pytest.approx(0.6)  # pushes take at most a third of the time


def test_a_dest_sheet_reaches_every_session_of_its_user_and_no_one_else(
    cti: Any, make_user: Any
) -> None:
    ringing = {"conditions": {"whom": "dest"}, "sheet_info": [["", "title", "", "Call"]]}
    cti.start(
        [make_user(login, number=f"100{n}") for n, login in enumerate(("alice", "bob", "carol"))],
        profiles={"default": {"max_sessions": 2}},
        sheets={"events": {"dial": ["ringing"]}, "definitions": {"ringing": ringing}},
    )
    alice, bob, carol = cti.client("alice"), cti.client("bob"), cti.client("carol")
    bob_again = cti.client("bob")
    event = call_event("dial", peer_exten="1001", peer_context="default")
    cti.daemon.hooks.notify("ctid_call_event_emitted", event=event)
    for client in (bob, bob_again):
        assert client.expect("sheet")["channel"] == event.channel
    for client in (alice, carol):
        client.request({"class": "keepalive"})  # a sheet for them would have come before
        assert not [m for m in client.received if m["class"] == "sheet"]
    assert cti.plugin.service.sheets.delivered == 2


def test_phones_rebuilt_from_the_same_facts_are_the_same_items() -> None:
    users = [user("alice", "default"), user("bob", "default")]
    memo = views.ItemMemo()
    first = views.phones(users, {}, (), (), memo)
    again = views.phones(users, {}, (), (), memo)
    assert [a is b for a, b in zip(first, again, strict=True)] == [True, True]
    ringing = views.phones(users, {"PJSIP/bob0": "RINGING"}, (), (), memo)
    assert ringing[0] is first[0] and ringing[1] is not first[1]
    assert ringing[1].status["hintstatus"] != first[1].status["hintstatus"]
    assert views.phones(users, {}, (), ()) == first  # without a memo: equal, new items


def test_users_rebuilt_after_a_change_keep_the_items_of_the_others(
    cti: Any, make_user: Any
) -> None:
    cti.start([make_user("alice"), make_user("bob", number="1002")])
    bob = cti.client("bob")
    catalog = cti.plugin.service.catalog
    before = dict(catalog.items("users"))
    assert bob.request({"class": "availstate", "availstate": "away"})["availstate"] == "away"
    catalog.invalidate("users")
    after = catalog.items("users")
    assert after["alice"] is before["alice"]
    assert after["bob"] is not before["bob"] and after["bob"].status["availstate"] == "away"


def test_a_push_lets_waiting_work_through_between_long_lists() -> None:
    status, _, catalog, _ = pusher(cost=0.0, build=0.01)
    catalog.built.clear()  # the lists prime() took as known
    lists_built_before_it_ran: list[int] = []
    gevent.spawn(lambda: lists_built_before_it_ran.append(len(catalog.built)))
    status.touch("channels", "phones", "users")
    status.flush()
    assert lists_built_before_it_ran == [1]  # after the first list (10 ms), not at the end


def test_a_subscribe_sheet_reaches_the_sessions_that_asked_within_its_conditions(
    cti: Any, make_user: Any
) -> None:
    watch = {"conditions": {"whom": "subscribe"}, "sheet_info": [["", "title", "", "Call"]]}
    cti.start(
        [
            make_user("alice", number="1000"),
            make_user("bob", number="1001"),
            make_user("eve", number="2000", context="other"),
        ],
        profiles={"default": {"max_sessions": 2}},
        sheets={"events": {"dial": ["watch"]}, "definitions": {"watch": watch}},
    )
    supervisor, plain = cti.client("alice", subscribe=True), cti.client("alice")
    bob, foreign = cti.client("bob"), cti.client("eve", subscribe=True)
    event = call_event("dial", peer_exten="1001", peer_context="default")
    cti.daemon.hooks.notify("ctid_call_event_emitted", event=event)
    assert supervisor.expect("sheet")["channel"] == event.channel
    for client in (plain, bob, foreign):  # not asked, or another tenant's call
        client.request({"class": "keepalive"})
        assert not [m for m in client.received if m["class"] == "sheet"]
    assert cti.plugin.service.sheets.delivered == 1
