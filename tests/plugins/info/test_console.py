"""The info console on a real loopback socket, driven like `nc` would: every built-in command,
the token, AMI dumps, third-party commands, and what a hostile or slow client costs."""

import json
import logging
import socket
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from ctid.api import ActionResult, InfoCommandError, InfoConsole, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid_info.plugin import InfoPlugin

OK, KO = "XIVO-INFO:OK", "XIVO-INFO:KO"
TOKEN = "s3cret-console-token"
HASH = "scrypt$16384$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNo"
HOSTILE = "Evil\nXIVO-INFO:OK\r\x1b[2J"
CHANNEL = {
    "Event": "Newchannel",
    "Channel": "PJSIP/1001-00000001",
    "Uniqueid": "1700000000.1",
    "Linkedid": "1700000000.1",
    "ChannelState": "4",
    "ChannelStateDesc": "Ring",
    "CallerIDNum": "1001",
    "CallerIDName": HOSTILE,
    "Context": "default",
    "Exten": "1002",
    "Priority": "1",
}
PHONE_EVENTS = [
    {"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "INUSE"},
    {
        "Event": "ExtensionStatus",
        "Exten": "1001",
        "Context": "default",
        "Hint": "PJSIP/1001",
        "Status": "1",
        "StatusText": "InUse",
    },
]
QUEUE_EVENTS = [
    {"Event": "QueueParams", "Queue": "support", "Strategy": "ringall"},
    {
        "Event": "QueueMemberAdded",
        "Queue": "support",
        "Interface": "PJSIP/1002",
        "MemberName": "Phone 1002",
        "Status": "1",
        "Paused": "0",
    },
    {
        "Event": "AgentLogin",
        "Agent": "2001",
        "Channel": "PJSIP/1001-00000001",
        "Uniqueid": "1700000000.1",
        "Linkedid": "1700000000.1",
    },
]


class Client:
    """A plain socket client, as `nc` is: send a line, read lines up to OK or KO."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=5)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def line(self) -> str:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, "the console closed"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def answer(self) -> list[str]:
        lines = [self.line()]
        while lines[-1] not in (OK, KO):
            lines.append(self.line())
        return lines

    def ask(self, command: str | bytes) -> list[str]:
        data = command if isinstance(command, bytes) else command.encode()
        self.sock.sendall(data + b"\n")
        return self.answer()

    def closed_by_server(self) -> bool:
        """Read what is left; True once the server has closed the connection."""
        try:
            while chunk := self.sock.recv(65536):
                self.buffer += chunk
        except ConnectionResetError:
            pass
        return True


class Asterisk:
    """Stands for the AMI link so that status shows it up."""

    def send_action(
        self, action: str, fields: Mapping[str, str | Sequence[str]], timeout: float
    ) -> ActionResult:
        return ActionResult("Success", {})


class Extras:
    """A third-party plugin adding commands to the console."""

    @hookimpl
    def ctid_register_info_commands(self) -> dict[str, Any]:
        def whois(console: InfoConsole, args: list[str]) -> list[str]:
            """whois <number>: who is calling (test double)."""
            if not args:
                raise InfoCommandError("usage: whois <number>")
            return [f"{args[0]} is Martin Dupont\nsecond line", f"asked from {console.peer[0]}"]

        def boom(console: InfoConsole, args: list[str]) -> list[str]:
            raise RuntimeError("plugin bug")

        def stream(console: InfoConsole, args: list[str]) -> Iterator[str]:
            console.write("progress 50%")
            yield "done"

        return {"whois": whois, "boom": boom, "stream": stream}


def info_daemon(config: dict[str, Any] | None = None, **plugins: Any) -> Any:
    return make_daemon({} if config is None else config, {"info": InfoPlugin(), **plugins})


def connect(daemon: Any) -> Client:
    return Client(daemon.objects["info"].server.address)


@pytest.fixture
def levels() -> Iterator[None]:
    """`loglevel set` changes process-wide levels: put them back."""
    saved = {name: logging.getLogger(name or None).level for name in ("", "ctid_test")}
    yield
    for name, level in saved.items():
        logging.getLogger(name or None).setLevel(level)


# --- built-in commands ----------------------------------------------------------------------


def test_help_lists_every_command_of_every_plugin() -> None:
    with info_daemon(extras=Extras()) as daemon:
        console = connect(daemon)
        answer = console.ask("help")
        assert answer[-1] == OK
        names = [line.split(":")[0].split()[0] for line in answer[:-1]]
        assert names == sorted(names)
        for name in (
            "help",
            "show_infos",
            "show_users",
            "show_phones",
            "show_queues",
            "show_agents",
            "show_channels",
            "show_calls",
            "loglevel",
            "dumpami",
            "whois",
            "reverse",  # the core directory service's (ctid.directory.provider)
            "boom",
            "stream",
        ):
            assert name in names
        assert "whois <number>: who is calling (test double)." in answer
        assert "boom" in answer  # no docstring: the name alone


def test_show_infos_tells_version_uptime_ami_link_and_plugins() -> None:
    with info_daemon() as daemon:
        daemon.ipbx.attach(Asterisk(), "22.10.1")
        answer = connect(daemon).ask("show_infos")
    assert answer[0].startswith("infos=server_version=0.")
    assert ";commandset=ctid;uptime=" in answer[0]
    assert answer[1].startswith("summary: health=ok ami=up clients=0 users=0 calls=0 channels=0")
    ipbx = 'ipbx xivo: link=up detail="Asterisk Call Manager 22.10.1" version=22.10.1'
    assert answer[2] == f"{ipbx} channels=0 calls=0 bridges=0"
    # core services (directories, sheets) report as plugins too: find the info plugin's line
    [line] = [item for item in answer if item.startswith("plugin info:")]
    assert line.startswith("plugin info: state=loaded failures=0 address=127.0.0.1:")
    assert "consoles=1 dumping=0 events_dumped=0" in line
    assert answer[-1] == OK


def test_show_users_gives_login_profile_and_lines_never_a_secret() -> None:
    config = {
        "users": [
            {
                "login": "alice",
                "password": HASH,
                "legacy_secret": "legacy-clear-secret",
                "firstname": "Alice",
                "lines": [{"context": "default", "number": "1001", "interface": "PJSIP/1001"}],
            },
            {"login": "bob"},
        ]
    }
    with info_daemon(config) as daemon:
        answer = connect(daemon).ask("show_users")
    assert answer[0] == "users for xivo: 2"
    login, payload = answer[1].split(" ", 1)
    alice = json.loads(payload)
    assert login == "alice"
    assert alice["profile"] == "default"
    assert alice["lines"] == [
        {"id": "1001@default", "context": "default", "number": "1001", "interface": "PJSIP/1001"}
    ]
    assert answer[2].startswith("bob {")
    text = "\n".join(answer)
    assert HASH not in text and "legacy-clear-secret" not in text and "password" not in text


def test_show_phones_queues_agents_channels_and_calls_come_from_the_call_model() -> None:
    with info_daemon() as daemon:
        for event in [CHANNEL, *PHONE_EVENTS, *QUEUE_EVENTS]:
            daemon.ipbx.ingest(event)
        console = connect(daemon)
        phones = console.ask("show_phones")
        queues = console.ask("show_queues")
        agents = console.ask("show_agents")
        channels = console.ask("show_channels")
        calls = console.ask("show_calls")
    assert phones == [
        "phones for xivo: 2",
        'device PJSIP/1001 {"state": "INUSE"}',
        'hint 1001@default {"exten": "1001", "context": "default", "hint": "PJSIP/1001", '
        '"status": "1", "status_text": "InUse"}',
        OK,
    ]
    assert queues[0] == "queues for xivo: 1"
    support = json.loads(queues[1].removeprefix("support "))
    assert support["strategy"] == "ringall"
    assert support["members"][0]["interface"] == "PJSIP/1002"
    assert agents[:2] == [
        "agents for xivo: 1",
        '2001 {"name": "", "status": "idle", "channel": "PJSIP/1001-00000001", "queue": ""}',
    ]
    assert channels[0] == "channels for xivo: 1"
    assert json.loads(channels[1].removeprefix("1700000000.1 "))["caller_name"] == HOSTILE
    assert calls[0] == "calls for xivo: 1"
    assert calls[1].startswith("1700000000.1 {")


def test_hostile_caller_names_never_add_a_line() -> None:
    with info_daemon(extras=Extras()) as daemon:
        daemon.ipbx.ingest(CHANNEL)
        console = connect(daemon)
        channels = console.ask("show_channels")
        assert len(channels) == 3  # header, the channel, OK: the name forged nothing
        assert "\r" not in channels[1] and "\x1b" not in channels[1]
        # a third-party command returning raw newlines gets them escaped too
        assert console.ask("whois 0612") == [
            "0612 is Martin Dupont\\nsecond line",
            "asked from 127.0.0.1",
            OK,
        ]


def test_loglevel_sets_the_root_or_a_named_logger(levels: None) -> None:
    with info_daemon() as daemon:
        console = connect(daemon)
        assert console.ask("loglevel set debug ctid_test") == [
            "loglevel of ctid_test set to debug",
            OK,
        ]
        assert logging.getLogger("ctid_test").level == logging.DEBUG
        assert console.ask("loglevel set WARNING") == ["loglevel set to warning", OK]
        assert logging.getLogger().level == logging.WARNING
        assert console.ask("loglevel") == ["loglevel is warning", OK]
        assert console.ask("loglevel set loud") == [
            "loglevel: expected one of debug, info, warning, error, critical",
            KO,
        ]
        assert console.ask("loglevel set debug bad/name")[-1] == KO
        assert console.ask("loglevel up") == ["usage: loglevel set <level> [logger]", KO]


# --- dumpami --------------------------------------------------------------------------------


def test_hook_ctid_ami_event_received_streams_events_to_dumping_consoles_only() -> None:
    with info_daemon() as daemon:
        everything, some, quiet = connect(daemon), connect(daemon), connect(daemon)
        assert everything.ask("dumpami enable") == ["dumpami enabled for all events", OK]
        assert some.ask("dumpami enable Hangup,newchannel") == [
            "dumpami enabled for hangup,newchannel",
            OK,
        ]
        hangup = {"Event": "Hangup", "Uniqueid": "1700000000.1", "Cause": "16"}
        varset = {"Event": "VarSet", "Variable": "X", "Value": "1", "Uniqueid": "none"}
        for event in (CHANNEL, varset, hangup):
            daemon.ipbx.ingest(event)
        got = [everything.line() for _ in range(3)]
        assert [json.loads(line.removeprefix("ami xivo "))["Event"] for line in got] == [
            "Newchannel",
            "VarSet",
            "Hangup",
        ]
        assert json.loads(got[0].removeprefix("ami xivo "))["CallerIDName"] == HOSTILE
        assert [some.line().split('"')[3] for _ in range(2)] == ["Newchannel", "Hangup"]
        assert quiet.ask("dumpami") == ["dumpami is off", OK]  # nothing came before
        assert everything.ask("dumpami") == ["dumpami: all events", OK]
        assert everything.ask("dumpami disable") == ["dumpami disabled", OK]
        daemon.ipbx.ingest(hangup)
        assert everything.ask("dumpami") == ["dumpami is off", OK]
        assert some.line().startswith('ami xivo {"Event": "Hangup"')
        status = daemon.status()["plugins"]["info"]
        assert (status["dumping"], status["events_dumped"]) == (1, 4)


def test_events_cost_no_formatting_while_nobody_dumps() -> None:
    with info_daemon() as daemon:
        connect(daemon).ask("help")
        for _ in range(100):
            daemon.ipbx.ingest(CHANNEL)
        assert daemon.status()["plugins"]["info"]["events_dumped"] == 0


def test_dumpami_misuse_answers_ko() -> None:
    with info_daemon() as daemon:
        console = connect(daemon)
        assert console.ask("dumpami enable Hangup;rm")[-1] == KO
        assert console.ask("dumpami disable Hangup") == [
            "usage: dumpami enable [Ev1,Ev2] | dumpami disable",
            KO,
        ]
        assert console.ask("dumpami") == ["dumpami is off", OK]


def test_a_console_too_slow_for_its_dump_is_dropped_and_the_others_go_on() -> None:
    config = {"limits": {"client_queue": 10}}
    with info_daemon(config) as daemon:
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(5)
        slow.connect(daemon.objects["info"].server.address)
        slow.sendall(b"dumpami enable\n")
        plugin = daemon.objects["info"]
        wait_until(lambda: len(plugin.dump) == 1, message="dump enabled")
        other = connect(daemon)
        big = {"Event": "UserEvent", "UserEvent": "Bulk", "Data": "x" * 65536}

        def flood() -> bool:
            for _ in range(8):
                daemon.ipbx.ingest(big)
            return len(plugin.dump) == 0

        wait_until(flood, timeout=30, message="slow console dropped")
        wait_until(lambda: len(plugin.server.connections) == 1, message="slow console closed")
        assert other.ask("dumpami") == ["dumpami is off", OK]
        slow.close()


# --- third-party commands -------------------------------------------------------------------


def test_hook_ctid_register_info_commands_serves_a_third_party_command() -> None:
    with info_daemon(extras=Extras()) as daemon:
        console = connect(daemon)
        assert console.ask("whois") == ["usage: whois <number>", KO]
        assert console.ask("stream") == ["progress 50%", "done", OK]


def test_a_raising_command_answers_ko_and_the_console_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with info_daemon(extras=Extras()) as daemon:
        console = connect(daemon)
        assert console.ask("boom now") == ["boom failed: RuntimeError (see the log)", KO]
        assert "info command boom failed" in caplog.text
        assert console.ask("dumpami") == ["dumpami is off", OK]


def test_a_plugin_may_not_take_a_built_in_name() -> None:
    class Squatter:
        @hookimpl
        def ctid_register_info_commands(self) -> dict[str, Any]:
            return {"help": lambda console, args: ["mine"]}

    with pytest.raises(Exception, match="'help' is provided by both"), info_daemon(s=Squatter()):
        pass


def test_an_unknown_command_says_so() -> None:
    with info_daemon() as daemon:
        console = connect(daemon)
        assert console.ask("show_everything") == ["unknown command 'show_everything', see help", KO]
        assert console.ask("token whatever")[-1] == KO  # no token configured: not a command


def test_empty_lines_get_no_answer() -> None:
    with info_daemon() as daemon:
        console = connect(daemon)
        assert console.ask(b"\n  \r\ndumpami") == ["dumpami is off", OK]


# --- the token ------------------------------------------------------------------------------


def token_daemon(**options: Any) -> Any:
    return info_daemon({"plugins": {"info": {"token": TOKEN, **options}}})


def test_with_a_token_the_first_line_must_carry_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with token_daemon() as daemon:
        console = connect(daemon)
        assert console.ask(f"\ntoken {TOKEN}".encode()) == [OK]  # a blank line first is no try
        assert console.ask("dumpami") == ["dumpami is off", OK]
        for first in ("help", "token wrong-token-value", "token", f"token {TOKEN} extra"):
            intruder = connect(daemon)
            assert intruder.ask(first) == ["wrong or missing token", KO]
            assert intruder.closed_by_server()
        assert console.ask("dumpami") == ["dumpami is off", OK]
    assert TOKEN not in caplog.text
    assert "wrong-token-value" not in caplog.text
    assert "refused: wrong or missing token" in caplog.text


def test_a_console_that_never_sends_the_token_is_disconnected() -> None:
    with token_daemon(token_timeout="200ms") as daemon:
        console = connect(daemon)
        assert console.answer() == ["no token in time", KO]
        assert console.closed_by_server()


def test_a_short_token_is_a_config_error() -> None:
    from ctid.config import ConfigError  # noqa: PLC0415  (the core's error, tests only)

    with (
        pytest.raises(ConfigError, match="8 to 200 characters"),
        info_daemon({"plugins": {"info": {"token": "short"}}}),
    ):
        pass


# --- bounds ---------------------------------------------------------------------------------


def test_garbage_is_an_unknown_command_and_a_huge_line_closes_only_that_console() -> None:
    with info_daemon({"limits": {"max_line": 1024}}) as daemon:
        bystander = connect(daemon)
        console = connect(daemon)
        assert console.ask(b"\xff\xfe\x00garbage \x1b[2J")[-1] == KO
        assert console.ask("dumpami") == ["dumpami is off", OK]
        console.sock.sendall(b"y" * 5000 + b"\n")
        assert console.answer() == ["line too long", KO]
        assert console.closed_by_server()
        assert bystander.ask("dumpami") == ["dumpami is off", OK]
        assert connect(daemon).ask("dumpami") == ["dumpami is off", OK]
