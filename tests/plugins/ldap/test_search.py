"""Search and reverse lookup against a real slapd: non-ASCII names, multi-valued attributes,
size limit, scope, custom filters, and injection attempts that must stay literal."""

from collections.abc import Callable, Sequence

import pytest

from ctid.testing.slapd import Slapd
from ctid_ldap.backend import LdapBackend

Make = Callable[..., LdapBackend]


def uids(records: Sequence[dict[str, list[str]]]) -> list[str]:
    """The RDN value of each record's DN (uid, or o for a company), sorted."""
    return sorted(record["dn"][0].split(",", 1)[0].split("=", 1)[1] for record in records)


@pytest.fixture
def backend(shared_slapd: Slapd, make_backend: Make) -> LdapBackend:
    return make_backend(uri=shared_slapd.url)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Zoé", ["zoe"]),
        ("zoé", ["zoe"]),
        ("LEFÈVRE", ["zoe"]),
        ("ñuñez", ["jose"]),
        ("Müll", ["jurgen"]),
        ("李", ["li"]),
        ("acme", ["zoe"]),
        ("smith", ["robert"]),
        ("nobody-here", []),
    ],
)
def test_search_is_a_case_insensitive_substring_match(
    backend: LdapBackend, term: str, expected: list[str]
) -> None:
    assert uids(backend.search(term, 10)) == expected


def test_search_returns_every_value_of_multi_valued_attributes(backend: LdapBackend) -> None:
    (record,) = backend.search("Jürgen", 10)
    assert record["telephoneNumber"] == ["+41 44 668 18 00", "+41 44 668 18 01"]
    assert record["mobile"] == ["+41 79 123 45 67"]
    assert record["cn"] == ["Jürgen Müller"]
    assert record["o"] == ["Helvetia AG"]
    assert record["dn"] == ["uid=jurgen,ou=people,dc=example,dc=org"]


def test_search_fetches_the_attributes_of_templates_and_extras(
    shared_slapd: Slapd, make_backend: Make
) -> None:
    backend = make_backend(uri=shared_slapd.url, attributes=["mail"])
    (record,) = backend.search("Zoé", 10)
    assert record["mail"] == ["zoe.lefevre@example.org"]
    assert record["givenName"] == ["Zoé"]
    assert record["sn"] == ["Lefèvre"]


@pytest.mark.parametrize("term", ["*", "*)(uid=*", "*)(|(uid=*", r"\2a", ")", "(", "\\", "\x00"])
def test_injection_patterns_match_only_literally(backend: LdapBackend, term: str) -> None:
    found = uids(backend.search(term, 50))
    # Only the entry whose cn/sn hold these characters may match, and only where it holds them.
    assert found in ([], ["evil"])
    if found:
        record = backend.search(term, 50)[0]
        assert any(term in value for value in record["cn"] + record["sn"])


def test_the_filter_syntax_entry_is_found_by_its_literal_name(backend: LdapBackend) -> None:
    assert uids(backend.search("*)(", 10)) == ["evil"]
    assert uids(backend.search("*)(uid=*", 10)) == ["evil"]
    assert uids(backend.search(r"\2a", 10)) == []


def test_an_empty_term_or_limit_returns_nothing_without_asking(backend: LdapBackend) -> None:
    assert backend.search("", 10) == []
    assert backend.search("Zoé", 0) == []
    assert backend.health()["searches"] == 0


def test_size_limit_caps_the_answer(shared_slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=shared_slapd.url, size_limit=2)
    assert len(backend.search("e", 10)) == 2
    assert len(backend.search("e", 1)) == 1
    assert len(make_backend(uri=shared_slapd.url).search("e", 10)) > 2


def test_scope_one_stays_at_the_first_level(shared_slapd: Slapd, make_backend: Make) -> None:
    sub = make_backend(uri=shared_slapd.url, scope="sub")
    one = make_backend(uri=shared_slapd.url, scope="one")
    base = make_backend(
        uri=shared_slapd.url,
        scope="base",
        base_dn="uid=li," + "ou=interns,ou=people,dc=example,dc=org",
    )
    assert uids(sub.search("李", 10)) == ["li"]
    assert uids(one.search("李", 10)) == []
    assert uids(one.search("Zoé", 10)) == ["zoe"]
    assert uids(base.search("李", 10)) == ["li"]


def test_custom_filter_narrows_the_search(shared_slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=shared_slapd.url, filter="(o=Helvetia AG)")
    assert uids(backend.search("e", 10)) == ["jurgen"]


def test_custom_filter_with_term(shared_slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(
        uri=shared_slapd.url,
        base_dn="dc=example,dc=org",
        filter="(|(o=%Q)(l=%Q))",
        match_direct=(),
    )
    assert uids(backend.search("London", 10)) == ["Globex"]
    assert uids(backend.search("Globex", 10)) == ["Globex", "jose"]
    assert uids(backend.search("*", 10)) == []


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (["+33612345678", "0612345678"], ["zoe"]),
        (["0612345678"], ["zoe"]),
        (["+41446681801"], ["jurgen"]),
        (["+41791234567"], ["jurgen"]),
        (["+442079460958", "02079460958"], ["jose"]),
        (["+12125550142", "2125550142"], ["robert"]),
        (["+33999999999"], []),
    ],
)
def test_reverse_matches_any_candidate_on_any_attribute(
    backend: LdapBackend, candidates: list[str], expected: list[str]
) -> None:
    # slapd's telephoneNumberMatch ignores the spaces and hyphens of the stored numbers.
    assert uids(backend.reverse(candidates, 5)) == expected


def test_reverse_spans_the_subtree_and_companies(shared_slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(uri=shared_slapd.url, base_dn="dc=example,dc=org")
    assert uids(backend.reverse(["+33198765432"], 5)) == ["li"]
    assert uids(backend.reverse(["+442079460000"], 5)) == ["Globex"]


def test_reverse_candidates_are_escaped(backend: LdapBackend) -> None:
    assert backend.reverse(["*"], 5) == []
    assert backend.reverse(["*)(uid=*"], 5) == []
    assert backend.reverse(["", ""], 5) == []


def test_reverse_honours_the_limit(backend: LdapBackend) -> None:
    both = ["+33612345678", "+41446681800"]
    assert uids(backend.reverse(both, 5)) == ["jurgen", "zoe"]
    assert len(backend.reverse(both, 1)) == 1


def test_health_counts_searches_and_shows_the_server(backend: LdapBackend) -> None:
    backend.search("Zoé", 5)
    health = backend.health()
    assert health["state"] == "up"
    assert health["searches"] == 1
    assert health["failures"] == 0
    assert health["servers"][0]["state"] == "up"
    assert health["connections"] == {"idle": 1, "busy": 0, "max": 4}
    assert health["bind_dn"] == "(anonymous)"


def test_connections_are_reused(backend: LdapBackend) -> None:
    for _ in range(5):
        backend.reverse(["0612345678"], 1)
    assert backend.health()["connections"]["idle"] == 1


def test_bound_searches(shared_slapd: Slapd, make_backend: Make) -> None:
    backend = make_backend(
        uri=shared_slapd.url,
        bind_dn=shared_slapd.root_dn,
        bind_password=shared_slapd.root_password,
    )
    assert uids(backend.search("Zoé", 5)) == ["zoe"]
    assert backend.health()["bind_dn"] == shared_slapd.root_dn
