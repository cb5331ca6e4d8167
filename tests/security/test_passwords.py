"""Password hashes at rest: scrypt n=2**15 r=8 p=1 (about 32 MiB per check), a fresh 16-byte salt
from `secrets` each time, a 32-byte key, and every comparison (hash, legacy challenge, info
token) in constant time."""

import base64
import hashlib
import hmac
import secrets
from typing import Any

import pytest

from ctid import passwords
from ctid.passwords import hash_password, is_hash, verify_password
from ctid_cti.login import legacy_digest

pytestmark = pytest.mark.timeout(60)


def parts(stored: str) -> tuple[str, int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, key = stored.split("$")
    return scheme, int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(key)


def test_the_hash_names_scrypt_and_its_cost_and_holds_a_16_byte_salt_and_32_byte_key() -> None:
    stored = hash_password("correct horse")
    scheme, n, r, p, salt, key = parts(stored)
    assert (scheme, n, r, p) == ("scrypt", 2**15, 8, 1)
    assert len(salt) == 16 and len(key) == 32
    # It is what scrypt gives for that salt and cost: nothing weaker hides behind the label.
    expected = hashlib.scrypt(b"correct horse", salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=32)
    assert key == expected
    assert is_hash(stored) and verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)


def test_each_hash_has_its_own_salt_from_the_secrets_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[bytes] = []
    real = secrets.token_bytes

    def token_bytes(nbytes: int) -> bytes:
        drawn.append(real(nbytes))
        return drawn[-1]

    monkeypatch.setattr(secrets, "token_bytes", token_bytes)
    first, second = (hash_password("same", n=2**10) for _ in range(2))
    assert [parts(first)[4], parts(second)[4]] == drawn
    assert drawn[0] != drawn[1] and parts(first)[5] != parts(second)[5]


def spy_compare(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def compare_digest(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", compare_digest)
    return calls


def test_a_password_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = hash_password("pw", n=2**10)
    calls = spy_compare(monkeypatch)
    assert not verify_password("other", stored)
    assert verify_password("pw", stored)
    assert [b for _, b in calls] == [parts(stored)[5]] * 2


def test_malformed_hashes_never_verify_nor_raise() -> None:
    for stored in (
        "",
        "plain-text-password",
        "scrypt$1$1$1$$",
        "md5$x$y$z$a$b",
        "scrypt$a$b$c$d$e",
    ):
        assert not verify_password("plain-text-password", stored)
    # A cost that would eat the memory of the machine is refused, not attempted.
    _, _, r, p, salt, key = parts(hash_password("x", n=2**10))
    greedy = "$".join(
        ["scrypt", str(2**24), str(r), str(p), passwords._b64(salt), passwords._b64(key)]
    )
    assert not verify_password("x", greedy)


def test_the_legacy_challenge_is_compared_in_constant_time(
    site: Any, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.start([kit.user("old", legacy_secret="legacy-pw")])
    calls = spy_compare(monkeypatch)
    client = site.client("old", "legacy-pw", legacy=True)
    assert client.request({"class": "keepalive"})["class"] == "keepalive"
    expected = legacy_digest(client.session_id, "legacy-pw").encode()
    assert (expected, expected) in calls
