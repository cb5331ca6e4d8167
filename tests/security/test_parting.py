"""Parting as a property: whatever the tenants, users and call activity, no CTI message of any
class (replies, status pushes, list answers, chats, sheets in either serial) carries anything
of another tenant.

Each example runs a real daemon with the CTI plugin and the sheet engine, logs every user in,
feeds AMI events through `ipbx.ingest` and sends commands naming objects of any tenant. Every
name a tenant owns (context, logins, devices, queue, caller names) contains its tag, so a leak
is any other tenant's tag in what a client received (sheet payloads decoded).
"""

import contextlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctid.api import decode_xml_payload, hash_password
from ctid.testing import make_daemon
from ctid.testing.cticlient import CtiTestClient
from ctid_cti.plugin import CtiPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

pytestmark = pytest.mark.timeout(300)

TAGS = ("qqa", "qqb", "qqc")
PASSWORD = "tenant-pw"
HASH = hash_password(PASSWORD, n=2**4)
COMMANDS = ["dial", "hangup", "transfer", "originate", "queueadd", "agentlogin"]
LINE = [["Caller", "text", "", "{xivo-calleridname} {xivo-channel} {xivo-calledidname}"]]
INCOMING = "from-extern"
"""The incoming context every tenant's DIDs share (each tenant's DID sheet names its DIDs)."""
SHEETS = {
    "dialplan_wait": 0,
    "events": {
        "dial": ["ringing", "first-tenant-rings"],
        "link": ["talking"],
        "hangup": ["gone"],
        "incomingdid": [f"did-{tag}" for tag in TAGS],
    },
    "definitions": {
        "ringing": {"conditions": {"whom": "dest"}, "sheet_info": LINE},
        "talking": {"conditions": {"whom": "all-context"}, "sheet_info": LINE},
        "gone": {"conditions": {"whom": "all"}, "sheet_info": LINE},
        # Users of the first tenant only: a selection, never a way into other tenants' calls.
        "first-tenant-rings": {
            "conditions": {"whom": "all", "contexts": [f"ctx-{TAGS[0]}"]},
            "sheet_info": LINE,
        },
        **{
            f"did-{tag}": {
                "conditions": {"whom": "all", "contexts": [f"ctx-{tag}"], "dids": [f"_0{t}99XX"]},
                "sheet_info": LINE,
            }
            for t, tag in enumerate(TAGS)
        },
    },
}


def login(tenant: int, index: int) -> str:
    return f"{TAGS[tenant]}-u{index}"


def device(tenant: int, index: int) -> str:
    return f"PJSIP/{TAGS[tenant]}-d{index}"


def agent(tenant: int, index: int) -> str:
    return f"8{tenant}0{index}"


def site_config(sizes: list[int]) -> dict[str, Any]:
    users = [
        {
            "login": login(t, i),
            "password": HASH,
            "profile": ("switchboard" if i == 0 else "agent") + ("-json" if (t + i) % 2 else ""),
            "agent": agent(t, i),
            "lines": [
                {"context": f"ctx-{TAGS[t]}", "number": f"7{t}0{i}", "interface": device(t, i)}
            ],
        }
        for t, size in enumerate(sizes)
        for i in range(size)
    ]
    profiles = {
        f"{name}{serial}": {
            "ipbxcommands": COMMANDS,
            "acts_for_others": name == "switchboard",
            "sheet_serial": "json" if serial else "xml",
            "max_sessions": 2,
        }
        for name in ("switchboard", "agent")
        for serial in ("", "-json")
    }
    queues = {f"{TAGS[t]}-queue": [f"ctx-{TAGS[t]}"] for t in range(len(sizes))}
    return {
        "users": users,
        "profiles": profiles,
        "sheets": SHEETS,
        "incoming_contexts": [INCOMING],
        "plugins": {
            "cti": {"failure_delay": 0, "features_at_login": False, "queue_contexts": queues},
        },
    }


class Feed:
    """AMI events of one tenant's activity, with unique channel ids."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.serial = itertools.count(1)

    def ingest(self, event: str, **fields: str) -> None:
        self.daemon.ipbx.ingest({"Event": event, **fields})

    def channel(self, tenant: int, index: int, linkedid: str, state: str = "Up") -> dict[str, str]:
        n = next(self.serial)
        return {
            "Channel": f"{device(tenant, index)}-{n:08x}",
            "ChannelState": "6" if state == "Up" else "0",
            "ChannelStateDesc": state,
            "CallerIDNum": f"7{tenant}0{index}",
            "CallerIDName": f"{TAGS[tenant]} caller {index}",
            "ConnectedLineNum": "<unknown>",
            "ConnectedLineName": "<unknown>",
            "Context": f"ctx-{TAGS[tenant]}",
            "Exten": "s",
            "Priority": "1",
            "Uniqueid": f"{TAGS[tenant]}.{n}",
            "Linkedid": linkedid,
        }

    def call(self, tenant: int, caller: int, callee: int) -> None:
        linkedid = f"{TAGS[tenant]}.call.{next(self.serial)}"
        a = self.channel(tenant, caller, linkedid)
        b = self.channel(tenant, callee, linkedid, "Down")
        self.ingest("Newchannel", **a)
        self.ingest("Newchannel", **b)
        self.ingest("DialBegin", **a, **{f"Dest{k}": v for k, v in b.items()}, DialString="x")
        b = {**b, "ChannelState": "6", "ChannelStateDesc": "Up"}
        bridge = f"{TAGS[tenant]}-bridge-{linkedid}"
        self.ingest("BridgeEnter", **b, BridgeUniqueid=bridge)
        self.ingest("BridgeEnter", **a, BridgeUniqueid=bridge)
        self.ingest("DeviceStateChange", Device=device(tenant, caller), State="INUSE")
        self.ingest("Hangup", **a, Cause="16")
        self.ingest("Hangup", **b, Cause="16")

    def did_call(self, tenant: int, callee: int) -> None:
        """An outside call on one of the tenant's DIDs: it enters the shared incoming context,
        then the tenant's context, rings a user, and hangs up."""
        n = next(self.serial)
        linkedid = f"{TAGS[tenant]}.did.{n}"
        trunk = {
            **self.channel(tenant, callee, linkedid, "Ring"),
            "Channel": f"PJSIP/trunk-{n:08x}",
            "CallerIDNum": f"06{n:08d}",
            "CallerIDName": f"{TAGS[tenant]} outside {n}",
            "Context": INCOMING,
            "Exten": f"0{tenant}99{n % 100:02d}",
        }
        self.ingest("Newchannel", **trunk)
        self.ingest("Newexten", **trunk, Application="NoOp", AppData="")
        trunk = {**trunk, "Context": f"ctx-{TAGS[tenant]}", "Exten": f"7{tenant}0{callee}"}
        self.ingest("Newexten", **trunk, Application="Dial", AppData="")
        user = self.channel(tenant, callee, linkedid, "Down")
        self.ingest("Newchannel", **user)
        self.ingest("DialBegin", **trunk, **{f"Dest{k}": v for k, v in user.items()})
        self.ingest("Hangup", **user, Cause="16")
        self.ingest("Hangup", **trunk, Cause="16")

    def member(self, tenant: int, index: int) -> None:
        self.ingest(
            "QueueMemberAdded",
            Queue=f"{TAGS[tenant]}-queue",
            Interface=device(tenant, index),
            MemberName=login(tenant, index),
            StateInterface=f"Agent:{agent(tenant, index)}",
            Membership="dynamic",
            Paused="0",
            Status="1",
        )

    def agent_login(self, tenant: int, index: int) -> None:
        linkedid = f"{TAGS[tenant]}.agent.{next(self.serial)}"
        self.ingest(
            "AgentLogin", Agent=agent(tenant, index), **self.channel(tenant, index, linkedid)
        )


Person = st.tuples(st.integers(0, 2), st.integers(0, 2))
"""(tenant, user), both taken modulo what exists."""
OPERATIONS = st.one_of(
    st.tuples(st.just("call"), Person, st.integers(0, 2)),
    st.tuples(st.just("did"), Person, st.integers(0, 2)),
    st.tuples(st.just("presence"), Person, st.sampled_from(["away", "donotdisturb"])),
    st.tuples(st.just("dnd"), Person, st.booleans()),
    st.tuples(st.just("chat"), Person, Person),
    st.tuples(st.just("dial"), Person, Person),
    st.tuples(st.just("peek"), Person, Person, st.sampled_from(["users", "phones", "agents"])),
    st.tuples(st.just("member"), Person, st.just(0)),
    st.tuples(st.just("agent"), Person, st.just(0)),
)


@contextlib.contextmanager
def tenants(sizes: list[int]) -> Iterator[tuple[Any, dict[tuple[int, int], CtiTestClient]]]:
    plugins = {"cti": CtiPlugin(), "xivovars": XivoVarsPlugin()}
    with make_daemon(site_config(sizes), plugins) as daemon, contextlib.ExitStack() as stack:
        clients = {}
        for t, size in enumerate(sizes):
            for i in range(size):
                client = CtiTestClient(daemon.objects["cti"].servers["cti"].address)
                stack.callback(client.close)
                client.login(login(t, i), PASSWORD)
                clients[(t, i)] = client
        yield daemon, clients


def run(
    feed: Feed, clients: dict[tuple[int, int], CtiTestClient], sizes: list[int], op: Any
) -> None:
    kind, (t, i), arg = op[0], op[1], op[2]
    t %= len(sizes)
    i %= sizes[t]
    me = clients[(t, i)]
    if kind == "call":
        feed.call(t, i, arg % sizes[t])
    elif kind == "did":
        feed.did_call(t, arg % sizes[t])
    elif kind == "presence":
        me.request({"class": "availstate", "availstate": arg})
    elif kind == "dnd":
        me.request({"class": "featuresput", "function": "enablednd", "value": arg})
    elif kind in ("chat", "dial", "peek"):
        other_t = arg[0] % len(sizes)
        other = login(other_t, arg[1] % sizes[other_t])
        if kind == "chat":
            me.request({"class": "chitchat", "to": f"xivo/{other}", "text": "psst"})
        elif kind == "dial":
            me.request(
                {"class": "ipbxcommand", "command": "dial", "destination": f"user:xivo/{other}"}
            )
        else:
            item = (
                other
                if op[3] == "users"
                else f"7{other_t}0{arg[1] % sizes[other_t]}@ctx-{TAGS[other_t]}"
            )
            item = agent(other_t, arg[1] % sizes[other_t]) if op[3] == "agents" else item
            for function in ("updateconfig", "updatestatus"):
                me.request(
                    {"class": "getlist", "function": function, "listname": op[3], "tid": item}
                )
    elif kind == "member":
        feed.member(t, i)
    else:
        feed.agent_login(t, i)


def seen_text(message: dict[str, Any]) -> str:
    """A message as text, a sheet's XML payload decoded. The session id is left out: it is
    random, and a random token may spell a tenant's tag ("…qqb…") by chance."""
    shown = {key: value for key, value in message.items() if key != "sessionid"}
    text = json.dumps(shown, ensure_ascii=False)
    if message.get("class") == "sheet" and message.get("serial") == "xml":
        text += decode_xml_payload(message["payload"], message["compressed"]).decode("utf-8")
    return text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    sizes=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    operations=st.lists(OPERATIONS, max_size=10),
)
def test_no_message_of_any_class_crosses_tenants(sizes: list[int], operations: list[Any]) -> None:
    with tenants(sizes) as (daemon, clients):
        feed = Feed(daemon)
        for op in operations:
            run(feed, clients, sizes, op)
        daemon.sheets.join()
        for client in clients.values():
            client.request({"class": "keepalive"})  # what was queued before it has arrived
        for client in clients.values():
            client.request({"class": "getlist", "function": "listid", "listname": "channels"})
        for (t, i), client in clients.items():
            foreign_tags = [TAGS[o] for o in range(len(sizes)) if o != t]
            foreign_agents = {
                agent(o, j) for o, size in enumerate(sizes) if o != t for j in range(size)
            }
            for message in client.received:
                text = seen_text(message)
                assert not [tag for tag in foreign_tags if tag in text], (login(t, i), message)
                ids = {str(message.get("tid", "")), *map(str, message.get("list", []))}
                assert not ids & foreign_agents, (login(t, i), message)
        # Not vacuous: a call in a tenant reached that tenant's clients.
        for op in operations:
            if op[0] == "call":
                t = op[1][0] % len(sizes)
                mine = [c for (o, _), c in clients.items() if o == t]
                assert any(
                    m.get("class") == "sheet" or m.get("listname") == "channels"
                    for c in mine
                    for m in c.received
                    if "replyid" not in m
                )
            if op[0] == "did":
                t = op[1][0] % len(sizes)
                mine = [c for (o, _), c in clients.items() if o == t]
                assert any(
                    m.get("class") == "sheet" and f"{TAGS[t]} outside" in seen_text(m)
                    for c in mine
                    for m in c.received
                )


def sheets_seen(client: CtiTestClient) -> list[str]:
    """The text of every sheet a client received."""
    return [seen_text(m) for m in client.received if m.get("class") == "sheet"]


def test_a_did_sheet_and_a_selection_by_contexts_stay_in_their_tenant() -> None:
    # Tenant 0's DID sheet and its `first-tenant-rings` sheet name tenant 0's context. Neither
    # may carry tenant 1's calls to tenant 0's users: the DID sheet pops only on tenant 0's
    # DIDs, and a call already in tenant 1's context keeps tenant 1's scope.
    with tenants([1, 1]) as (daemon, clients):
        feed = Feed(daemon)
        feed.did_call(1, 0)
        feed.call(1, 0, 0)
        daemon.sheets.join()
        for client in clients.values():
            client.request({"class": "keepalive"})
        first, second = clients[(0, 0)], clients[(1, 0)]
        assert not [text for text in sheets_seen(first) if TAGS[1] in text]
        assert any(f"{TAGS[1]} outside" in text for text in sheets_seen(second))
        # The same calls in tenant 0 do reach tenant 0's user through both sheets.
        before = len(sheets_seen(first))
        feed.did_call(0, 0)
        feed.call(0, 0, 0)
        daemon.sheets.join()
        first.request({"class": "keepalive"})
        seen = sheets_seen(first)[before:]
        assert any(f"{TAGS[0]} outside" in text for text in seen)  # did-qqa
        assert len(seen) >= 4  # did-qqa; ringing and first-tenant-rings twice; gone
