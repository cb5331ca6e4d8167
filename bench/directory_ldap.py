"""Benchmark: reverse lookups through the LDAP backend against a real slapd holding 100,000
people, warm and cold (right after a slapd restart), and the cost of one call to a blackholed
server.

    python bench/directory_ldap.py [--entries 100000] [--lookups 2000]

The entries are generated as LDIF and loaded offline with slapadd (seconds, where adding them
over LDAP would take minutes); numbers are stored in the mixed formats real directories hold.
Each lookup sends what the directory service sends: the E.164 and national forms of a caller
number, ORed in one filter. The last line, `ldap_p99_ms=<y> dead_ldap_ms=<z>`, is what
bench/directory.py reads; `main()` returns every figure. Targets: warm p99 at most 10 ms, a
dead server never costing more than the source's deadline.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402  (after patch_all, as in ctid/__main__.py)
import logging  # noqa: E402
import pathlib  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import voluptuous as vol  # noqa: E402

from ctid.api import SourceSpec  # noqa: E402
from ctid.testing.slapd import Blackhole, Slapd  # noqa: E402
from ctid_ldap.backend import LdapBackend  # noqa: E402

SUFFIX = "dc=example,dc=org"
BASE = f"ou=people,{SUFFIX}"
DEADLINE = 1.0
FIRST = ["Zoé", "Jürgen", "José", "Amélie", "Ana", "Bob", "Chloé", "Dmitri", "Eva", "Li"]
LAST = ["Lefèvre", "Müller", "Ñuñez", "Martin", "Smith", "Dupont", "Rossi", "Wang", "Kowalski"]


def national(index: int) -> str:
    """The index-th French number, national digits: 01 00 00 00 00 onward."""
    return f"0{1 + index % 5}{index:08d}"


def stored(index: int) -> str:
    """How entry `index` stores its number: one of four formats operators use."""
    digits = national(index)
    pairs = " ".join(digits[i : i + 2] for i in range(2, 10, 2))
    return [
        f"+33 {digits[1]} {pairs}",
        " ".join(digits[i : i + 2] for i in range(0, 10, 2)),
        digits,
        f"+33{digits[1:]}",
    ][index % 4]


def generate(path: pathlib.Path, count: int) -> None:
    """Write `count` people under ou=people as LDIF."""
    with path.open("w", encoding="utf-8") as out:
        out.write(f"dn: {BASE}\nobjectClass: organizationalUnit\nou: people\n\n")
        for index in range(count):
            first, last = FIRST[index % len(FIRST)], LAST[index % len(LAST)]
            out.write(
                f"dn: uid=u{index},{BASE}\nobjectClass: inetOrgPerson\nuid: u{index}\n"
                f"cn: {first} {last} {index}\ngivenName: {first}\nsn: {last}\n"
                f"o: Company {index % 1000}\ntelephoneNumber: {stored(index)}\n\n"
            )


def candidates(index: int) -> list[str]:
    """What the directory service would try for the caller with entry `index`'s number."""
    digits = national(index)
    return [f"+33{digits[1:]}", digits]


def backend_for(uri: str, **options: Any) -> LdapBackend:
    raw = {"uri": uri, "base_dn": BASE, **options}
    return LdapBackend(
        SourceSpec(
            name="bench",
            type="ldap",
            options=vol.Schema(LdapBackend.config_schema)(raw),
            match_direct=("cn",),
            match_reverse=("telephoneNumber", "mobile"),
            fields={"fullname": "cn", "phone": "telephoneNumber", "company": "o"},
            display_reverse="{db-fullname}",
            timeout=DEADLINE,
        )
    )


def timed_lookups(backend: LdapBackend, indexes: Sequence[int]) -> list[float]:
    """Milliseconds of each reverse lookup, run one after the other; each must find its entry."""
    times = []
    for index in indexes:
        started = time.perf_counter()
        found = backend.reverse(candidates(index), 5)
        times.append((time.perf_counter() - started) * 1000)
        if [record["dn"][0] for record in found] != [f"uid=u{index},{BASE}"]:
            raise SystemExit(f"lookup {index} found {found!r}")
    return times


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def dead_call_ms(call: Callable[[], object]) -> float:
    """Milliseconds one call takes under the core's deadline, whatever its outcome."""
    started = time.perf_counter()
    try:
        with gevent.Timeout(DEADLINE):
            call()
    except (Exception, gevent.Timeout):
        pass
    return (time.perf_counter() - started) * 1000


def main(entries: int = 100_000, lookups: int = 2000, seed: int = 5) -> dict[str, float]:
    """Run the whole benchmark; return its figures in milliseconds (and seconds to load)."""
    rng = random.Random(seed)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ctid-bench-ldap-") as folder:
        ldif = pathlib.Path(folder) / "people.ldif"
        generate(ldif, entries)
        started = time.perf_counter()
        with Slapd(ldif=[ldif], size_limit=1000) as slapd:
            figures["ldap_load_s"] = time.perf_counter() - started
            backend = backend_for(slapd.url)
            timed_lookups(backend, [rng.randrange(entries) for _ in range(200)])
            warm = timed_lookups(backend, [rng.randrange(entries) for _ in range(lookups)])
            figures["ldap_p50_ms"] = statistics.median(warm)
            figures["ldap_p99_ms"] = percentile(warm, 0.99)
            slapd.restart()
            cold = timed_lookups(backend, [rng.randrange(entries) for _ in range(100)])
            figures["ldap_cold_first_ms"] = cold[0]
            figures["ldap_cold_p50_ms"] = statistics.median(cold)
            figures["ldap_cold_p99_ms"] = percentile(cold, 0.99)
            backend.close()
    with Blackhole() as hole:
        dead = backend_for(hole.url)
        figures["dead_ldap_ms"] = dead_call_ms(lambda: dead.reverse(candidates(1), 5))
        figures["dead_ldap_next_ms"] = dead_call_ms(lambda: dead.reverse(candidates(2), 5))
        dead.close()
    return figures


def report(figures: dict[str, float], entries: int, lookups: int) -> None:
    print(f"entries={entries} lookups={lookups} load={figures['ldap_load_s']:.1f}s")
    print(
        f"warm reverse: p50={figures['ldap_p50_ms']:.2f} ms p99={figures['ldap_p99_ms']:.2f} ms"
        " (target p99 <= 10 ms)"
    )
    print(
        f"cold reverse after a slapd restart: first={figures['ldap_cold_first_ms']:.2f} ms "
        f"p50={figures['ldap_cold_p50_ms']:.2f} ms p99={figures['ldap_cold_p99_ms']:.2f} ms"
    )
    print(
        f"blackholed server: first call {figures['dead_ldap_ms']:.0f} ms, next call "
        f"{figures['dead_ldap_next_ms']:.1f} ms (deadline {DEADLINE * 1000:.0f} ms)"
    )
    print(f"ldap_p99_ms={figures['ldap_p99_ms']:.2f} dead_ldap_ms={figures['dead_ldap_ms']:.0f}")


if __name__ == "__main__":
    # The blackhole part makes the backend log its (expected) failures: keep the report clean.
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    arguments = parser.parse_args()
    report(main(arguments.entries, arguments.lookups), arguments.entries, arguments.lookups)
