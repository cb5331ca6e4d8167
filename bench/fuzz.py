"""Long fuzz runs: the property tests of tests/fuzz/, each with as many examples as asked.

Run from the repository root:

    python bench/fuzz.py                          # every target, 100,000 examples per property
    python bench/fuzz.py --examples 100000 --split --jobs 2 --budget 120
    python bench/fuzz.py --target ami_parser cti --examples 20000 --seed 7

A target is a file `tests/fuzz/test_<target>.py`; its property tests (the `@given` ones) run
through pytest with `CTID_FUZZ_EXAMPLES` set, which every fuzz test's settings obey, so a long
run checks exactly the invariants the suite checks, on the strategies of
`ctid.testing.strategies` (tests/conftest.py patches gevent in, as for the suite). No example
database: each run starts fresh (`--seed` repeats one). With `--split`, `--examples` is per
target, shared evenly by its properties; `--budget S` stops a property after S seconds (it is
reported `budget`, with the examples it ran); `--jobs N` runs the targets in N processes.
Printed per property as it ends: examples run (calls of the test body, shrinking included),
outcome, wall time; for a failure, Hypothesis' minimal reproducer. Then one line per target.
Exit status 1 if any property failed.

`--atheris SECONDS` runs instead a coverage-guided (libFuzzer) fuzzing of the AMI parser, when
atheris is installed (the `bench` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

from ctid.testing.strategies import EXAMPLES_VARIABLE

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUZZ = ROOT / "tests" / "fuzz"
REPRODUCER_MARKS = ("Falsifying example", "Failing test case")
BUDGET = "time budget spent"


def targets() -> list[str]:
    """Every target name, from the files of tests/fuzz/."""
    return sorted(path.stem.removeprefix("test_") for path in FUZZ.glob("test_*.py"))


def properties(name: str) -> int:
    """How many properties a target file holds (its `@given` tests)."""
    return max(1, (FUZZ / f"test_{name}.py").read_text(encoding="utf-8").count("\n@given("))


class Recorder:
    """A pytest plugin: keeps only property tests, counts their examples, stops each at its time
    budget, and prints each outcome as it comes."""

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self.counts: dict[str, int] = {}
        self.results: list[dict[str, Any]] = []

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        keep = [item for item in items if hasattr(getattr(item, "obj", None), "hypothesis")]
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
        for item in keep:
            # Hypothesis documents `inner_test` as replaceable: wrap it to count the examples.
            handle = item.obj.hypothesis
            handle.inner_test = self._counting(item.nodeid, handle.inner_test)

    def _counting(self, nodeid: str, test: Callable[..., Any]) -> Callable[..., Any]:
        self.counts[nodeid] = 0
        deadline: list[float] = []

        def counted(*args: Any, **kwargs: Any) -> Any:
            if not deadline:
                deadline.append(time.monotonic() + (self.budget or float("inf")))
            elif time.monotonic() > deadline[0]:
                # Hypothesis lets a skip through at once: no shrinking, the next test runs.
                pytest.skip(BUDGET)
            self.counts[nodeid] += 1
            return test(*args, **kwargs)

        return counted

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:  # a target that does not import is a failure, not an empty run
            result = {"test": f"{report.nodeid}::<collect>", "examples": 0, "outcome": "failed"}
            result.update(seconds=0.0, reproducer=report.longreprtext[-2000:])
            self.results.append(result)
            print(line(result), flush=True)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when != "call" and report.passed:
            return
        outcome = "budget" if report.skipped and BUDGET in str(report.longrepr) else report.outcome
        result = {
            "test": report.nodeid,
            "examples": self.counts.get(report.nodeid, 0),
            "outcome": outcome,
            "seconds": round(report.duration, 1),
            "reproducer": reproducer(report.longreprtext) if report.failed else "",
        }
        self.results.append(result)
        print(line(result), flush=True)


def reproducer(text: str) -> str:
    """Hypothesis' minimal failing example and the error, out of a pytest failure report."""
    lines = [line.removeprefix("E").strip() for line in text.splitlines()]
    errors = [line for line in lines if line.split(":", 1)[0].endswith(("Error", "Exception"))]
    for index, text_line in enumerate(lines):
        if text_line.startswith(REPRODUCER_MARKS):
            block = [text_line]
            for follow in lines[index + 1 :]:
                block.append(follow)
                if follow == ")":
                    break
            return "\n".join(errors[-1:] + block)
    return "\n".join(errors[-1:]) or text[-2000:]


def line(result: dict[str, Any]) -> str:
    """One property's outcome, and its reproducer below it."""
    name = result["test"].removeprefix("tests/fuzz/test_")
    rate = result["examples"] / result["seconds"] if result["seconds"] else 0
    text = (
        f"{name:<92} {result['examples']:>9} {result['outcome']:>8} "
        f"{result['seconds']:>8.1f} {rate:>6.0f}"
    )
    if result["reproducer"]:
        text += "\n    " + result["reproducer"].replace("\n", "\n    ")
    return text


@contextlib.contextmanager
def environment(examples: int) -> Iterator[None]:
    old = os.environ.get(EXAMPLES_VARIABLE)
    os.environ[EXAMPLES_VARIABLE] = str(examples)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(EXAMPLES_VARIABLE, None)
        else:
            os.environ[EXAMPLES_VARIABLE] = old


def run(options: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the targets' properties in this process, one pytest session per target (the example
    count is read when a test module is imported); one result per property."""
    # The fuzz tests build their settings at import, from the profile loaded now.
    settings.register_profile("ctid-fuzz-bench", database=None, print_blob=True)
    settings.load_profile("ctid-fuzz-bench")
    recorder = Recorder(options.budget)
    for name in options.target:
        # The recorder prints the outcomes: pytest's own terminal output would only interleave.
        arguments = [str(FUZZ / f"test_{name}.py"), "-p", "no:cacheprovider", "-p", "no:terminal"]
        # No test timeout; pyproject's addopts less `-ra`, a terminal option.
        arguments += ["-o", "timeout=0", "-o", "addopts=--strict-markers --import-mode=importlib"]
        if options.seed is not None:
            arguments.append(f"--hypothesis-seed={options.seed}")
        count = options.examples
        if options.split:
            count = -(-count // properties(name))
        with environment(count):
            pytest.main(arguments, plugins=[recorder])
    return recorder.results


def run_jobs(options: argparse.Namespace) -> list[dict[str, Any]]:
    """Split the targets over `--jobs` processes (one core each); gather their results."""
    # Balanced by property count, since a budget bounds each property's time.
    loads: list[list[str]] = [[] for _ in range(options.jobs)]
    for name in sorted(options.target, key=properties, reverse=True):
        min(loads, key=lambda share: sum(map(properties, share))).append(name)
    shares = [share for share in loads if share]
    common = ["--examples", str(options.examples), "--jobs", "1"]
    common += ["--seed", str(options.seed)] if options.seed is not None else []
    common += ["--budget", str(options.budget)] if options.budget is not None else []
    common += ["--split"] if options.split else []
    with tempfile.TemporaryDirectory() as scratch:
        outputs = [pathlib.Path(scratch) / f"{index}.json" for index in range(len(shares))]
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, *common, "--json", str(output), "--target", *share]
            )
            for share, output in zip(shares, outputs, strict=True)
        ]
        for worker in workers:
            worker.wait()
        return [result for output in outputs for result in json.loads(output.read_text())]


def report(results: list[dict[str, Any]], wall: float) -> int:
    """Print one line per target after the properties' lines; the exit status."""
    by_target: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        target = result["test"].removeprefix("tests/fuzz/test_").split(".py::", 1)[0]
        by_target.setdefault(target, []).append(result)
    print(f"\n{'target':<20} {'examples':>9} {'failed':>7} {'seconds':>8}")
    for target, found in sorted(by_target.items()):
        failures = sum(r["outcome"] == "failed" for r in found)
        seconds = sum(r["seconds"] for r in found)
        print(f"{target:<20} {sum(r['examples'] for r in found):>9} {failures:>7} {seconds:>8.0f}")
    failed = [r for r in results if r["outcome"] == "failed"]
    print(
        f"{len(results)} properties, {len(failed)} failed, "
        f"{sum(r['examples'] for r in results)} examples run, {wall:.0f} s wall"
    )
    return 1 if failed or not results else 0


def atheris_ami_parser(seconds: int) -> None:
    """Coverage-guided fuzzing of the AMI parser with atheris (libFuzzer), `seconds` long: any
    bytes, any reads, any bounds; only AmiProtocolError, the buffer within its bound, and the
    same messages however reads cut a stream without command output. libFuzzer prints its
    statistics (`#runs`, `exec/s`, coverage) and exits the process."""
    import atheris  # noqa: PLC0415  (optional: `pip install atheris`, the bench extra has it)

    with atheris.instrument_imports():
        from ctid_ami.protocol import AmiParser, AmiProtocolError  # noqa: PLC0415

    def parse(chunks: list[bytes], max_line: int, max_message: int) -> list[dict[str, str]]:
        parser = AmiParser(max_line=max_line, max_message=max_message)
        messages: list[dict[str, str]] = []
        try:
            for chunk in chunks:
                messages += map(dict, parser.feed(chunk))
                if parser.buffered > max_message:
                    raise AssertionError(f"{parser.buffered} bytes held, bound {max_message}")
        except AmiProtocolError:
            return [{"rejected": ""}]
        return messages

    def one_input(data: bytes) -> None:
        given = atheris.FuzzedDataProvider(data)
        max_line = given.ConsumeIntInRange(1, 256)
        max_message = max_line + given.ConsumeIntInRange(0, 1024)
        cuts = given.ConsumeIntListInRange(given.ConsumeIntInRange(0, 8), 0, 4096)
        stream = given.ConsumeBytes(given.remaining_bytes())
        bounds = [0, *sorted({cut % (len(stream) + 1) for cut in cuts}), len(stream)]
        chunked = parse([stream[a:b] for a, b in itertools.pairwise(bounds)], max_line, max_message)
        whole = parse([stream], max_line, max_message)
        # A bound may trip at a different read (it is checked as bytes arrive); when neither
        # read trips one, what is parsed must not depend on where reads cut the stream.
        rejected = [{"rejected": ""}]
        if b"Follows" not in stream and rejected not in (chunked, whole) and chunked != whole:
            raise AssertionError(f"{chunked!r} read in pieces, {whole!r} at once")

    arguments = [sys.argv[0], f"-max_total_time={seconds}", "-print_final_stats=1"]
    atheris.Setup(arguments, one_input)
    atheris.Fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--target", nargs="+", choices=targets(), default=targets())
    parser.add_argument("--examples", type=int, default=100_000, help="per property")
    parser.add_argument(
        "--split", action="store_true", help="--examples per target, shared by its properties"
    )
    parser.add_argument("--budget", type=float, help="seconds after which a property stops")
    parser.add_argument("--jobs", type=int, default=1, help="processes (targets are split)")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed, to repeat a run")
    parser.add_argument(
        "--atheris", type=int, metavar="SECONDS", help="coverage-guided AMI parser run instead"
    )
    parser.add_argument("--json", type=pathlib.Path, help=argparse.SUPPRESS)  # a worker's output
    options = parser.parse_args()
    if options.atheris:
        atheris_ami_parser(options.atheris)
    started = time.monotonic()
    if options.json is None:
        print(f"{'property':<92} {'examples':>9} {'outcome':>8} {'seconds':>8} {'ex/s':>6}")
    results = run_jobs(options) if options.jobs > 1 else run(options)
    if options.json is not None:
        options.json.write_text(json.dumps(results))
        return 0
    return report(results, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
