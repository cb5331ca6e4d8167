"""Phone number normalization for reverse lookups, with Google's libphonenumber (`phonenumbers`).

Three jobs, all pure:

- `candidates`: a caller number as Asterisk gives it → the forms a directory should try: E.164,
  national digits, raw. Values that are not numbers worth a lookup (`anonymous`, `unknown`,
  `restricted`, empty, SIP URIs, names, internal extensions shorter than `min_length`) give no
  candidate at all, so no backend is ever asked about them.
- `canonical`: one comparable form of a number (E.164 when it parses as a possible number, else
  its digits), used by the core to re-check what backends return: a stored `04 46 68 18 00` read
  in France is +33446681800 and never matches a Swiss caller +41446681800, whatever the backend's
  own matching did.
- `index_keys`: the region-free keys under which a source that indexes its numbers (CSV, SQL
  preloads) files a stored value, so that one of the candidates always finds it in one dict
  lookup; broad on purpose, since the core re-checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers

SKIPPED = frozenset(
    {"anonymous", "unknown", "restricted", "private", "unavailable", "withheld", "<unknown>"}
)
"""Caller ids that name no one: never looked up."""

_NON_DIGITS = re.compile(r"[^0-9]+")
_NOISE = re.compile(r"[\s().\-/]+")
_E164 = phonenumbers.PhoneNumberFormat.E164
_NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
MAX_INPUT = 64
"""Longer input is not a phone number: refused before parsing (hostile caller ids)."""


def load_metadata() -> None:
    """Load every region's metadata now: the first lookup runs on a ringing call."""
    phonenumbers.PhoneMetadata.load_all()


def digits(value: str) -> str:
    """Only the digits of a value (other scripts' digits folded to ASCII)."""
    if value.isascii():
        return _NON_DIGITS.sub("", value)  # the common case, at C speed (directory loads)
    return str(phonenumbers.normalize_digits_only(value))


def worth_looking_up(raw: str, min_length: int) -> bool:
    """Whether a caller id may be a phone number of someone outside: not empty, not a
    withheld-number word, not a SIP URI or a name, and at least `min_length` digits."""
    text = raw.strip()
    if not text or len(text) > MAX_INPUT or text.lower() in SKIPPED:
        return False
    if "@" in text or text.lower().startswith(("sip:", "sips:", "tel:")):
        return False
    # Only digits and the usual separators: "Zoé Martin" or "L0#0401…" are not numbers.
    if not _NOISE.sub("", text).lstrip("+").isdigit():
        return False
    return len(digits(text)) >= min_length


def _parse(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    """A possible number read as dialled from `region`; also tries a `+` a gateway lost."""
    for text, where in ((value, region or None), (f"+{digits(value)}", None)):
        try:
            number = phonenumbers.parse(text, where)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return number
        if value.lstrip().startswith(("+", "0")):
            return None  # an explicit prefix: do not guess a lost `+`
    return None


def candidates(raw: str, region: str, min_length: int) -> list[str]:
    """The forms of a caller number to look up, best first: E.164, national digits, raw.

    :returns: [] when the value is not worth a lookup (see `worth_looking_up`).
    """
    if not worth_looking_up(raw, min_length):
        return []
    text = raw.strip()
    found: list[str] = []
    number = _parse(text, region)
    if number is not None:
        found.append(phonenumbers.format_number(number, _E164))
        found.append(digits(phonenumbers.format_number(number, _NATIONAL)))
    found.append(text)
    return list(dict.fromkeys(found))


def with_national_forms(found: Sequence[str]) -> list[str]:
    """Candidates plus the national digits of each international one (that country's own
    national form, whatever the call's region), so that a source storing `01 40 00 12 34` is
    found from `+33140001234` even when a site normalizer gave only the latter."""
    expanded = list(dict.fromkeys(found))
    for candidate in found:
        if not candidate.startswith("+"):
            continue
        try:
            number = phonenumbers.parse(candidate, None)
        except phonenumbers.NumberParseException:
            continue
        national = digits(phonenumbers.format_number(number, _NATIONAL))
        if national and national not in expanded:
            expanded.append(national)
    return expanded


def canonical(value: str, region: str) -> str:
    """One comparable form of a number: E.164 when it is a possible number in `region`, else
    its digits ("" for a value without any)."""
    text = value.strip()
    if len(text) > MAX_INPUT:
        return ""
    number = _parse(text, region)
    if number is not None:
        return str(phonenumbers.format_number(number, _E164))
    return digits(text)


def index_keys(value: str) -> set[str]:
    """Region-free keys for a stored number: its digits, its E.164 form when it is written
    internationally (`+33 6…`, `0033 6…`), and `+<digits>` for a `+` lost on the way. Look each
    lookup candidate up under its own keys: a stored number shares at least one with the
    candidates of the same number written any other way."""
    text = value.strip()
    if not text or len(text) > MAX_INPUT:
        return set()
    only = digits(text)
    if not only:
        return set()
    keys = {only}
    if text.startswith("+") and "(" in text:
        # `+44 (0)20 …`: the national `(0)` is not part of the number; libphonenumber knows.
        e164 = canonical(text, "")
        if e164.startswith("+"):
            keys.add(e164)
            keys.add(e164[1:])
    if only.startswith("00"):
        keys.add(f"+{only[2:]}")
        keys.add(only[2:])
    elif not only.startswith("0"):
        keys.add(f"+{only}")
    return keys
