"""Every hook ctid calls, grouped by lifecycle: the whole contract between the core and plugins.

Five kinds, told apart by the name's grammar (house style) and by the `Kind:` line:

- lifecycle (`ctid_start`, `ctid_stop`, `ctid_reload`): called once per plugin, in plugin order
  (stop: reverse order), with that plugin's own `Ctid` handle;
- notification (past tense, `ctid_call_event_emitted`): fanned out to every implementation; one that
  raises is logged with its plugin's name and counted in status, the others still run;
- query (`ctid_reverse_lookup`): implementations are tried newest first until one returns a value
  other than None, the whole call under a deadline; an answer of the wrong shape (see each
  hook's `:returns:`) counts as the plugin's failure, and the next implementation is asked;
- registration (`ctid_register_…`): each plugin returns the named things it provides; the core
  merges them and refuses duplicate names at start;
- gather (`ctid_report_status`): every implementation's answer is collected, each isolated.

Implementations take only the arguments they use, as pluggy allows; the core passes keywords.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from ctid.callevents import CallEvent
    from ctid.handle import Ctid
    from ctid.sheets.model import Sheet
    from ctid.users import User

PROJECT = "ctid"

_spec = pluggy.HookspecMarker(PROJECT)

F = TypeVar("F", bound=Callable[..., Any])

LIFECYCLE = "lifecycle"
NOTIFICATION = "notification"
QUERY = "query"
REGISTRATION = "registration"
GATHER = "gather"
KINDS = (LIFECYCLE, NOTIFICATION, QUERY, REGISTRATION, GATHER)


AnswerCheck = Callable[[Any], str | None]
"""A query hook's answer check: what is wrong with a non-None answer, or None when it fits."""


def _hook(kind: str, answer: AnswerCheck | None = None) -> Callable[[F], F]:
    """Mark a hookspec and record its kind, which decides how the core calls it, and for a
    query the check its answers must pass (a wrong one is the plugin's failure)."""

    def mark(function: F) -> F:
        function.ctid_kind = kind  # type: ignore[attr-defined]  # read back by ctid.plugins
        function.ctid_answer = answer  # type: ignore[attr-defined]
        return _spec(firstresult=kind == QUERY)(function)

    return mark


def kind_of(function: Callable[..., Any]) -> str:
    """The kind recorded for a hookspec function."""
    return str(getattr(function, "ctid_kind", ""))


def answer_check(function: Callable[..., Any]) -> AnswerCheck | None:
    """The answer check recorded for a query hookspec function."""
    check: AnswerCheck | None = getattr(function, "ctid_answer", None)
    return check


def _strings(answer: Any) -> str | None:
    if isinstance(answer, str | bytes) or not isinstance(answer, Sequence):
        return f"{type(answer).__name__}, not a sequence of strings"
    if not all(isinstance(item, str) for item in answer):
        return "a sequence holding other things than strings"
    return None


def _text_fields(answer: Any) -> str | None:
    if not isinstance(answer, Mapping):
        return f"{type(answer).__name__}, not a mapping"
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in answer.items()):
        return "a mapping holding other things than strings"
    return None


def _search_result(answer: Any) -> str | None:
    if not isinstance(answer, Mapping):
        return f"{type(answer).__name__}, not a mapping"
    headers, rows = answer.get("headers"), answer.get("resultlist")
    if not isinstance(headers, list) or not isinstance(rows, list):
        return "a mapping without the lists headers and resultlist"
    if not all(isinstance(item, str) for item in [*headers, *rows]):
        return "headers or resultlist holding other things than strings"
    return None


# --- lifecycle ------------------------------------------------------------------------------------


@_hook(LIFECYCLE)
def ctid_start(ctid: Ctid) -> None:
    """Start the plugin: bind its listeners, spawn its greenlets.

    :param ctid: the plugin's handle: its validated config section, the core services, and a
        greenlet group that the core kills when the plugin stops.
    :returns: nothing. Raising aborts the daemon's start (plugins already started are stopped).

    Kind: lifecycle.
    Called from: the main greenlet, once per plugin, in the order of `plugins:` in the config.
    May block: briefly (binding a socket); long work belongs in `ctid.spawn`.
    Since: 0.1.
    """


@_hook(LIFECYCLE)
def ctid_stop(ctid: Ctid) -> None:
    """Stop the plugin: close listeners, say goodbye to peers, flush what must be flushed.

    :param ctid: the plugin's handle; its greenlets are killed right after this returns.
    :returns: nothing. Raising is logged; the other plugins still stop.

    Kind: lifecycle.
    Called from: the main greenlet, once per plugin, in reverse start order, within the
        daemon's `timeouts.stop` budget.
    May block: up to its share of `timeouts.stop`; then it is abandoned.
    Since: 0.1.
    """


@_hook(LIFECYCLE)
def ctid_reload(ctid: Ctid, changed: frozenset[str]) -> None:
    """Apply a new, already validated configuration (SIGHUP or the webi `cticonfig` notice).

    :param ctid: the plugin's handle, whose `config` and `settings` already hold the new values.
    :param changed: the top-level config sections whose value changed; `plugins` is in it only
        when this plugin's own section changed.
    :returns: nothing. Raising is logged and counted; the daemon keeps running.

    Kind: lifecycle.
    Called from: the main greenlet, once per plugin, in start order; never with an invalid config.
    May block: briefly; a plugin must not drop client connections to apply a change.
    Since: 0.1.
    """


# --- Asterisk side --------------------------------------------------------------------------------


@_hook(NOTIFICATION)
def ctid_ami_event_received(ipbx_id: str, event: Mapping[str, str]) -> None:
    """See one raw AMI event, before the call model has turned it into call events.

    :param ipbx_id: the Asterisk the event comes from.
    :param event: the event's fields, keys as Asterisk sends them (`Event`, `Uniqueid`…);
        read-only.
    :returns: nothing.

    Kind: notification.
    Called from: the AMI reader greenlet, for every event; the hot path.
    May block: no. Keep it cheap; spawn for anything slow.
    Since: 0.1.
    """


@_hook(NOTIFICATION)
def ctid_ami_link_changed(ipbx_id: str, state: str, detail: str) -> None:
    """Learn that the AMI link to an Asterisk went up, down, or failed to log in.

    :param ipbx_id: the Asterisk concerned.
    :param state: `up`, `down` or `auth_failed`.
    :param detail: a human reason (the Asterisk version when up, the error when down).
    :returns: nothing.

    Kind: notification.
    Called from: the AMI client greenlet.
    May block: no.
    Since: 0.1.
    """


@_hook(NOTIFICATION)
def ctid_call_event_emitted(event: CallEvent) -> None:
    """See a normalized call event: `dial`, `link`, `unlink`, `hangup`, `incomingdid`,
    `incomingqueue`, `agentcalled`, `agentlinked`, `agentunlinked`, `outcall` or `custom.<name>`.

    :param event: the event, plain frozen data carrying the raw facts sheets need.
    :returns: nothing.

    Kind: notification.
    Called from: the AMI reader greenlet, right after the call model changed; the hot path.
    May block: no. Sheet rendering and webhooks spawn their own greenlets.
    Since: 0.1.
    """


@_hook(NOTIFICATION)
def ctid_users_changed(
    added: Sequence[User], removed: Sequence[User], changed: Sequence[User]
) -> None:
    """Learn that the user set changed (a source refresh, a reload, a webi notice).

    :param added: users that appeared.
    :param removed: users that are gone (their sessions should end).
    :param changed: users whose config changed (profile, lines, names…).
    :returns: nothing.

    Kind: notification.
    Called from: the greenlet that refreshed the users (the poller, a reload, webi).
    May block: no.
    Since: 0.1.
    """


# --- sheets ---------------------------------------------------------------------------------------


@_hook(NOTIFICATION)
def ctid_sheet_rendered(sheet: Sheet) -> None:
    """Deliver a rendered sheet (screen pop) to the CTI sessions it is for.

    :param sheet: plain frozen data: every value substituted, `recipients` (a spec: ask
        `sheet.recipients.includes(user, subscribed=…)` per logged-in session), `contexts` (the
        tenant scope to send with), and `message(serial)` building each serial once for all
        recipients. The delivery side applies what only it knows: logged-in sessions, the
        profile's `sheets` flag and `sheet_serial`, `subscribe`, tenant separation; then it
        records the users reached with `sheet_state(ctid).delivered(sheet, user_ids)`.
    :returns: nothing.

    Kind: notification.
    Called from: the sheet engine's worker greenlet of the sheet's channel, never the AMI
        reader; the sheets of one channel come in call event order.
    May block: briefly (queueing to clients); that channel's next sheet waits for it.
    Since: 0.1.
    """


# --- directories ----------------------------------------------------------------------------------


@_hook(QUERY, answer=_strings)
def ctid_normalize_number(number: str, context: str) -> Sequence[str] | None:
    """Turn a caller number into the candidates a directory should try, best first.

    :param number: the number as Asterisk gave it (`0612345678`, `+33 6 12…`, `anonymous`).
    :param context: the dialplan context of the call, for per-context default regions.
    :returns: candidates (E.164, national digits, raw…), an empty sequence when the value is not
        a number worth looking up, or None to let the next implementation answer.

    Kind: query.
    Called from: the greenlet doing a reverse lookup (sheet, FastAGI, CTI, info).
    May block: no; it runs under the lookup's deadline.
    Since: 0.1.
    """


@_hook(QUERY, answer=_text_fields)
def ctid_reverse_lookup(number: str, context: str, did: str) -> Mapping[str, str] | None:
    """Find who is calling: the directory entry matching a caller number.

    :param number: the caller number, raw.
    :param context: the dialplan context of the call.
    :param did: the DID the call came in on, or "" (per-DID directory choice).
    :returns: `db-<key>` fields plus `dbr-display` and `xivo-directory`, or None for no match.

    Kind: query.
    Called from: the greenlet rendering a sheet, a FastAGI request, a CTI or info command.
    May block: yes, on directory I/O, under a deadline (default 1 s); fail-open.
    Since: 0.1.
    """


@_hook(QUERY, answer=_search_result)
def ctid_search_directory(
    term: str, contexts: Sequence[str], limit: int
) -> Mapping[str, Any] | None:
    """Search the directories of a user's contexts (the CTI `directory` command).

    :param term: what the user typed; hostile, never interpreted.
    :param contexts: the searching user's contexts (its tenant), best first.
    :param limit: the most rows to return.
    :returns: `{"headers": [...], "resultlist": ["a;b;c", ...], "status": "ok"|"partial"|…}`,
        or None when no directory service answers.

    Kind: query.
    Called from: the CTI session greenlet that received the command.
    May block: yes, on directory I/O, under each source's deadline.
    Since: 0.1.
    """


# --- registration ---------------------------------------------------------------------------------


@_hook(REGISTRATION)
def ctid_register_directory_backends() -> Mapping[str, Callable[..., Any]]:
    """Provide directory backend types (`ldap`, `csv`, `sql`…).

    :returns: type name → `BackendFactory` (`ctid.api`): called with one `directories:` entry
        as a `SourceSpec` (its options validated by the factory's `config_schema`), it returns
        that source's `Backend` (`search`, `reverse`, `close`, `health`).

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no.
    Since: 0.1.
    """


@_hook(REGISTRATION)
def ctid_register_urlauto_handlers() -> Mapping[str, Callable[..., Any]]:
    """Provide urlauto handlers, one per scheme (`http`, `https`, `tcp`, `udp`, `exec`).

    :returns: scheme → handler called with one `UrlautoRequest` (template, the sheet's values,
        method, timeout, allow_exec); the handler substitutes with its scheme's escaping
        (`render_url`, `render_argv`), runs it within the timeout, and raises on failure.

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no.
    Since: 0.1.
    """


@_hook(REGISTRATION)
def ctid_register_fagi_scripts() -> Mapping[str, Callable[..., Any]]:
    """Provide FastAGI scripts (`callerid_forphones`, `callerid_extend`…).

    :returns: script name (as in `agi://host:port/<name>`) → handler called with the session
        and the parsed request, under the FastAGI deadline.

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no.
    Since: 0.1.
    """


@_hook(REGISTRATION)
def ctid_register_cti_commands() -> Mapping[str, Callable[..., Any]]:
    """Provide CTI commands, keyed by the JSON `class` they answer.

    :returns: class name → handler called with the session and the decoded message.

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no.
    Since: 0.1.
    """


@_hook(REGISTRATION)
def ctid_register_info_commands() -> Mapping[str, Callable[..., Any]]:
    """Provide commands of the info console (port 5005).

    :returns: command word → handler called with the console and the argument list; it
        returns the answer lines.

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no.
    Since: 0.1.
    """


@_hook(REGISTRATION)
def ctid_register_user_sources() -> Mapping[str, Callable[..., Any]]:
    """Provide user and line sources (the embedded `users:` list, a web service, SQL…).

    :returns: source name → callable taking no argument (the plugin reads its own options)
        that returns user mappings in the `users:` schema; it runs under `timeouts.socket`, and
        when it fails the users it gave last time are kept.

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no.
    Since: 0.1.
    """


@_hook(REGISTRATION)
def ctid_register_sheet_variables() -> Mapping[str, Callable[..., Any]]:
    """Provide a family of sheet variables (`xivo`, `db`, `dp`, or a site's `crm`).

    :returns: family name (the part before the first `-`) → provider called with the call
        event; it returns that family's values as `{"<family>-<name>": "value"}`.

    Kind: registration.
    Called from: the main greenlet, at start and after each reload.
    May block: no (the providers it returns may, under the sheet's deadline).
    Since: 0.1.
    """


# --- status ---------------------------------------------------------------------------------------


@_hook(GATHER)
def ctid_report_status() -> Mapping[str, Any] | None:
    """Report the plugin's health for the info console and the status summary.

    :returns: a JSON-ready mapping (e.g. `{"link": "up", "clients": 3}`), or None. The core's
        `state`, `failures` and `last_failure` keys always win over the plugin's. Two keys
        are summed over every plugin into the status summary: `clients` (clients served,
        logged in) and `users` (distinct users among them).

    Kind: gather.
    Called from: the greenlet serving an info or status request.
    May block: no.
    Since: 0.1.
    """


def hook_names() -> list[str]:
    """Every hook name, in the order of this module."""
    return [
        name for name, value in globals().items() if name.startswith("ctid_") and kind_of(value)
    ]


def registration_kind(hook_name: str) -> str:
    """`ctid_register_fagi_scripts` → `fagi_scripts`: the name used by `Ctid.registry()`."""
    return hook_name.removeprefix("ctid_register_")


def _check_signatures() -> None:
    """Fail at import if a spec lost its kind: every ctid_* function must be a hookspec."""
    for name, value in list(globals().items()):
        if name.startswith("ctid_") and callable(value) and not kind_of(value):
            raise TypeError(f"{name} is not marked as a hook")


_check_signatures()
