"""Golden tests of filter building: every value escaped per RFC 4515, %Q substitution, the
reverse OR across candidates and attributes, and entry decoding."""

import pytest

from ctid_ldap.ldapsource import (
    all_of,
    any_of,
    check_attribute,
    check_filter,
    direct_filter,
    escape,
    requested,
    reverse_filter,
    to_record,
    with_term,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Zoé", "Zoé"),
        ("*", r"\2a"),
        ("(", r"\28"),
        (")", r"\29"),
        ("\\", r"\5c"),
        ("\x00", r"\00"),
        (r"\2a", r"\5c2a"),
        ("*)(uid=*", r"\2a\29\28uid=\2a"),
        ("a%Qb", "a%Qb"),
    ],
)
def test_escape_follows_rfc4515(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_direct_filter_is_an_or_of_substrings() -> None:
    assert direct_filter("mar", ["cn", "sn"]) == "(|(cn=*mar*)(sn=*mar*))"


def test_direct_filter_on_one_attribute_has_no_or() -> None:
    assert direct_filter("mar", ["cn"]) == "(cn=*mar*)"


def test_direct_filter_escapes_an_injection() -> None:
    assert direct_filter("*)(uid=*", ["cn", "mail"]) == (
        r"(|(cn=*\2a\29\28uid=\2a*)(mail=*\2a\29\28uid=\2a*))"
    )


def test_direct_filter_keeps_an_escape_sequence_literal() -> None:
    assert direct_filter(r"\2a", ["cn"]) == r"(cn=*\5c2a*)"


def test_direct_filter_ands_the_custom_filter_with_the_escaped_term() -> None:
    custom = "(&(objectClass=person)(|(o=%Q)(l=Paris)))"
    assert direct_filter("a*(b", ["cn"], custom) == (
        r"(&(&(objectClass=person)(|(o=a\2a\28b)(l=Paris)))(cn=*a\2a\28b*))"
    )


def test_direct_filter_with_only_a_custom_filter_uses_it_alone() -> None:
    assert direct_filter("Zoé", [], "(displayName=*%Q*)") == "(displayName=*Zoé*)"


def test_direct_filter_refuses_an_empty_term_and_nothing_to_search() -> None:
    with pytest.raises(ValueError, match="non-empty term"):
        direct_filter("", ["cn"])
    with pytest.raises(ValueError, match="match_direct"):
        direct_filter("x", [])


def test_reverse_filter_ors_every_candidate_on_every_attribute() -> None:
    assert reverse_filter(["+33612345678", "0612345678"], ["telephoneNumber", "mobile"]) == (
        "(|(telephoneNumber=+33612345678)(mobile=+33612345678)"
        "(telephoneNumber=0612345678)(mobile=0612345678))"
    )


def test_reverse_filter_drops_empty_and_repeated_candidates() -> None:
    assert reverse_filter(["1001", "", "1001"], ["telephoneNumber"]) == "(telephoneNumber=1001)"


def test_reverse_filter_escapes_candidates() -> None:
    assert reverse_filter(["*", "1)(cn=*"], ["telephoneNumber"]) == (
        r"(|(telephoneNumber=\2a)(telephoneNumber=1\29\28cn=\2a))"
    )


def test_reverse_filter_ands_a_plain_custom_filter_around_the_or() -> None:
    assert reverse_filter(["1", "2"], ["mobile"], "(objectClass=person)") == (
        "(&(objectClass=person)(|(mobile=1)(mobile=2)))"
    )


def test_reverse_filter_instantiates_a_term_filter_per_candidate() -> None:
    assert reverse_filter(["+4144", "044"], ["mobile"], "(ipPhone=%Q)") == (
        "(|(&(ipPhone=+4144)(mobile=+4144))(&(ipPhone=044)(mobile=044)))"
    )
    assert reverse_filter(["+4144", "044"], [], "(ipPhone=%Q)") == (
        "(|(ipPhone=+4144)(ipPhone=044))"
    )


def test_reverse_filter_refuses_nothing_to_compare() -> None:
    with pytest.raises(ValueError, match="candidate"):
        reverse_filter(["", ""], ["mobile"])
    with pytest.raises(ValueError, match="match_reverse"):
        reverse_filter(["1"], [], "(objectClass=person)")


def test_with_term_substitutes_once() -> None:
    assert with_term("(cn=%Q)", "%Q") == "(cn=%Q)"
    assert with_term("(|(cn=%Q)(sn=%Q))", "x)") == r"(|(cn=x\29)(sn=x\29))"


def test_any_of_and_all_of() -> None:
    assert any_of(["(a=1)"]) == "(a=1)"
    assert any_of(["(a=1)", "(b=2)"]) == "(|(a=1)(b=2))"
    assert all_of(["", "(a=1)"]) == "(a=1)"
    assert all_of(["(a=1)", "(b=2)"]) == "(&(a=1)(b=2))"


@pytest.mark.parametrize(
    "good", ["(objectClass=person)", "(&(objectClass=user)(!(cn=%Q)))", " (o=Acme) "]
)
def test_check_filter_accepts_well_formed_filters(good: str) -> None:
    assert check_filter(good) == good.strip()


@pytest.mark.parametrize("bad", ["objectClass=person", "(cn=a", "(cn=a))", "(a=1)(b=2)", ""])
def test_check_filter_refuses_malformed_filters(bad: str) -> None:
    with pytest.raises(ValueError, match="expected an LDAP filter in parentheses"):
        check_filter(bad)


@pytest.mark.parametrize(
    "good", ["cn", "telephoneNumber", "msDS-PrincipalName", "2.5.4.3", "cn;lang-fr"]
)
def test_check_attribute_accepts_attribute_descriptions(good: str) -> None:
    assert check_attribute(good) == good


@pytest.mark.parametrize("bad", ["", "cn)(uid=*", "tele phone", "*", "-cn", "cn="])
def test_check_attribute_refuses_anything_else(bad: str) -> None:
    with pytest.raises(ValueError, match="attribute name"):
        check_attribute(bad)


def test_requested_attributes_are_unique_case_insensitively_without_dn() -> None:
    assert requested(["cn", "telephoneNumber", "dn"], ["CN", "mail"]) == [
        "cn",
        "telephoneNumber",
        "mail",
    ]


def test_to_record_keeps_every_value_decoded_under_the_configured_spelling() -> None:
    raw = {
        "telephonenumber": [b"+41 44 668 18 00", b"+41 44 668 18 01"],
        "cn": ["J\u00fcrgen M\u00fcller".encode()],
        "jpegPhoto": [b"\xff\xd8\xff"],
        "description": [],
    }
    record = to_record("uid=jurgen,dc=example,dc=org", raw, ["telephoneNumber", "cn"])
    assert record == {
        "dn": ["uid=jurgen,dc=example,dc=org"],
        "telephoneNumber": ["+41 44 668 18 00", "+41 44 668 18 01"],
        "cn": ["Jürgen Müller"],
        "jpegPhoto": ["\ufffd\ufffd\ufffd"],
    }
