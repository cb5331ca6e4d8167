"""The `sheets:` section: which call events pop which sheets, for whom, with which lines.

The schema checks shapes and single values; `cross_check` (run with the core's cross-section
checks) checks what needs the whole config: event names, sheet names, form names, profiles,
custom events, `allow_exec`, and it reads every `sheet_qtui` file, so that a missing or broken
form is a config problem naming its file, never a surprise during a call. A relative form path
is resolved against the directory of the config file that names it, and replaced by the
resolved path; the engine reads the forms again when it applies the config, never per call.
"""

from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any

import voluptuous as vol

from ctid.callevents import CUSTOM_PREFIX, WHERE_VALUES, is_where
from ctid.calls.patterns import pattern_problem
from ctid.config.problems import ConfigProblem
from ctid.config.validators import between, duration, positive_duration, string_list
from ctid.sheets import urlauto
from ctid.sheets.model import WHOM

Opt = vol.Optional
Req = vol.Required
Origin = Callable[[tuple[str, ...]], str]

SHEET_TYPES = ("title", "text", "phone", "url", "urlx", "picture", "form")
SYSTRAY_TYPES = ("title", "body")
ACTION_TYPES = ("urlauto",)
FORM_MAX_BYTES = 1024 * 1024


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise vol.Invalid("expected text")
    return str(value)


def line(kinds: tuple[str, ...]) -> Callable[[Any], list[str]]:
    """A validator of one display line `[title, type, default, format]`."""
    shape = f"expected a line [title, type, default, format] with type {'|'.join(kinds)}"

    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or len(value) != 4:
            raise vol.Invalid(shape)
        try:
            title, kind, default, template = (_text(item) for item in value)
        except vol.Invalid:
            raise vol.Invalid(shape) from None
        if kind not in kinds:
            raise vol.Invalid(f"expected a line type among {', '.join(kinds)}, not {kind!r}")
        if kind == "urlauto" and (trouble := urlauto.problem(template)):
            raise vol.Invalid(trouble)
        return [title, kind, default, template]

    return check


def numbers(value: Any) -> list[str]:
    """DIDs as numbers or Asterisk patterns (`_0145XXXXXX`); see ctid.calls.patterns."""
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, int | float) for item in items):
        # YAML reads 0145… as a number (even as octal): the leading zeros would be lost.
        raise vol.Invalid("expected numbers in quotes ('0145001234'): YAML drops leading zeros")
    entries = string_list(value)
    for entry in entries:
        if trouble := pattern_problem(entry):
            raise vol.Invalid(f"{trouble}: {entry!r}")
    return entries


def urlauto_template(value: Any) -> str:
    """An urlauto string written in the config (see ctid.sheets.urlauto.problem)."""
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid("expected a URL or a command line")
    trouble = urlauto.problem(value)
    if trouble:
        raise vol.Invalid(trouble)
    return value.strip()


CONDITIONS = vol.Schema(
    {
        Opt("whom", default="dest", description="dest, all, all-context or subscribe"): vol.In(
            WHOM, msg=f"expected one of {', '.join(WHOM)}"
        ),
        Opt("contexts", default=[], description="only users with a line in one of these"): (
            string_list
        ),
        Opt("profiles", default=[], description="only users of one of these profiles"): (
            string_list
        ),
        Opt(
            "dids",
            default=[],
            description="only calls that came in on one of these DIDs (numbers or _patterns)",
        ): numbers,
        Opt(
            "incoming_contexts",
            default=[],
            description="only calls that came in through one of these incoming contexts",
        ): string_list,
    }
)

OPTIONS = vol.Schema(
    {
        Opt("focus", default=False, description="the client brings the sheet to the front"): bool,
        Opt("zip", default=True, description="compress the XML payload (Qt qUncompress format)"): (
            bool
        ),
    }
)

SERVER_ACTION = vol.Schema(
    {
        Req("urlauto", description="http(s)://, tcp://host:port/?q, udp://… or a command line"): (
            urlauto_template
        ),
        Opt("method", default="GET", description="http(s): GET, or POST the query as a form"): (
            vol.In(["GET", "POST"], msg="expected GET or POST")
        ),
        Opt("timeout", default=5.0, description="the action is abandoned (killed) after this"): (
            positive_duration
        ),
        Opt("allow_exec", default=False, description="allow a command line (runs a process)"): (
            bool
        ),
    }
)

DEFINITION = vol.Schema(
    {
        Opt("conditions", default={}, description="who receives the sheet"): CONDITIONS,
        Opt("options", default={}, description="how clients show it"): OPTIONS,
        Opt("sheet_info", default=[], description="the popup's lines"): [line(SHEET_TYPES)],
        Opt("systray_info", default=[], description="the tray notification's lines"): [
            line(SYSTRAY_TYPES)
        ],
        Opt("action_info", default=[], description="urlauto lines the client runs"): [
            line(ACTION_TYPES)
        ],
        Opt("sheet_qtui", default={}, description="Qt Designer .ui files by form name"): {
            str: vol.All(str, vol.Length(min=1))
        },
        Opt("server_actions", default=[], description="urlauto actions ctid runs itself"): [
            SERVER_ACTION
        ],
    }
)

LIMITS = vol.Schema(
    {
        Opt("workers", default=64, description="channels rendering sheets at once"): between(
            1, 100_000
        ),
        Opt("queued_per_channel", default=32, description="events waiting behind a channel"): (
            between(1, 10_000)
        ),
        Opt("server_actions", default=16, description="server actions running at once"): (
            between(1, 10_000)
        ),
        Opt("channels", default=10_000, description="channels whose sheet state is kept"): (
            between(1, 10_000_000)
        ),
        Opt("notes", default=50, description="notes kept per sheet (sheet addentry)"): between(
            0, 10_000
        ),
        Opt("note_length", default=1000, description="longest note, in characters"): between(
            1, 100_000
        ),
    }
)

SHEETS = vol.Schema(
    {
        Opt("variables_deadline", default=1.0, description="variable providers answer within"): (
            positive_duration
        ),
        Opt("dialplan_wait", default=0.5, description="incomingdid waits for dp- values"): (
            duration
        ),
        Opt("events", default={}, description="call event (where) -> sheet names"): {
            str: string_list
        },
        Opt("definitions", default={}, description="sheets by name"): {str: DEFINITION},
        Opt("limits", default={}, description="bounds of the sheet engine"): LIMITS,
    }
)


def cross_check(data: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    """Every problem of `sheets:` that needs the rest of the config; reads the forms."""
    sheets = data["sheets"]
    problems = _events(sheets, data["custom_user_events"], origin)
    for name, definition in sheets["definitions"].items():
        base = ("sheets", "definitions", name)
        problems += _definition(definition, data["profiles"], base, origin)
        problems += _incoming(definition, data["incoming_contexts"], base, origin)
        problems += _forms(definition["sheet_qtui"], (*base, "sheet_qtui"), origin)
    return problems


def tenant_warnings(data: Mapping[str, Any], origin: Origin) -> list[str]:
    """`incomingdid` sheets that reach nobody, or (under context separation) one tenant's users
    with every tenant's DID calls. Such a call has only been in an incoming context, where no
    user has a line, and its destination is not known yet."""
    sheets, separated = data["sheets"], data["parting"]["context_separation"]
    tenants = {line["context"] for user in data["users"] for line in user.get("lines", [])}
    warnings = []
    for name in sorted(set(sheets["events"].get("incomingdid", [])) & set(sheets["definitions"])):
        conditions = sheets["definitions"][name]["conditions"]
        path = ("sheets", "definitions", name, "conditions")
        where = f"{origin(path)}: {' -> '.join(path)}: the incomingdid sheet {name!r}"
        if conditions["whom"] in ("dest", "all-context"):
            warnings.append(
                f"{where} reaches nobody with whom: {conditions['whom']} (a DID call has no "
                "destination yet, and no user has a line in its incoming context); use whom: "
                "all with the tenant's contexts"
            )
        elif not conditions["contexts"] and separated:
            warnings.append(
                f"{where} reaches nobody under context separation: name the tenant's "
                "contexts under `contexts`"
            )
        elif separated and not conditions["dids"] and not conditions["incoming_contexts"]:
            others = sorted(tenants - set(conditions["contexts"]))
            if others:
                warnings.append(
                    f"{where} pops at the users of {', '.join(conditions['contexts'])} for "
                    f"every tenant's DID calls (users also have lines in {', '.join(others)}): "
                    "name its DIDs under `dids` or its incoming contexts under "
                    "`incoming_contexts`"
                )
    return warnings


def _problem(origin: Origin, path: tuple[str, ...], expected: str, found: str) -> ConfigProblem:
    return ConfigProblem(origin(path), path, expected, found)


def _events(sheets: Mapping[str, Any], custom: list[str], origin: Origin) -> list[ConfigProblem]:
    problems = []
    defined = sorted(sheets["definitions"])
    for where, names in sheets["events"].items():
        path = ("sheets", "events", where)
        if not is_where(where):
            expected = f"a call event: {', '.join(WHERE_VALUES)} or custom.<UserEvent name>"
            problems.append(_problem(origin, path, expected, repr(where)))
        elif where.startswith(CUSTOM_PREFIX) and where[len(CUSTOM_PREFIX) :] not in custom:
            expected = "a custom event whose UserEvent name is listed in custom_user_events"
            problems.append(_problem(origin, path, expected, repr(where)))
        for index, name in enumerate(names):
            if name not in sheets["definitions"]:
                expected = f"a sheet under sheets -> definitions ({', '.join(defined) or 'none'})"
                problems.append(_problem(origin, (*path, str(index)), expected, repr(name)))
    return problems


def _definition(
    definition: Mapping[str, Any],
    profiles: Mapping[str, Any],
    base: tuple[str, ...],
    origin: Origin,
) -> list[ConfigProblem]:
    problems = []
    for profile in definition["conditions"]["profiles"]:
        expected = f"a profile defined under profiles: ({', '.join(sorted(profiles))})"
        if profile not in profiles:
            path = (*base, "conditions", "profiles")
            problems.append(_problem(origin, path, expected, repr(profile)))
    forms = definition["sheet_qtui"]
    for index, (_title, kind, _default, template) in enumerate(definition["sheet_info"]):
        if kind == "form" and template not in forms:
            expected = f"a form named under sheet_qtui ({', '.join(sorted(forms)) or 'none'})"
            problems.append(_problem(origin, (*base, "sheet_info", str(index)), expected, template))
    for index, action in enumerate(definition["server_actions"]):
        if urlauto.scheme_of(action["urlauto"]) == urlauto.EXEC and not action["allow_exec"]:
            path = (*base, "server_actions", str(index), "allow_exec")
            expected = "allow_exec: true for an action that runs a command line"
            problems.append(_problem(origin, path, expected, repr(action["urlauto"])))
    return problems


def _incoming(
    definition: Mapping[str, Any], incoming: list[str], base: tuple[str, ...], origin: Origin
) -> list[ConfigProblem]:
    """A sheet's `incoming_contexts` must be DID contexts: no call would ever match another."""
    path = (*base, "conditions", "incoming_contexts")
    listed = ", ".join(incoming) or "none"
    expected = f"expected a context listed in the core's incoming_contexts ({listed})"
    return [
        _problem(origin, path, expected, repr(context))
        for context in definition["conditions"]["incoming_contexts"]
        if context not in incoming
    ]


def _forms(forms: dict[str, str], base: tuple[str, ...], origin: Origin) -> list[ConfigProblem]:
    problems = []
    for name, written in forms.items():
        path = (*base, name)
        file = resolve(written, origin(path))
        try:
            read_form(file)
        except (OSError, ValueError) as exc:
            problems.append(_problem(origin, path, "a readable Qt Designer .ui file", str(exc)))
            continue
        forms[name] = str(file)
    return problems


def resolve(written: str, config_file: str) -> pathlib.Path:
    """A form path as written, relative to the directory of the config file that names it."""
    path = pathlib.Path(written).expanduser()
    return path if path.is_absolute() else pathlib.Path(config_file).parent / path


def read_form(path: pathlib.Path) -> str:
    """The text of a `.ui` file: bounded, UTF-8, an XML document whose root is `<ui>`.

    :raises OSError: unreadable. :raises ValueError: too large, not UTF-8, not a form.
    """
    with path.open("rb") as file:
        data = file.read(FORM_MAX_BYTES + 1)
    if len(data) > FORM_MAX_BYTES:
        raise ValueError(f"{path}: larger than {FORM_MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
        root = ET.fromstring(text)  # noqa: S314  (the operator's own file, read at load)
    except (UnicodeDecodeError, ET.ParseError) as exc:
        raise ValueError(f"{path}: not a UTF-8 XML document ({exc})") from None
    if root.tag != "ui":
        raise ValueError(f"{path}: the root element is <{root.tag}>, not <ui>")
    return text
