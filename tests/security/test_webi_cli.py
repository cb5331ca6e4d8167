"""The webi port's Asterisk CLI relay: only whitelisted commands reach Asterisk, and what is sent
is the canonical whitelist text, never the client's bytes (XiVO 1.1 relayed `core stop now`)."""

import re
import socket
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid_webi.plugin import WebiPlugin
from ctid_webi.webi import WHITELIST, cli_command

pytestmark = pytest.mark.timeout(60)

HOSTILE = [
    "core stop now",
    "core restart now",
    "core show version; core stop now",
    "core show version | core stop now",
    "core show version && core stop now",
    "core show version\\ncore stop now",  # the literal two characters: two commands
    "core show version\rcore stop now",
    "core show version\x00core stop now",
    "core show version\u2028core stop now",
    "Core Show Version",
    "module reload app_queue.so core stop now",
    "module reload ../../usr/lib/evil.so",
    "module reload 'app_queue.so'",
    "module reload $(reboot)",
    "module load evil.so",
    "originate Local/1@default application System reboot",
    "!reboot",
    "dialplan reload\tcore stop now",
]


MODULE = re.compile(r"module reload [A-Za-z0-9_]{1,64}(\.so)?")
"""The one open-ended entry: a plain module name, no path, quote or separator."""


def allowed_text(text: str) -> bool:
    return text in WHITELIST or MODULE.fullmatch(text) is not None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_whatever_is_typed_only_whitelisted_text_can_come_out(typed: str) -> None:
    sent = cli_command(typed)
    assert sent is None or allowed_text(sent), (typed, sent)
    assert sent is None or sent.isprintable()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_module_reload_takes_one_plain_module_name(name: str) -> None:
    sent = cli_command(f"module reload {name}")
    assert sent is None or allowed_text(sent), (name, sent)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(WHITELIST - {"module reload"})),
    st.text(alphabet=";|&$`'\"\n\r\\ab", min_size=1, max_size=10).filter(str.strip),
)
def test_a_whitelisted_command_with_anything_appended_is_refused(command: str, tail: str) -> None:
    assert cli_command(f"{command}{tail}") is None
    assert cli_command(f"{command} {tail}") is None


def relay(address: tuple[str, int], message: str) -> list[str]:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(message.encode("utf-8") + b"\n")
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.decode("utf-8").splitlines()


def test_hostile_commands_never_reach_asterisk(site: Any) -> None:
    site.start(plugins={"webi": WebiPlugin()})
    address = site.daemon.objects["webi"].server.address
    for message in HOSTILE:
        relay(address, message)
    relay(address, "core   show  version")  # spacing is normalized: the canonical text goes
    sent = [fields["Command"] for action, fields in site.recorder.actions if action == "Command"]
    # The first half of the literal-\n message, and the normalized one: nothing else went out.
    assert sent == ["core show version", "core show version"]
    assert site.daemon.status()["plugins"]["webi"]["refused"] == len(HOSTILE)
