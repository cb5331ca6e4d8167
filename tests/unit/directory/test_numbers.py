"""Number normalization: candidates per region, the skip rules, canonical forms, index keys."""

import pytest

from ctid.directory.numbers import candidates, canonical, index_keys, worth_looking_up

FR, CH, GB, US = "FR", "CH", "GB", "US"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+33612345678", FR, ["+33612345678", "0612345678"]),
        ("0033612345678", FR, ["+33612345678", "0612345678", "0033612345678"]),
        ("0612345678", FR, ["+33612345678", "0612345678"]),
        ("06 12 34 56 78", FR, ["+33612345678", "0612345678", "06 12 34 56 78"]),
        ("33612345678", FR, ["+33612345678", "0612345678", "33612345678"]),  # a lost +
        ("044 668 18 00", CH, ["+41446681800", "0446681800", "044 668 18 00"]),
        ("0041446681800", CH, ["+41446681800", "0446681800", "0041446681800"]),
        ("020 7946 0018", GB, ["+442079460018", "02079460018", "020 7946 0018"]),
        ("+44 (0)20 7946 0018", GB, ["+442079460018", "02079460018", "+44 (0)20 7946 0018"]),
        ("(650) 253-0000", US, ["+16502530000", "6502530000", "(650) 253-0000"]),
        ("1-650-253-0000", US, ["+16502530000", "6502530000", "1-650-253-0000"]),
        ("011 33 6 12 34 56 78", US, ["+33612345678", "0612345678", "011 33 6 12 34 56 78"]),
    ],
)
def test_candidates_are_e164_then_national_digits_then_raw(
    raw: str, region: str, expected: list[str]
) -> None:
    assert candidates(raw, region, 6) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "anonymous",
        "Anonymous",
        "unknown",
        "restricted",
        "private",
        "1001",
        "112",
        "sip:alice@example.com",
        "alice@example.com",
        "Zoé Martin",
        "L0#04012345678",
        "9" * 80,
    ],
)
def test_values_that_are_not_outside_numbers_give_no_candidate(raw: str) -> None:
    assert not worth_looking_up(raw, 6)
    assert candidates(raw, FR, 6) == []


def test_min_length_is_the_internal_extension_guard() -> None:
    assert candidates("100123", FR, 6) == ["100123"]
    assert candidates("100123", FR, 7) == []


def test_canonical_reads_stored_numbers_in_their_own_region() -> None:
    assert canonical("+33 6 12 34 56 78", "") == "+33612345678"
    assert canonical("06 12 34 56 78", FR) == "+33612345678"
    # The same digits are another number in Switzerland: never confused.
    assert canonical("04 46 68 18 00", FR) == "+33446681800"
    assert canonical("044 668 18 00", CH) == "+41446681800"
    assert canonical("06 12 34 56 78", "") == "0612345678"  # no region: digits
    assert canonical("ext. 12", FR) == "12"


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("33612345678", "+33612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("+44 (0)20 7946 0018", "+442079460018"),
        ("1-650-253-0000", "+16502530000"),
        ("(650) 253-0000", "6502530000"),
    ],
)
def test_a_stored_number_shares_an_index_key_with_a_candidate(stored: str, asked: str) -> None:
    assert index_keys(stored) & index_keys(asked)


def test_index_keys_of_nothing_is_empty() -> None:
    assert index_keys("") == set()
    assert index_keys("n/a") == set()
    assert index_keys("x" * 100) == set()
