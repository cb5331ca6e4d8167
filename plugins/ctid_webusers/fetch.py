"""Reading users from a JSON web service: one bounded GET, a JSON list of users back.

The answer is either a list of users or an object with a `users` list; each user has the keys of
the `users:` config section (login, password hash, profile, lines…). The core validates every
entry and keeps the source's previous users when a fetch fails, so a web service that is down
never logs anyone out.
"""

from __future__ import annotations

import json
import logging
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)


class FetchError(Exception):
    """The web service could not be read or did not answer a user list."""


def fetch_users(options: Mapping[str, Any]) -> list[Any]:
    """GET `options["url"]` and return its user list; raises FetchError."""
    request = urllib.request.Request(options["url"], headers=_headers(options))  # noqa: S310  (the schema allows http and https only)
    context = _tls_context(options) if options["url"].startswith("https:") else None
    try:
        with urllib.request.urlopen(  # noqa: S310  (scheme checked by the schema)
            request, timeout=options["timeout"], context=context
        ) as response:
            body = response.read(options["max_bytes"] + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"cannot read {_shown(options['url'])}: {exc}") from exc
    if len(body) > options["max_bytes"]:
        raise FetchError(f"answer larger than {options['max_bytes']} bytes")
    return _users_of(body)


def _users_of(body: bytes) -> list[Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"answer is not JSON: {exc}") from exc
    if isinstance(document, Mapping):
        document = document.get("users")
    if not isinstance(document, list):
        raise FetchError("answer is neither a list of users nor an object with a users list")
    return document


def _headers(options: Mapping[str, Any]) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "ctid"}
    if options["token"]:
        headers["Authorization"] = f"Bearer {options['token']}"
    return headers


def _tls_context(options: Mapping[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=options["ca_file"] or None)
    if not options["verify"]:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _shown(url: str) -> str:
    """The URL without any user:password part, for logs and errors."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}" if "@" in rest.split("/", 1)[0] else url
