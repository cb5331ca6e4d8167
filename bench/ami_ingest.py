"""AMI ingest benchmark: ctid's parser against panoramisk 1.4 and a pure-Python floor.

Run from the repository root:  python bench/ami_ingest.py [--events N] [--rounds R]

Every contender reads the same bytes in the same run: the events of the real Asterisk 22
captures in tests/data/ami/, repeated until the stream holds at least N events, behind one
banner, fed in 64 KiB chunks as a socket would deliver them. Each measurement is repeated
R times, interleaved so that machine noise hits every contender alike; the best run counts.
The last line printed is the one to compare across commits.
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import time
from collections.abc import Callable, Iterator

from panoramisk.ami_protocol import AMIProtocol

from ctid.api import hookimpl
from ctid.calls import CallModel
from ctid.ipbx import Ipbx
from ctid.plugins import Hooks
from ctid_ami.protocol import AmiParser

ROOT = pathlib.Path(__file__).resolve().parent.parent

CHUNK = 64 * 1024
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def build_stream(min_events: int) -> tuple[bytes, int]:
    """Return (stream, event count): the captures' events repeated, behind one banner."""
    events = []
    for path in sorted((ROOT / "tests" / "data" / "ami").glob("*.txt")):
        body = path.read_bytes().split(b"\r\n", 1)[1]  # drop the banner line
        events += [m + b"\r\n\r\n" for m in body.split(b"\r\n\r\n") if m.startswith(b"Event:")]
    one_pass = b"".join(events)
    repeats = -(-min_events // len(events))
    return BANNER + one_pass * repeats, len(events) * repeats


def chunks(stream: bytes) -> Iterator[bytes]:
    for start in range(0, len(stream), CHUNK):
        yield stream[start : start + CHUNK]


def ctid_parser(stream: bytes) -> int:
    """ctid's parser alone."""
    parser = AmiParser()
    count = 0
    for chunk in chunks(stream):
        count += len(parser.feed(chunk))
    return count


class _Quiet:
    """A do-nothing plugin on both hot-path hooks, so dispatch is part of what is timed."""

    @hookimpl
    def ctid_ami_event_received(self, event: object) -> None:
        pass

    @hookimpl
    def ctid_call_event_emitted(self, event: object) -> None:
        pass


def full_ingest(stream: bytes) -> int:
    """Everything ctid does with an event between the socket and the plugins: the parser, the
    AMI event hook, the call model, and the call event hook (do-nothing plugins)."""
    hooks = Hooks()
    hooks.register("quiet", _Quiet())
    ipbx = Ipbx("xivo", hooks, CallModel(ipbx_id="xivo", incoming_contexts=["from-extern"]))
    parser = AmiParser()
    count = 0
    ingest = ipbx.ingest
    for chunk in chunks(stream):
        for message in parser.feed(chunk):
            if "Event" in message:
                ingest(message)
            count += 1
    return count


class _CountingProtocol(AMIProtocol):  # type: ignore[misc]  # panoramisk ships no type hints
    """panoramisk's protocol with dispatch replaced by a counter, so only parsing is timed."""

    count = 0

    def handle_message(self, message: object) -> None:
        self.count += 1


class _NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def panoramisk_parser(stream: bytes) -> int:
    """panoramisk 1.4: `AMIProtocol.data_received` → `Message.from_line`, as in production."""
    protocol = _CountingProtocol()
    protocol.connection_made(_NullTransport())
    for chunk in chunks(stream):
        protocol.data_received(chunk)
    return protocol.count


def floor(stream: bytes) -> int:
    """The least a pure-Python parser can do: split on blank lines, partition each line."""
    pending = ""
    count = 0
    for chunk in chunks(stream):
        blocks = (pending + chunk.decode("utf-8", "replace")).split("\r\n\r\n")
        pending = blocks.pop()
        for block in blocks:
            message = {}
            for line in block.split("\r\n"):
                key, _, value = line.partition(": ")
                message[key] = value
            count += 1
    return count


def measure(
    contenders: dict[str, Callable[[bytes], int]], stream: bytes, rounds: int
) -> dict[str, tuple[float, int]]:
    """Best (seconds, messages) per contender over `rounds` interleaved runs."""
    best: dict[str, tuple[float, int]] = {}
    for _ in range(rounds):
        for name, run in contenders.items():
            gc.collect()
            start = time.perf_counter()
            count = run(stream)
            elapsed = time.perf_counter() - start
            if name not in best or elapsed < best[name][0]:
                best[name] = (elapsed, count)
    return best


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--events", type=int, default=200_000)
    options.add_argument("--rounds", type=int, default=5)
    args = options.parse_args()

    stream, events = build_stream(args.events)
    print(f"stream: {events} events, {len(stream) / 1e6:.1f} MB, {CHUNK // 1024} KiB chunks")
    contenders: dict[str, Callable[[bytes], int]] = {
        "parser": ctid_parser,
        "ingest": full_ingest,
        "panoramisk": panoramisk_parser,
        "floor": floor,
    }
    best = measure(contenders, stream, args.rounds)
    rate = {}
    for name, (elapsed, count) in best.items():
        rate[name] = events / elapsed
        print(f"{name:>10}: {rate[name]:>10,.0f} events/s  ({count} messages, {elapsed:.3f} s)")
    print(
        f"parser/panoramisk={rate['parser'] / rate['panoramisk']:.2f} "
        f"ingest/panoramisk={rate['ingest'] / rate['panoramisk']:.2f} "
        f"parser/floor={rate['parser'] / rate['floor']:.2f}"
    )


if __name__ == "__main__":
    main()
