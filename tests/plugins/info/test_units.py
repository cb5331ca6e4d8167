"""The info console's pure parts: escaping, value formatting, the dump filter and fan-out."""

import json

import pytest

from ctid_info.commands import as_value, fields
from ctid_info.console import encode, printable
from ctid_info.dump import AmiDump, DumpFilterError, describe, parse_filter


class Sink:
    def __init__(self, accept: bool = True) -> None:
        self.lines: list[str] = []
        self.accept = accept

    def write(self, line: str) -> bool:
        self.lines.append(line)
        return self.accept


def test_printable_escapes_whatever_could_break_or_forge_a_line() -> None:
    hostile = "Evil\nXIVO-INFO:OK\r\x1b[2J\x85\u2028\x00é\tend"
    assert printable(hostile) == "Evil\\nXIVO-INFO:OK\\r\\x1b[2J\\x85\\u2028\\x00é\tend"


def test_encode_gives_one_wire_line_per_line() -> None:
    assert encode(["a\nb", "c"]) == b"a\\nb\nc\n"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("up", "up"),
        ("", '""'),
        ("two words", '"two words"'),
        (3, "3"),
        (1.5, "1.5"),
        (True, "true"),
        (None, "null"),
        ({"a": 1}, '{"a": 1}'),
    ],
)
def test_status_values_are_plain_when_one_word_and_json_otherwise(
    value: object, shown: str
) -> None:
    assert as_value(value) == shown


def test_fields_leave_out_an_empty_last_failure() -> None:
    assert fields({"state": "loaded", "failures": 0, "last_failure": ""}) == (
        "state=loaded failures=0"
    )


def test_the_dump_filter_takes_comma_separated_names_case_insensitively() -> None:
    assert parse_filter([]) is None
    assert parse_filter(["Newchannel,Hangup", "VarSet"]) == {"newchannel", "hangup", "varset"}
    assert describe(parse_filter(["Hangup,Newchannel"])) == "hangup,newchannel"
    assert describe(None) == "all events"
    with pytest.raises(DumpFilterError):
        parse_filter(["Hangup;rm"])
    with pytest.raises(DumpFilterError):
        parse_filter([",".join(f"E{n}" for n in range(65))])


def test_publishing_with_nobody_dumping_formats_nothing() -> None:
    dump = AmiDump()
    assert dump.publish("xivo", {"Event": "Newchannel"}) == 0
    assert dump.events_dumped == 0


def test_publishing_formats_once_and_honours_each_filter() -> None:
    dump = AmiDump()
    everything, hangups = Sink(), Sink()
    dump.subscribe(everything, None)
    dump.subscribe(hangups, parse_filter(["hangup"]))
    dump.publish("xivo", {"Event": "Newchannel", "CallerIDName": "A\nB"})
    dump.publish("xivo", {"Event": "Hangup"})
    assert len(everything.lines) == 2
    assert hangups.lines == ['ami xivo {"Event": "Hangup"}']
    prefix, ipbx, payload = everything.lines[0].split(" ", 2)
    assert (prefix, ipbx) == ("ami", "xivo")
    assert json.loads(payload) == {"Event": "Newchannel", "CallerIDName": "A\nB"}
    assert dump.events_dumped == 2


def test_a_console_that_refuses_a_line_is_unsubscribed() -> None:
    dump = AmiDump()
    gone = Sink(accept=False)
    dump.subscribe(gone, None)
    assert dump.publish("xivo", {"Event": "Newchannel"}) == 0
    assert len(dump) == 0
    assert not dump.dumping(gone)
