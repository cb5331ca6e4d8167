"""Fuzzing the AMI parser: any bytes cut anywhere cost bounded memory and fail only with
AmiProtocolError; well-formed streams parse to exactly what was sent, however they are read."""

from __future__ import annotations

import itertools

from hypothesis import assume, given
from hypothesis import strategies as st

from ctid.testing.strategies import (
    ami_bytes,
    ami_command_output,
    ami_messages,
    cut_points,
    fuzz_settings,
)
from ctid_ami.protocol import AmiMessage, AmiParser, AmiProtocolError

Snapshot = list[tuple[dict[str, str], dict[str, list[str]]]]
FLUSH = b"\r\n\r\nEvent: Flush\r\n\r\n"
"""Ends whatever message is pending, so that two parses can be compared to the end."""


def reads(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at `cuts` (taken modulo its length + 1), as successive socket reads."""
    bounds = [0, *sorted({cut % (len(data) + 1) for cut in cuts}), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


def snapshot(messages: list[AmiMessage]) -> Snapshot:
    return [(dict(m), {key: m.getall(key) for key in m}) for m in messages]


def parse(chunks: list[bytes], **bounds: int) -> Snapshot | str:
    """What a parser makes of the reads, or `"rejected"`."""
    parser = AmiParser(**bounds)
    messages: list[AmiMessage] = []
    try:
        for chunk in chunks:
            messages += parser.feed(chunk)
    except AmiProtocolError:
        return "rejected"
    return snapshot(messages)


@fuzz_settings(300)
@given(
    data=ami_bytes(),
    cuts=cut_points(),
    max_line=st.integers(min_value=1, max_value=200),
    extra=st.integers(min_value=0, max_value=400),
)
def test_any_bytes_raise_only_protocol_errors_within_the_bounds(
    data: bytes, cuts: list[int], max_line: int, extra: int
) -> None:
    parser = AmiParser(max_line=max_line, max_message=max_line + extra)
    try:
        for chunk in reads(data, cuts):
            parser.feed(chunk)
            assert parser.buffered <= parser.max_message
    except AmiProtocolError:
        pass


@fuzz_settings(300)
@given(data=ami_bytes(), cuts=cut_points())
def test_chunking_never_changes_the_messages_of_a_stream(data: bytes, cuts: list[int]) -> None:
    # An Asterisk ≤ 13 command output runs to its end marker whatever blank lines it holds: a
    # `Response: Follows` that never ends is read differently depending on where reads cut it
    # (it swallows what follows up to the message bound, or ends at a blank line); valid
    # streams always end it, see the next test.
    assume(b"Follows" not in data)
    data += FLUSH

    assert parse(reads(data, cuts)) == parse([data])


def wire(items: list[tuple[str, list[tuple[str, str]] | list[str]]], eol: str) -> bytes:
    """Messages as Asterisk writes them; `follows` items as an Asterisk ≤ 13 command output."""
    text = []
    for kind, body in items:
        if kind == "message":
            text.append("".join(f"{key}: {value}{eol}" for key, value in body) + eol)
        else:
            output = "".join(f"{line}\n" for line in body)
            head = f"Response: Follows{eol}Privilege: Command{eol}"
            text.append(f"{head}{output}--END COMMAND--{eol}{eol}")
    return "".join(text).encode()


def expected(items: list[tuple[str, list[tuple[str, str]] | list[str]]]) -> Snapshot:
    """What each item must parse to: first value per key, every value in `getall`."""
    result: Snapshot = []
    for kind, body in items:
        lines = body if kind == "message" else [("Response", "Follows"), ("Privilege", "Command")]
        first: dict[str, str] = {}
        every: dict[str, list[str]] = {}
        for key, value in lines:
            first.setdefault(key, value)
            every.setdefault(key, []).append(value)
        if kind == "follows" and body:
            first["Output"], every["Output"] = body[0], list(body)
        result.append((first, every))
    return result


items = st.lists(
    st.one_of(
        st.tuples(st.just("message"), ami_messages()),
        st.tuples(st.just("follows"), ami_command_output()),
    ),
    max_size=6,
)


@fuzz_settings(300)
@given(
    items=items,
    cuts=cut_points(),
    eol=st.sampled_from(["\r\n", "\n"]),
    banner=st.booleans(),
)
def test_valid_streams_parse_to_what_was_sent_however_they_are_read(
    items: list[tuple[str, list[tuple[str, str]] | list[str]]],
    cuts: list[int],
    eol: str,
    banner: bool,
) -> None:
    # A message whose first line is `Response: Follows` is a command output, not this shape.
    assume(all(kind == "follows" or body[0] != ("Response", "Follows") for kind, body in items))
    data = (f"Asterisk Call Manager/11.0.0{eol}".encode() if banner else b"") + wire(items, eol)
    parser = AmiParser()
    messages: list[AmiMessage] = []
    for chunk in reads(data, cuts):
        messages += parser.feed(chunk)

    assert snapshot(messages) == expected(items)
    assert parser.buffered == 0
    assert parser.version == ("11.0.0" if banner else None)
