"""Commands typed at the client's prompt: what each sends, what is refused with its usage, and
how an answer reads."""

from typing import Any

import pytest

from ctid.client.commands import HELP, CommandError, outcome, parse


@pytest.mark.parametrize(
    ("line", "sent"),
    [
        ("dial 1002", {"class": "ipbxcommand", "command": "dial", "destination": "1002"}),
        ("  DIAL  +33 ", {"class": "ipbxcommand", "command": "dial", "destination": "+33"}),
        ('dial "06 12 34 56 78"',
         {"class": "ipbxcommand", "command": "dial", "destination": "06 12 34 56 78"}),
        ("hangup PJSIP/1001-00000002",
         {"class": "ipbxcommand", "command": "hangup", "channelids": "PJSIP/1001-00000002"}),
        ("transfer PJSIP/1001-00000002 1003",
         {"class": "ipbxcommand", "command": "transfer", "source": "PJSIP/1001-00000002",
          "destination": "1003"}),
        ("presence away", {"class": "availstate", "availstate": "away"}),
    ],
)  # fmt: skip
def test_each_command_sends_its_request(line: str, sent: dict[str, Any]) -> None:
    command = parse(line)
    assert command is not None and command.request == sent
    assert command.text == line.strip()


def test_hangup_without_a_channel_hangs_up_the_current_call() -> None:
    command = parse("hangup", current_channel="PJSIP/1001-00000007")
    assert command is not None and command.request is not None
    assert command.request["channelids"] == "PJSIP/1001-00000007"
    with pytest.raises(CommandError, match="no current call"):
        parse("hangup", current_channel=None)


@pytest.mark.parametrize("line", ["", "   ", "\t"])
def test_blank_lines_are_nothing(line: str) -> None:
    assert parse(line) is None


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("dail 1002", "unknown command 'dail'"),
        ("dial", "usage: dial <number>"),
        ("dial 1 2", "usage: dial <number>"),
        ("transfer PJSIP/1001-1", "usage: transfer <channel> <number>"),
        ("presence", "usage: presence <state>"),
        ("quit now", "usage: quit"),
        ('dial "1002', "cannot read the line"),
        ("dial " + "1" * 2000, "at most 1000 characters"),
    ],
)
def test_mistakes_are_told_with_the_usage(line: str, error: str) -> None:
    with pytest.raises(CommandError, match=error):
        parse(line)


def test_local_commands_send_nothing() -> None:
    for line in ("help", "quit", "QUIT"):
        command = parse(line)
        assert command is not None and command.request is None
    assert "dial <number>" in HELP and "transfer <channel> <number>" in HELP


@pytest.mark.parametrize(
    ("reply", "result"),
    [
        ({"class": "ipbxcommand", "status": "ok", "message": "Originate successfully queued"},
         (True, "Originate successfully queued")),
        ({"class": "ipbxcommand", "status": "ko", "message": "baddestination"},
         (False, "baddestination")),
        ({"class": "availstate", "availstate": "away"}, (True, "presence away")),
        ({"class": "availstate", "warning_string": "not_allowed"}, (False, "not_allowed")),
    ],
)  # fmt: skip
def test_answers_read_as_success_or_failure(
    reply: dict[str, Any], result: tuple[bool, str]
) -> None:
    assert outcome(reply) == result
