"""Password hashes at rest: salted scrypt (stdlib), self-describing, checked in constant time.

Format: `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>` so the cost can rise later without breaking old
hashes. n=2**15, r=8, p=1 costs about 32 MiB and a few tens of ms: cheap for one login, expensive
for a guesser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16
_KEY_BYTES = 32


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """A new salted hash of `password`."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=_KEY_BYTES
    )
    return "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`; False for any malformed hash (never raises)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(key, validate=True)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def is_hash(value: str) -> bool:
    """Whether a config value looks like a hash this module made (not a clear password)."""
    parts = value.split("$")
    return len(parts) == 6 and parts[0] == SCHEME and all(x.isdigit() for x in parts[1:4])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
