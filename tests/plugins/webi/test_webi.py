"""The pure webi rules: message splitting, notices, the CLI whitelist, peers, escaping."""

import pytest

from ctid_webi import webi


def test_a_message_splits_on_the_literal_backslash_n_of_the_php_client() -> None:
    line = "xivo[userlist,update]\\nxivo[queuelist,update]\\n\\n  core show version  "
    assert webi.split_message(line) == [
        "xivo[userlist,update]",
        "xivo[queuelist,update]",
        "core show version",
    ]


def test_an_empty_message_has_no_command() -> None:
    assert webi.split_message("  \\n \t") == []


@pytest.mark.parametrize("name", ["user", "line", "phone"])
def test_user_lists_refresh_the_users(name: str) -> None:
    assert webi.parse(f"xivo[{name}list,update]") == webi.Command(webi.REFRESH_USERS, f"{name}list")


@pytest.mark.parametrize("name", sorted(webi.NOOP_LISTS))
def test_lists_without_a_source_in_ctid_are_no_ops(name: str) -> None:
    assert webi.parse(f"xivo[{name}list,update]").kind == webi.NOTHING


@pytest.mark.parametrize("command", ["xivo[cticonfig,update]", "xivo[daemon,reload]"])
def test_config_and_daemon_notices_reload(command: str) -> None:
    assert webi.parse(command).kind == webi.RELOAD


@pytest.mark.parametrize(
    "command",
    [
        "xivo[foolist,update]",
        "xivo[userlist,delete]",
        "xivo[ctiprofilelist,get]",
        "xivo[daemon,update]",
        "xivo[userlist,update",
        "xivo[userlist,update] core stop now",
        "xivo[user,edit,12]",
    ],
)
def test_other_notices_are_unknown(command: str) -> None:
    assert webi.parse(command) == webi.Command(webi.REFUSED, "unknown notification")


@pytest.mark.parametrize(
    ("command", "canonical"),
    [
        ("core show version", "core show version"),
        ("  core   show\tversion ", "core show version"),
        ("core show channels", "core show channels"),
        ("dialplan reload", "dialplan reload"),
        ("module reload", "module reload"),
        ("module reload app_queue.so", "module reload app_queue.so"),
        ("module  reload res_pjsip", "module reload res_pjsip"),
    ],
)
def test_whitelisted_commands_are_sent_in_canonical_form(command: str, canonical: str) -> None:
    assert webi.parse(command) == webi.Command(webi.CLI, canonical)


@pytest.mark.parametrize(
    "command",
    [
        "core stop now",
        "core show version; core stop now",
        "core show version;core stop now",
        "core show version && core stop now",
        "core show version | core stop now",
        "core show version\rcore stop now",
        "core show version\ncore stop now",
        "core show version\x00",
        "Core Show Version",
        "core show versions",
        "core show version extra",
        "!core stop now",
        "module reload ../x",
        "module reload /usr/lib/asterisk/modules/app_queue.so",
        "module reload app_queue.so; core stop now",
        "module reload app_queue.so core",
        "module reload app-queue",
        "module reload $(reboot)",
        "module unload app_queue.so",
        "sip reload",
        "reload",
        "",
    ],
)
def test_anything_else_is_refused(command: str) -> None:
    assert webi.cli_command(command) is None
    assert webi.parse(command) == webi.Command(webi.REFUSED, "refused: not in the whitelist")


def test_cli_reply_has_the_reference_shape_and_escapes_output() -> None:
    assert webi.cli_reply("xivo", ["a", "b\rc"], ok=True) == [
        "XIVO-CLI-WEBI:ID xivo",
        "a",
        "b\\rc",
        "XIVO-CLI-WEBI:OK",
    ]
    assert webi.cli_reply("xivo", [], ok=False, reason="no AMI link") == [
        "XIVO-CLI-WEBI:ID xivo",
        "XIVO-CLI-WEBI:KO <no AMI link>",
    ]


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("not an address", False),
    ],
)
def test_peers_are_checked_against_networks(peer: str, allowed: bool) -> None:
    assert webi.is_allowed(peer, webi.networks(["127.0.0.0/8", "::1"])) is allowed


def test_printable_escapes_control_characters_and_line_separators() -> None:
    assert webi.printable("a\nb\r\x1b[2J\u2028é\tz") == "a\\nb\\r\\x1b[2J\\u2028é\tz"
