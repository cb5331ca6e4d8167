"""Benchmark: reverse lookups in a CSV directory of a million people, then (when slapd is
installed) the LDAP half from bench/directory_ldap.py.

    python bench/directory.py [--rows 1000000] [--lookups 20000] [--no-ldap]

The CSV file is generated with numbers stored in the mixed formats real phone books hold, loaded
by the `csv` backend exactly as the daemon loads it, then asked for random callers as the
directory service asks: each caller number turned into its candidates (E.164, national digits,
raw) first, outside the timing, since that cost is the same for every backend. Figures:

- `csv_reverse_ms`: median time of one backend reverse lookup (target: at most 0.1 ms);
- `service_reverse_ms`: median time of a whole uncached lookup through the directory service
  (normalization, a greenlet per source, the re-check, formatting), for scale.

The last line is `csv_reverse_ms=<x> ldap_p99_ms=<y> dead_ldap_ms=<z>` (`nan` for the LDAP
figures when that half is skipped). `main()` returns every figure.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402  (after patch_all, as in ctid/__main__.py)
import importlib.util  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

from ctid.api import SourceSpec, vol  # noqa: E402
from ctid.config import read_mapping, validate  # noqa: E402
from ctid.directory.numbers import candidates  # noqa: E402
from ctid.directory.service import DirectoryService  # noqa: E402
from ctid_csv.source import CsvDirectory  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
FIRST = ["Zoé", "Jean", "Amélie", "Paul", "Chloé", "Karim", "Li", "Ana", "Bob", "Eva"]
LAST = ["Martin", "Dupont", "Lefèvre", "Müller", "Rossi", "Nguyen", "Smith", "Kowalski"]


def national(index: int) -> str:
    """The index-th French number, national digits."""
    return f"0{1 + index % 7}{index:08d}"


def stored(index: int) -> str:
    """How row `index` stores its number: one of the formats operators use."""
    digits = national(index)
    spaced = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return [f"+33 {spaced[1:]}", spaced, digits, f"+33{digits[1:]}", f"0033{digits[1:]}"][index % 5]


def generate(path: pathlib.Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("firstname,lastname,company,phone\n")
        for index in range(rows):
            first, last = FIRST[index % len(FIRST)], LAST[index % len(LAST)]
            out.write(f"{first},{last} {index},Company {index % 1000},{stored(index)}\n")


def spec(path: pathlib.Path) -> SourceSpec:
    options = vol.Schema(CsvDirectory.config_schema)({"path": str(path), "poll_interval": 3600})
    return SourceSpec(
        name="book",
        type="csv",
        options=options,
        match_direct=("firstname", "lastname", "company"),
        match_reverse=("phone",),
        fields={"fullname": "{firstname} {lastname}", "phone": "phone"},
        display_reverse="{db-fullname}",
    )


def load(path: pathlib.Path) -> tuple[CsvDirectory, float]:
    started = time.perf_counter()
    source = CsvDirectory(spec(path))
    while source.state != "ready":
        if source.state == "error":
            raise RuntimeError(source.error)
        gevent.sleep(0.05)
    return source, time.perf_counter() - started


def backend_median_ms(source: CsvDirectory, asked: list[list[str]]) -> float:
    timings = []
    for forms in asked:
        started = time.perf_counter()
        found = source.reverse(forms, 10)
        timings.append(time.perf_counter() - started)
        assert found, forms
    return statistics.median(timings) * 1000


def service_median_ms(source: CsvDirectory, numbers: list[str]) -> float:
    data = validate(
        read_mapping(
            {
                "directories": {
                    "book": {
                        "type": "csv",
                        "path": source.path,
                        "match_reverse": list(source.spec.match_reverse),
                        "fields": dict(source.spec.fields),
                    }
                },
                "contexts": {"default": {"reverse": {"*": ["book"]}}},
                "reverse": {"default_region": "FR", "cache": {"max_entries": 0}},
            }
        )
    ).data
    service = DirectoryService(lambda number, _context, _timeout: candidates(number, "FR", 6))

    def loaded(_spec: SourceSpec) -> CsvDirectory:
        return source  # the table already in memory: the figure is about lookups

    loaded.config_schema = CsvDirectory.config_schema  # type: ignore[attr-defined]
    service.configure(data, {"csv": loaded}, lambda _path: "bench")
    timings = []
    for number in numbers:
        started = time.perf_counter()
        found = service.reverse_lookup(number, "default", "")
        timings.append(time.perf_counter() - started)
        assert found, number
    return statistics.median(timings) * 1000


def csv_half(rows: int, lookups: int, seed: int) -> dict[str, float]:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ctid-bench-"))
    try:
        path = folder / "book.csv"
        generate(path, rows)
        source, load_s = load(path)
        chance = random.Random(seed)
        picks = [chance.randrange(rows) for _ in range(lookups)]
        # Callers arrive in any form; the candidates are computed before timing the backend.
        numbers = [[f"+33{national(i)[1:]}", national(i)][i % 2] for i in picks]
        asked = [candidates(number, "FR", 6) for number in numbers]
        figures = {
            "csv_rows": float(len(source.table.rows)),
            "csv_load_s": load_s,
            "csv_reverse_ms": backend_median_ms(source, asked),
            "service_reverse_ms": service_median_ms(source, numbers[: min(lookups, 5000)]),
        }
        source.close()
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ldap_half() -> dict[str, float]:
    """The LDAP figures from bench/directory_ldap.py; nan when it or slapd is absent."""
    absent = {"ldap_p99_ms": math.nan, "dead_ldap_ms": math.nan}
    path = HERE / "directory_ldap.py"
    if not path.is_file() or shutil.which("slapd", path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
        return absent
    loaded = importlib.util.spec_from_file_location("directory_ldap", path)
    if loaded is None or loaded.loader is None:
        return absent
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    figures: dict[str, float] = module.main()
    return {**absent, **figures}


def main(
    rows: int = 1_000_000, lookups: int = 20_000, seed: int = 7, ldap: bool = True
) -> dict[str, Any]:
    figures: dict[str, Any] = csv_half(rows, lookups, seed)
    print(
        f"csv: {figures['csv_rows']:.0f} rows loaded in {figures['csv_load_s']:.1f} s; "
        f"median reverse {figures['csv_reverse_ms']:.4f} ms (target 0.1 ms); "
        f"whole service lookup {figures['service_reverse_ms']:.3f} ms"
    )
    figures.update(ldap_half() if ldap else {"ldap_p99_ms": math.nan, "dead_ldap_ms": math.nan})
    print(
        f"csv_reverse_ms={figures['csv_reverse_ms']:.4f} "
        f"ldap_p99_ms={figures['ldap_p99_ms']:.2f} dead_ldap_ms={figures['dead_ldap_ms']:.0f}"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-ldap", action="store_true", help="skip the LDAP half")
    arguments = parser.parse_args()
    main(arguments.rows, arguments.lookups, arguments.seed, ldap=not arguments.no_ldap)
