"""urlauto: the syntax of automatic actions, and the contract of the handlers that run them.

An urlauto string is a URL (`http://…`, `https://…`, `tcp://host:port/?a=1&b=2`,
`udp://host:port/?a=1`) or, when it is not a URL, a command line (the `exec` handler). Handlers
are registered per scheme with `ctid_register_urlauto_handlers`; the sheet engine calls them for
server-side actions, and a client may call the same handlers for the `action_info` it receives.

Caller data is hostile wherever it lands: a value inserted in a URL is percent-encoded for the
component it lands in (so it can add no path segment, query field or fragment), placeholders are
refused in the scheme and host (a caller never chooses where a request goes), and a command line
is split into arguments *before* substitution, so each value is exactly one argument of a
process started without a shell.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import urllib.parse
from collections.abc import Callable, Mapping

from ctid.sheets.variables import fill, placeholders, resolves

EXEC = "exec"
"""The scheme of anything that is not a URL: a process to run."""

SOCKET_SCHEMES = ("tcp", "udp")

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class UrlautoError(Exception):
    """An action could not be run (bad target, refused, failed); the message says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class UrlautoRequest:
    """One action for a handler: what to run, and the values to fill it with."""

    urlauto: str
    """The template as configured, or the final string when `values` is None."""
    values: Mapping[str, str] | None = None
    """The sheet's variables; None when `urlauto` is already substituted (client side)."""
    default: str = ""
    """What runs instead when none of the template's placeholders is known ("" : nothing)."""
    method: str = "GET"
    """HTTP method for http(s): GET, or POST (the query string becomes a form body)."""
    timeout: float = 5.0
    """Seconds the handler may take (connect, send, wait for a process)."""
    allow_exec: bool = False
    """Whether a command line may be run at all (server side: the action's `allow_exec`)."""


UrlautoHandler = Callable[[UrlautoRequest], None]
"""A handler: runs one request and returns; raises UrlautoError (or any error) on failure."""


def scheme_of(urlauto: str) -> str:
    """`http`, `tcp`… for a URL (lower case); `exec` for anything else."""
    match = _URL.match(urlauto.strip())
    return match.group(1).lower() if match else EXEC


def _quote(value: str) -> str:
    # errors="replace": a lone surrogate from a badly encoded caller name must not raise
    return urllib.parse.quote(value, safe="", errors="replace")


def _split(url: str) -> urllib.parse.SplitResult:
    try:
        return urllib.parse.urlsplit(url.strip())
    except ValueError as exc:
        raise UrlautoError(f"not a valid URL: {exc}") from None


def render_url(request: UrlautoRequest) -> str:
    """The URL to use: each value percent-encoded for its component; "" when nothing is to run.

    Scheme and host are taken as written (the config check refuses placeholders there; a
    placeholder that gets there anyway is encoded, so it can only fail to resolve).
    """
    if request.values is None:
        return request.urlauto.strip()
    if not resolves(request.urlauto, request.values):
        return request.default.strip()
    parts = _split(request.urlauto)
    filled = [fill(part, request.values, _quote) for part in parts[1:]]
    return urllib.parse.urlunsplit((parts.scheme, *filled))


def render_argv(request: UrlautoRequest) -> list[str]:
    """The argv of a command line: split like a POSIX shell would, then each argument filled.

    No shell ever sees it: a value with spaces, quotes, `;` or `$(…)` is one literal argument.
    """
    template = request.urlauto
    values = request.values
    if values is not None and not resolves(template, values):
        template, values = request.default, None
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise UrlautoError(f"cannot split the command line: {exc}") from None
    if values is None:
        return words
    return [fill(word, values) for word in words]


def socket_target(url: str) -> tuple[str, int, bytes]:
    """(host, port, bytes to send) of a `tcp://` or `udp://` URL: the query string is sent.

    The seed's rule: the path between `/` and `?` must be empty.
    """
    parts = _split(url)
    if parts.path not in ("", "/"):
        raise UrlautoError("tcp and udp URLs take no path: write host:port/?query")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise UrlautoError("tcp and udp URLs need a host and a port")
    return parts.hostname, port, parts.query.encode("utf-8")


def problem(template: str) -> str | None:
    """What is wrong with an urlauto template written in the config, or None.

    Checked: placeholder names, no placeholder in a URL's scheme or host, the tcp/udp path rule,
    and for a command line that it splits and names its program without a placeholder.
    """
    for name in placeholders(template):
        if not _NAME.match(name):
            return f"expected placeholders such as {{xivo-calleridnum}}, not {{{name}}}"
    scheme = scheme_of(template)
    if scheme == EXEC:
        return _command_problem(template)
    parts = urllib.parse.urlsplit(template.strip())
    if placeholders(f"{parts.scheme}://{parts.netloc}"):
        return "expected no placeholder in the scheme or host of a URL (callers must not choose it)"
    if scheme in SOCKET_SCHEMES:
        try:
            socket_target(template)
        except UrlautoError as exc:
            return f"expected a {scheme} URL such as {scheme}://host:4545/?a=1 ({exc})"
    return None


def _command_problem(template: str) -> str | None:
    try:
        words = shlex.split(template)
    except ValueError as exc:
        return f"expected a URL or a command line that splits into arguments ({exc})"
    if not words:
        return "expected a URL or a command line"
    if placeholders(words[0]):
        return "expected a command line whose program has no placeholder"
    return None
