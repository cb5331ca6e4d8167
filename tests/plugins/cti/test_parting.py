"""Two tenants on one ctid: calls, status changes and chats in both, and not one message or
command reaches across."""

import json
from typing import Any

import pytest

TENANTS = {
    "ctx-x": {"users": ("xavier", "xenia"), "queue": "qx-support", "devices": ("xav-ph", "xen-ph")},
    "ctx-y": {"users": ("yves", "yara"), "queue": "qy-sales", "devices": ("yve-ph", "yar-ph")},
}
TOKENS = {
    context: {context, spec["queue"], *spec["users"], *spec["devices"]}
    for context, spec in TENANTS.items()
}


def foreign_agents(context: str) -> set[str]:
    """The agent numbers of the other tenant (digits: no token search can find them)."""
    numbers = [str(9000 + n) for n in range(4)]
    return set(numbers[2:] if context == "ctx-x" else numbers[:2])


def tenant_users(password_hash: str) -> list[dict[str, Any]]:
    users = []
    for context, spec in TENANTS.items():
        for index, (login, device) in enumerate(zip(spec["users"], spec["devices"], strict=True)):
            users.append(
                {
                    "login": login,
                    "password": password_hash,
                    "profile": "switchboard" if index else "default",
                    "agent": f"{9000 + len(users)}",
                    "lines": [
                        {"context": context, "number": f"10{index}", "interface": f"PJSIP/{device}"}
                    ],
                }
            )
    return users


@pytest.fixture
def tenants(cti: Any, password_hash: str) -> Any:
    commands = ["dial", "hangup", "transfer", "originate", "queueadd", "agentlogin"]
    cti.start(
        tenant_users(password_hash),
        profiles={
            "default": {"ipbxcommands": commands},
            "switchboard": {"ipbxcommands": commands, "acts_for_others": True},
        },
        options={"queue_contexts": {spec["queue"]: [c] for c, spec in TENANTS.items()}},
    )
    return cti


def activity(cti: Any, channel_fields: Any, context: str, clients: dict[str, Any]) -> None:
    """Calls, device states, queue members, presence, services and chat in one tenant."""
    spec = TENANTS[context]
    first, second = spec["users"]
    for n, device in enumerate(spec["devices"]):
        name, uniqueid = f"PJSIP/{device}-0000000{n}", f"{context}.{n}"
        fields = channel_fields(name, uniqueid, context, linkedid=f"{context}.0")
        cti.ingest("Newchannel", **{**fields, "ChannelStateDesc": "Ring"})
        cti.ingest("DeviceStateChange", Device=f"PJSIP/{device}", State="INUSE")
        cti.ingest("BridgeEnter", BridgeUniqueid=f"{context}-br", **fields)
    cti.ingest(
        "QueueMemberAdded",
        Queue=spec["queue"],
        Interface=f"PJSIP/{spec['devices'][0]}",
        MemberName=first,
        Membership="dynamic",
        Paused="0",
        Status="2",
    )
    clients[first].request({"class": "availstate", "availstate": "away"})
    clients[first].request({"class": "featuresput", "function": "enablednd", "value": True})
    clients[first].request({"class": "chitchat", "to": f"xivo/{second}", "text": "hi"})
    clients[second].expect("chitchat")
    for n, device in enumerate(spec["devices"]):
        fields = channel_fields(f"PJSIP/{device}-0000000{n}", f"{context}.{n}", context)
        cti.ingest("Hangup", **fields, Cause="16")


def test_no_message_crosses_tenants(tenants: Any, channel_fields: Any) -> None:
    clients = {login: tenants.client(login) for spec in TENANTS.values() for login in spec["users"]}
    for context in TENANTS:
        activity(tenants, channel_fields, context, clients)
    listid = {"class": "getlist", "function": "listid", "tipbxid": "xivo"}
    for client in clients.values():
        for listname in ("users", "phones", "queues", "agents", "channels"):
            client.request({**listid, "listname": listname})
        client.request({"class": "keepalive"})  # everything pushed before this has arrived
    for context, spec in TENANTS.items():
        foreign = set().union(*(TOKENS[c] for c in TENANTS if c != context))
        for login in spec["users"]:
            for message in clients[login].received:
                text = json.dumps(message)
                leaked = [token for token in foreign if token in text]
                assert not leaked, f"{login} received {message}"
                ids = {str(message.get("tid", "")), *map(str, message.get("list", []))}
                assert not ids & foreign_agents(context), f"{login} received {message}"
        # The same activity did reach the other user of the tenant (the filter is not mute).
        first, second = spec["users"]
        pushes = [m for m in clients[second].received if "replyid" not in m]
        assert any(m.get("tid") == first and m["status"] == {"availstate": "away"} for m in pushes)
        assert any(m.get("tid") == first and m.get("config") == {"enablednd": True} for m in pushes)
        assert any(m.get("listname") == "channels" and m["function"] == "addconfig" for m in pushes)
        assert any(m.get("listname") == "channels" and m["function"] == "delconfig" for m in pushes)
        assert any(m.get("status", {}).get("hintstatus") == "1" for m in pushes)
        assert any(m.get("tid") == spec["queue"] for m in pushes)
        assert any(m["class"] == "chitchat" for m in pushes)


@pytest.mark.parametrize(
    "message",
    [
        {"class": "ipbxcommand", "command": "dial", "destination": "user:xivo/yves"},
        {"class": "ipbxcommand", "command": "dial", "destination": "phone:xivo/100@ctx-y"},
        {"class": "ipbxcommand", "command": "hangup", "channelids": "PJSIP/yve-ph-00000000"},
        {
            "class": "ipbxcommand",
            "command": "transfer",
            "source": "PJSIP/xav-ph-00000000",
            "destination": "user:xivo/yara",
        },
        {
            "class": "ipbxcommand",
            "command": "originate",
            "source": "user:xivo/yves",
            "destination": "1",
        },
        {"class": "ipbxcommand", "command": "queueadd", "queue": "qy-sales"},
        {"class": "ipbxcommand", "command": "agentlogin", "member": "agent:xivo/9002"},
        {"class": "chitchat", "to": "xivo/yves", "text": "psst"},
        {"class": "getlist", "function": "updateconfig", "listname": "users", "tid": "yves"},
        {"class": "getlist", "function": "updatestatus", "listname": "phones", "tid": "100@ctx-y"},
        {"class": "getlist", "function": "updateconfig", "listname": "queues", "tid": "qy-sales"},
        {"class": "featuresget", "userid": "yves"},
    ],
)
def test_commands_naming_the_other_tenant_are_refused(
    tenants: Any, channel_fields: Any, message: dict[str, Any]
) -> None:
    for n, (device, context) in enumerate((("xav-ph", "ctx-x"), ("yve-ph", "ctx-y"))):
        fields = channel_fields(f"PJSIP/{device}-00000000", f"x.{n}", context)
        tenants.ingest("BridgeEnter", BridgeUniqueid=f"br-{n}", **fields)
        trunk = channel_fields(f"PJSIP/trunk-0000000{n}", f"t.{n}", "from-extern")
        tenants.ingest("BridgeEnter", BridgeUniqueid=f"br-{n}", **trunk)
    yves = tenants.client("yves")
    xenia = tenants.client("xenia")  # tenant x's switchboard (acts_for_others)
    reply = xenia.request(message)
    refused = reply.get("status") == "ko" or "warning_string" in reply
    own_only = message["class"] == "featuresget" and reply.get("userid") == "xenia"
    assert refused or own_only, reply
    assert not [token for token in TOKENS["ctx-y"] if token in json.dumps(reply)]
    for _, fields in tenants.recorder.actions:
        assert not [token for token in TOKENS["ctx-y"] if token in json.dumps(fields)]
    yves.request({"class": "keepalive"})
    assert not [m for m in yves.received if m["class"] == "chitchat"]
