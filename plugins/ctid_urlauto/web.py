"""The http and https handlers: one GET, or one POST of the query string as a form body.

Redirects are not followed (a 3xx is reported as the target's answer: a webhook must not be
sent elsewhere by whoever answers), no proxy from the environment is used, and the answer is
read up to a small bound and dropped: a webhook only tells.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ctid.api import UrlautoError, UrlautoHandler, UrlautoRequest, render_url

MAX_ANSWER = 64 * 1024
"""Bytes of an answer read before the connection is closed."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def web_handler(user_agent: str) -> UrlautoHandler:
    """The handler of `http://` and `https://` actions."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)

    def handle(request: UrlautoRequest) -> None:
        url = render_url(request)
        if not url:
            return
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise UrlautoError("not an http or https URL")
        headers = {"User-Agent": user_agent}
        body = None
        if request.method == "POST":
            parts = urllib.parse.urlsplit(url)
            url = urllib.parse.urlunsplit(parts._replace(query=""))
            body = parts.query.encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # S310: the scheme is checked above, and the opener has no file: or ftp: redirects
        outgoing = urllib.request.Request(url, data=body, headers=headers, method=request.method)  # noqa: S310
        try:
            with opener.open(outgoing, timeout=request.timeout) as answer:
                answer.read(MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            raise UrlautoError(f"the target answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise UrlautoError(f"request failed: {getattr(exc, 'reason', exc)}") from None

    return handle
