"""One loaded CSV file: its rows, an index of normalized numbers and a search index; pure, no
gevent (the loader calls `pause` now and then so that its caller can yield).

Kept compact for files of millions of rows: a row is one string (values joined by a separator
that cannot occur in them), the number index maps each key to row ids, and the search index is one
case-folded text of every row's searched fields, scanned by `str.find` at C speed.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

from ctid.api import Record, index_keys

UNIT = "\x1f"
"""Separates the values of a stored row."""
FIELD = "\x1e"
"""Separates the searched fields of a row in the search text: a term never spans two."""
PAUSE_EVERY = 2000
MAX_PROBLEMS = 100
"""Bad rows described at most per load (all are counted)."""


class TableError(Exception):
    """The file cannot be used at all (too big, no header…); the previous table stays."""


@dataclasses.dataclass(frozen=True)
class Table:
    """An immutable snapshot of one file: swapped whole when the file changes."""

    columns: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    numbers: Mapping[str, int | list[int]] = dataclasses.field(default_factory=dict)
    text: str = ""
    starts: Sequence[int] = ()
    problems: tuple[str, ...] = ()
    bad_rows: int = 0

    def record(self, row: int) -> Record:
        """One row as a record: column → [value], empty cells left out."""
        values = self.rows[row].split(UNIT)
        return {name: [value] for name, value in zip(self.columns, values, strict=True) if value}

    def reverse(self, candidates: Sequence[str], limit: int) -> list[Record]:
        """Rows with a reverse field sharing a key with a candidate: a few dict lookups."""
        found: dict[int, None] = {}
        for candidate in candidates:
            for key in index_keys(candidate):
                hit = self.numbers.get(key)
                if hit is None:
                    continue
                for row in [hit] if isinstance(hit, int) else hit:
                    found.setdefault(row, None)
        return [self.record(row) for row in sorted(found)[:limit]]

    def search(self, term: str, limit: int) -> list[Record]:
        """Rows whose searched fields contain `term`, case-insensitively, in file order."""
        needle = term.casefold()
        if not needle or FIELD in needle or "\n" in needle:
            return []
        rows: list[int] = []
        position = self.text.find(needle)
        while position != -1 and len(rows) < limit:
            row = bisect.bisect_right(self.starts, position) - 1
            rows.append(row)
            following = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.text)
            position = self.text.find(needle, following)
        return [self.record(row) for row in rows]


@dataclasses.dataclass
class Format:
    """How to read the file, from the source's options."""

    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True
    columns: Sequence[str] | None = None
    max_rows: int = 2_000_000

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Format:
        return cls(
            delimiter=options["delimiter"],
            encoding=options["encoding"],
            header=options["header"],
            columns=options["columns"],
            max_rows=options["max_rows"],
        )


class _Lines:
    """Decoded lines of a binary file; remembers which physical lines did not decode."""

    def __init__(self, file: BinaryIO, encoding: str) -> None:
        self._file = file
        self._encoding = encoding
        self.number = 0
        self.undecodable: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for raw in self._file:
            self.number += 1
            try:
                text = raw.decode(self._encoding)
            except UnicodeDecodeError:
                self.undecodable.add(self.number)
                text = raw.decode(self._encoding, errors="replace")
            yield text.lstrip("\ufeff") if self.number == 1 else text


class _Builder:
    """Accumulates rows and both indexes while the file is read."""

    def __init__(self, columns: Sequence[str], direct: Sequence[str], reverse: Sequence[str]):
        self.columns = tuple(columns)
        self._direct = [self.columns.index(name) for name in direct if name in self.columns]
        self._reverse = [self.columns.index(name) for name in reverse if name in self.columns]
        self.rows: list[str] = []
        self.numbers: dict[str, int | list[int]] = {}
        self._texts: list[str] = []
        self.starts: list[int] = []
        self._length = 0

    def add(self, values: list[str]) -> None:
        row = len(self.rows)
        clean = [value.replace(UNIT, " ").replace("\n", " ").strip() for value in values]
        self.rows.append(UNIT.join(clean))
        for index in self._reverse:
            for key in index_keys(clean[index]):
                self._file_number(key, row)
        text = FIELD.join(clean[index].casefold() for index in self._direct) + "\n"
        self.starts.append(self._length)
        self._texts.append(text)
        self._length += len(text)

    def _file_number(self, key: str, row: int) -> None:
        hit = self.numbers.get(key)
        if hit is None:
            self.numbers[key] = row
        elif isinstance(hit, int):
            if hit != row:
                self.numbers[key] = [hit, row]
        elif hit[-1] != row:
            hit.append(row)

    def table(self, problems: list[str], bad_rows: int) -> Table:
        return Table(
            columns=self.columns,
            rows=tuple(self.rows),
            numbers=self.numbers,
            text="".join(self._texts),
            starts=self.starts,
            problems=tuple(problems),
            bad_rows=bad_rows,
        )


def load(
    file: BinaryIO,
    form: Format,
    direct: Sequence[str],
    reverse: Sequence[str],
    pause: Callable[[], None] = lambda: None,
) -> Table:
    """Read a whole CSV file; bad rows are skipped and described with their line numbers.

    :raises TableError: when the file has no usable header.
    """
    lines = _Lines(file, form.encoding)
    reader = csv.reader(lines, delimiter=form.delimiter, strict=False)
    columns = _columns(reader, lines, form)
    builder = _Builder(columns, direct, reverse) if columns else None
    report = _Report()
    for first, values, error in _rows(reader, lines):
        if values is None:
            report.bad(first, error)
            continue
        # No header, no columns: named by position, 1, 2, 3…
        builder = builder or _Builder([str(n + 1) for n in range(len(values))], direct, reverse)
        why = _refused(values, len(builder.columns), lines, first)
        if why:
            if why != "blank":
                report.bad(first, why)
            continue
        if len(builder.rows) >= form.max_rows:
            report.note(first, f"max_rows ({form.max_rows}) reached, the rest ignored")
            break
        builder.add(values)
        if len(builder.rows) % PAUSE_EVERY == 0:
            pause()
    if builder is None:
        return Table(problems=tuple(report.problems), bad_rows=report.count)
    return builder.table(report.problems, report.count)


Row = tuple[int, list[str] | None, str]


def _rows(reader: Iterator[list[str]], lines: _Lines) -> Iterator[Row]:
    """Each row with the number of its first line, or the parse error that replaced it."""
    while True:
        first = lines.number + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield first, None, str(exc)
            continue
        yield first, values, ""


class _Report:
    """Bad rows, counted, the first MAX_PROBLEMS described."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.count = 0

    def bad(self, line: int, why: str) -> None:
        self.count += 1
        self.note(line, why)

    def note(self, line: int, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"line {line}: {text}")


def _columns(reader: Iterator[list[str]], lines: _Lines, form: Format) -> list[str]:
    if not form.header:
        return list(form.columns or [])
    try:
        header = [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise TableError(f"line 1: expected a header row ({exc or 'empty file'})") from None
    if lines.undecodable:
        raise TableError(f"line 1: the header is not valid {form.encoding} (set encoding:)")
    if form.columns:
        return list(form.columns)
    if not all(header) or len(set(header)) != len(header):
        raise TableError(f"line 1: expected unique, non-empty column names, got {header!r}")
    return header


def _refused(values: list[str], width: int, lines: _Lines, first: int) -> str:
    """Why a row is skipped: "" to keep it, "blank" for an empty line, else the reason."""
    if not any(value.strip() for value in values):
        return "blank"
    if lines.undecodable and any(
        number in lines.undecodable for number in range(first, lines.number + 1)
    ):
        return "bytes that are not valid in the file's encoding (set encoding:)"
    if width and len(values) != width:
        return f"expected {width} fields, got {len(values)}"
    return ""


def from_text(text: str, form: Format, direct: Sequence[str], reverse: Sequence[str]) -> Table:
    """A table from an in-memory CSV text (tests, benchmarks)."""
    return load(io.BytesIO(text.encode(form.encoding)), form, direct, reverse)
