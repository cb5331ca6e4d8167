"""The webi port on a real loopback socket, driven like `nc` would: notices, reloads, the CLI
relay and its whitelist, peer filtering, and bounds."""

import socket
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ctid.api import ActionResult, ActionTimeout, IpbxUnavailable, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid.testing.fakeami import FakeAmi
from ctid_ami.plugin import AmiPlugin
from ctid_info.plugin import InfoPlugin
from ctid_webi.plugin import WebiPlugin

VERSION = "Asterisk 22.10.1 built by ctid-fake on x86_64"
REFUSED = "XIVO-CLI-WEBI:KO <refused: not in the whitelist>"


class Asterisk:
    """Stands for the AMI link: answers `Command` actions from a table and records them."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, Any], float]] = []
        self.answers: dict[str, ActionResult | Exception] = {
            "core show version": ActionResult(
                "Success", {"Message": "Command output follows"}, output=(VERSION,)
            ),
            "module reload app_queue.so": ActionResult(
                "Success", {"Message": "Command output follows"}, output=()
            ),
        }

    def send_action(
        self, action: str, fields: Mapping[str, str | Sequence[str]], timeout: float
    ) -> ActionResult:
        self.actions.append((action, dict(fields), timeout))
        answer = self.answers.get(str(fields["Command"]))
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            return ActionResult(
                "Error",
                {"Message": "Command output follows"},
                output=(f"No such command '{fields['Command']}'",),
            )
        return answer

    @property
    def commands(self) -> list[str]:
        return [str(fields["Command"]) for _, fields, _ in self.actions]


class Crm:
    """A user source whose answer the test changes."""

    def __init__(self) -> None:
        self.people: list[dict[str, Any]] = [{"login": "bob"}]
        self.changes: list[list[str]] = []

    @hookimpl
    def ctid_register_user_sources(self) -> dict[str, Any]:
        return {"crm": lambda: list(self.people)}

    @hookimpl
    def ctid_users_changed(self, added: Sequence[Any]) -> None:
        self.changes.append([user.login for user in added])


def address(daemon: Any, name: str = "webi") -> tuple[str, int]:
    server = daemon.objects[name].server
    assert server is not None
    return server.address  # type: ignore[no-any-return]


def exchange(where: tuple[str, int], payload: bytes) -> list[str]:
    """Send one message and read the answer up to the server's close (as `nc` does)."""
    with socket.create_connection(where, timeout=5) as sock:
        sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received.decode().splitlines()


def webi_daemon(config: dict[str, Any] | None = None, **plugins: Any) -> Any:
    return make_daemon({} if config is None else config, {"webi": WebiPlugin(), **plugins})


def with_asterisk(daemon: Any) -> Asterisk:
    fake = Asterisk()
    daemon.ipbx.attach(fake, "22.10.1")
    return fake


# --- notices --------------------------------------------------------------------------------


def test_userlist_update_makes_a_changed_user_source_visible_now() -> None:
    crm = Crm()
    with webi_daemon(crm=crm) as daemon:
        assert daemon.users.by_login("carol") is None
        crm.people.append(
            {
                "login": "carol",
                "lines": [{"context": "default", "number": "1003", "interface": "PJSIP/1003"}],
            }
        )
        assert exchange(address(daemon), b"xivo[userlist,update]\n") == ["XIVO-WEBI:OK"]
        carol = daemon.users.by_login("carol")
        assert carol is not None and carol.lines[0].number == "1003"
        assert crm.changes[-1] == ["carol"]


def test_cticonfig_update_applies_an_edited_config_without_restart() -> None:
    config: dict[str, Any] = {"users": [{"login": "alice"}]}
    with webi_daemon(config) as daemon:
        config["users"].append({"login": "dave", "firstname": "Dave"})
        assert exchange(address(daemon), b"xivo[cticonfig,update]\n") == ["XIVO-WEBI:OK"]
        dave = daemon.users.by_login("dave")
        assert dave is not None and dave.fullname == "Dave"


def test_daemon_reload_reloads_and_keeps_every_client_connected() -> None:
    config: dict[str, Any] = {"users": []}
    with webi_daemon(config, info=InfoPlugin()) as daemon:
        with socket.create_connection(address(daemon, "info"), timeout=5) as console:
            console.sendall(b"show_users\n")
            assert read_info(console) == ["users for xivo: 0", "XIVO-INFO:OK"]
            config["users"] = [{"login": "erin"}]
            assert exchange(address(daemon), b"xivo[daemon,reload]\n") == ["XIVO-WEBI:OK"]
            console.sendall(b"show_users\n")
            answer = read_info(console)
        assert answer[0] == "users for xivo: 1"
        assert answer[1].startswith("erin {")


def read_info(sock: socket.socket) -> list[str]:
    received = b""
    while not received.endswith((b"XIVO-INFO:OK\n", b"XIVO-INFO:KO\n")):
        chunk = sock.recv(65536)
        assert chunk, "the info console closed"
        received += chunk
    return received.decode().splitlines()


def test_a_reload_with_an_invalid_config_answers_ko_and_keeps_the_old_one() -> None:
    config: dict[str, Any] = {}
    with webi_daemon(config) as daemon:
        config["timeouts"] = {"socket": "banana"}
        assert exchange(address(daemon), b"xivo[cticonfig,update]\n") == [
            "XIVO-WEBI:KO <configuration invalid: the running one is kept>"
        ]
        assert daemon.config.data["timeouts"]["socket"] == 10.0


@pytest.mark.parametrize(
    "name",
    [
        "user",
        "device",
        "line",
        "phone",
        "agent",
        "queue",
        "group",
        "meetme",
        "voicemail",
        "incall",
        "trunk",
        "phonebook",
    ],
)
def test_every_list_notice_of_the_reference_is_acknowledged(name: str) -> None:
    with webi_daemon() as daemon:
        payload = f"xivo[{name}list,update]\n".encode()
        assert exchange(address(daemon), payload) == ["XIVO-WEBI:OK"]


def test_unknown_notices_answer_ko() -> None:
    with webi_daemon() as daemon:
        payload = b"xivo[ctiprofilelist,get]\nxivo[bogus,update]\n"
        assert exchange(address(daemon), payload) == ["XIVO-WEBI:KO <unknown notification>"] * 2


def test_the_php_literal_backslash_n_separates_commands_in_one_line() -> None:
    with webi_daemon() as daemon:
        fake = with_asterisk(daemon)
        payload = b"xivo[userlist,update]\\nxivo[queuelist,update]\\ncore show version\n"
        assert exchange(address(daemon), payload) == [
            "XIVO-WEBI:OK",
            "XIVO-WEBI:OK",
            "XIVO-CLI-WEBI:ID xivo",
            VERSION,
            "XIVO-CLI-WEBI:OK",
        ]
        assert fake.commands == ["core show version"]


def test_several_lines_sent_at_once_are_one_message_answered_then_closed() -> None:
    with webi_daemon() as daemon:
        with_asterisk(daemon)
        payload = b"xivo[userlist,update]\r\ncore show version\nxivo[cticonfig,update]\n"
        assert exchange(address(daemon), payload) == [
            "XIVO-WEBI:OK",
            "XIVO-CLI-WEBI:ID xivo",
            VERSION,
            "XIVO-CLI-WEBI:OK",
            "XIVO-WEBI:OK",
        ]


# --- the CLI relay --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "relayed"),
    [
        ("core show version", "core show version"),
        ("  core \t show   version  ", "core show version"),
        ("core show channels", "core show channels"),
        ("dialplan reload", "dialplan reload"),
        ("module reload", "module reload"),
        ("module reload app_queue.so", "module reload app_queue.so"),
    ],
)
def test_whitelisted_commands_are_relayed_in_canonical_form(sent: str, relayed: str) -> None:
    with webi_daemon() as daemon:
        fake = with_asterisk(daemon)
        reply = exchange(address(daemon), sent.encode() + b"\n")
        assert fake.actions == [("Command", {"Command": relayed}, 2.0)]
        assert reply[0] == "XIVO-CLI-WEBI:ID xivo"
        assert reply[-1] in ("XIVO-CLI-WEBI:OK", "XIVO-CLI-WEBI:KO <error: Command output follows>")


@pytest.mark.parametrize(
    "sent",
    [
        b"core stop now",
        b"core show version; core stop now",
        b"core show version && core stop now",
        b"core show version\rcore stop now",
        b"module reload ../x",
        b"module reload app_queue.so; core stop now",
        b"Core Show Version",
        b"sip reload",
        b"\xff\xfe core show version",
    ],
)
def test_anything_else_is_refused_and_never_reaches_asterisk(sent: bytes) -> None:
    with webi_daemon() as daemon:
        fake = with_asterisk(daemon)
        assert exchange(address(daemon), sent + b"\n") == [REFUSED]
        assert fake.actions == []
        assert daemon.status()["plugins"]["webi"]["refused"] == 1


def test_a_second_command_smuggled_after_a_newline_is_checked_on_its_own() -> None:
    with webi_daemon() as daemon:
        fake = with_asterisk(daemon)
        for payload in (
            b"core show version\\ncore stop now\n",
            b"core show version\ncore stop now\n",
        ):
            assert exchange(address(daemon), payload) == [
                "XIVO-CLI-WEBI:ID xivo",
                VERSION,
                "XIVO-CLI-WEBI:OK",
                REFUSED,
            ]
        assert fake.commands == ["core show version", "core show version"]


def test_an_asterisk_error_answers_its_output_then_ko() -> None:
    with webi_daemon() as daemon:
        fake = with_asterisk(daemon)
        del fake.answers["core show version"]
        assert exchange(address(daemon), b"core show version\n") == [
            "XIVO-CLI-WEBI:ID xivo",
            "No such command 'core show version'",
            "XIVO-CLI-WEBI:KO <error: Command output follows>",
        ]


def test_without_an_ami_link_the_cli_answers_ko() -> None:
    with webi_daemon() as daemon:
        assert exchange(address(daemon), b"core show channels\n") == [
            "XIVO-CLI-WEBI:ID xivo",
            "XIVO-CLI-WEBI:KO <no AMI link>",
        ]
        fake = with_asterisk(daemon)
        fake.answers["dialplan reload"] = IpbxUnavailable("AMI link lost while waiting")
        assert exchange(address(daemon), b"dialplan reload\n")[-1] == (
            "XIVO-CLI-WEBI:KO <no AMI link>"
        )


def test_a_cli_command_past_its_timeout_answers_ko() -> None:
    config = {"plugins": {"webi": {"cli_timeout": "500ms"}}}
    with webi_daemon(config) as daemon:
        fake = with_asterisk(daemon)
        fake.answers["core show channels"] = ActionTimeout("no answer within 0.5 s")
        assert exchange(address(daemon), b"core show channels\n") == [
            "XIVO-CLI-WEBI:ID xivo",
            "XIVO-CLI-WEBI:KO <timeout after 0.5 s>",
        ]
        assert fake.actions == [("Command", {"Command": "core show channels"}, 0.5)]


def test_hostile_output_lines_stay_one_line_each() -> None:
    with webi_daemon() as daemon:
        fake = with_asterisk(daemon)
        fake.answers["core show channels"] = ActionResult(
            "Success", {}, output=("PJSIP/1-01 Evil\rXIVO-CLI-WEBI:OK", "1 active channel")
        )
        assert exchange(address(daemon), b"core show channels\n") == [
            "XIVO-CLI-WEBI:ID xivo",
            "PJSIP/1-01 Evil\\rXIVO-CLI-WEBI:OK",
            "1 active channel",
            "XIVO-CLI-WEBI:OK",
        ]


def test_the_cli_relay_through_the_ami_plugin_and_a_fake_asterisk() -> None:
    with FakeAmi() as asterisk:
        config = {
            "ipbx": {
                "ami": {"host": "127.0.0.1", "port": asterisk.address[1], "secret": "ctidpass"}
            }
        }
        with webi_daemon(config, ami=AmiPlugin()) as daemon:
            wait_until(lambda: daemon.ipbx.connected, message="AMI login")
            assert exchange(address(daemon), b"core show version\ncore stop now\n") == [
                "XIVO-CLI-WEBI:ID xivo",
                VERSION,
                "XIVO-CLI-WEBI:OK",
                REFUSED,
            ]
        commands = [a.header("Command") for a in asterisk.actions if a.name == "Command"]
        assert commands == ["core show version"]


# --- who may connect, and bounds ------------------------------------------------------------


def test_a_peer_outside_allowed_sources_is_told_and_disconnected() -> None:
    config = {"plugins": {"webi": {"allowed_sources": ["10.0.0.0/8", "192.168.1.7"]}}}
    crm = Crm()
    with webi_daemon(config, crm=crm) as daemon:
        fake = with_asterisk(daemon)
        crm.people.append({"login": "mallory"})
        reply = exchange(address(daemon), b"xivo[userlist,update]\ncore show version\n")
        assert reply == ["XIVO-CLI-WEBI:KO <NOT ALLOWED FROM 127.0.0.1>"]
        assert daemon.users.by_login("mallory") is None
        assert fake.actions == []
        assert daemon.status()["plugins"]["webi"]["not_allowed"] == 1


def test_an_invalid_allowed_source_is_a_config_error() -> None:
    from ctid.config import ConfigError  # noqa: PLC0415  (the core's error, tests only)

    with (
        pytest.raises(ConfigError, match="expected IP addresses or networks"),
        webi_daemon({"plugins": {"webi": {"allowed_sources": ["localhost"]}}}),
    ):
        pass


def test_a_huge_line_closes_only_that_connection() -> None:
    with webi_daemon({"limits": {"max_line": 1024}}) as daemon:
        with socket.create_connection(address(daemon), timeout=5) as idle:
            assert exchange(address(daemon), b"x" * 5000 + b"\n") == [
                "XIVO-WEBI:KO <line too long>"
            ]
            idle.sendall(b"xivo[userlist,update]\n")
            assert idle.recv(100) == b"XIVO-WEBI:OK\n"
        assert exchange(address(daemon), b"xivo[userlist,update]\n") == ["XIVO-WEBI:OK"]


def test_too_many_commands_in_one_message_are_cut() -> None:
    with webi_daemon() as daemon:
        payload = b"\\n".join([b"xivo[queuelist,update]"] * 150) + b"\n"
        reply = exchange(address(daemon), payload)
        assert reply == ["XIVO-WEBI:OK"] * 100 + [
            "XIVO-WEBI:KO <too many commands: only the first 100 ran>"
        ]


def test_status_counts_what_the_port_did() -> None:
    with webi_daemon() as daemon:
        exchange(address(daemon), b"xivo[userlist,update]\\ncore stop now\\ncore show version\n")
        status = daemon.status()["plugins"]["webi"]
        assert status["notices"] == 1
        assert status["refused"] == 1
        assert status["cli"] == 1
        assert status["address"] == f"127.0.0.1:{address(daemon)[1]}"
