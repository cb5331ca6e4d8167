"""From config to sheets: the compiled `sheets:` section, and one definition rendered for one
call event with its variables.

Each line type is filled the way its value will be used: plain text for text lines; for `url`,
`urlx` and URL `urlauto` lines, each value percent-encoded for the URL component it lands in;
for a client-side command line (`urlauto` that is not a URL, run by the Qt client without a
shell but split on blanks and quotes), each value stripped of blanks and quotes so it stays one
argument.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ctid.callevents import CallEvent
from ctid.calls.patterns import compile_patterns, matches
from ctid.sheets import urlauto
from ctid.sheets.config import read_form
from ctid.sheets.model import Recipients, Sheet, SheetForm, SheetLine
from ctid.sheets.variables import Values, fill, resolves, substitute

log = logging.getLogger(__name__)

_ARGUMENT_BREAKERS = re.compile(r"[\s\"'\\]")
_COMMAND_PARTS = re.compile(r"(?<![^\s\"'])(?P<whole>(?:\{[^}]+\})+)(?![^\s\"'])|\{[^}]+\}")
"""In a client-side command line: a run of placeholders that is a whole argument (between
blanks, quotes or the ends), else one placeholder inside an argument."""
EMPTY_ARGUMENT = "-"
"""What a whole argument becomes when its values are empty: it keeps its place."""


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One configured line: `[title, type, default, format]`."""

    title: str
    type: str
    default: str
    template: str


@dataclasses.dataclass(frozen=True, slots=True)
class ServerAction:
    """One configured server-side urlauto action."""

    urlauto: str
    method: str
    timeout: float
    allow_exec: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Definition:
    """One sheet definition, validated and with its forms read."""

    name: str
    whom: str
    contexts: tuple[str, ...]
    profiles: tuple[str, ...]
    focus: bool
    compressed: bool
    sheet_info: tuple[Line, ...]
    systray_info: tuple[Line, ...]
    action_info: tuple[Line, ...]
    forms: tuple[SheetForm, ...]
    server_actions: tuple[ServerAction, ...]
    dids: re.Pattern[str] | None = None
    """Condition: the DIDs (numbers and patterns, compiled) the call must have come in on."""
    incoming_contexts: frozenset[str] = frozenset()
    """Condition: the incoming contexts the call must have come in through."""

    def takes(self, event: CallEvent) -> bool:
        """Whether the call of `event` passes the call conditions (`dids`, `incoming_contexts`)."""
        if self.incoming_contexts and event.incoming_context not in self.incoming_contexts:
            return False
        return self.dids is None or matches(self.dids, event.did)

    def scope(self, event: CallEvent, tenants: frozenset[str]) -> frozenset[str]:
        """The tenant scope of the sheet: the call's contexts, widened to the definition's
        `contexts` when the operator named whose call it is: the call came in on the DIDs or
        through the incoming contexts the definition names (it passed `takes`), or it has been
        in no tenant's context yet (only in an incoming context: `incomingdid`). A call
        already in a tenant's context never reaches another tenant through `contexts` alone."""
        named = self.dids is not None or bool(self.incoming_contexts)
        if self.contexts and (named or not event.contexts & tenants):
            return event.contexts | frozenset(self.contexts)
        return event.contexts


@dataclasses.dataclass(frozen=True, slots=True)
class SheetBook:
    """The whole `sheets:` section, compiled: definitions by call event."""

    events: Mapping[str, tuple[Definition, ...]]
    variables_deadline: float
    dialplan_wait: float
    limits: Mapping[str, int]


def compile_book(section: Mapping[str, Any]) -> SheetBook:
    """Compile a validated `sheets:` section (its form paths already resolved)."""
    definitions = {
        name: _definition(name, options) for name, options in section["definitions"].items()
    }
    events = {
        where: tuple(definitions[name] for name in names if name in definitions)
        for where, names in section["events"].items()
    }
    return SheetBook(
        events={where: found for where, found in events.items() if found},
        variables_deadline=section["variables_deadline"],
        dialplan_wait=section["dialplan_wait"],
        limits=dict(section["limits"]),
    )


def _definition(name: str, options: Mapping[str, Any]) -> Definition:
    conditions, display = options["conditions"], options["options"]
    return Definition(
        name=name,
        whom=conditions["whom"],
        contexts=tuple(conditions["contexts"]),
        profiles=tuple(conditions["profiles"]),
        focus=display["focus"],
        compressed=display["zip"],
        sheet_info=tuple(Line(*item) for item in options["sheet_info"]),
        systray_info=tuple(Line(*item) for item in options["systray_info"]),
        action_info=tuple(Line(*item) for item in options["action_info"]),
        forms=_forms(name, options["sheet_qtui"]),
        server_actions=tuple(ServerAction(**action) for action in options["server_actions"]),
        dids=compile_patterns(conditions["dids"]) if conditions["dids"] else None,
        incoming_contexts=frozenset(conditions["incoming_contexts"]),
    )


def _forms(name: str, paths: Mapping[str, str]) -> tuple[SheetForm, ...]:
    forms = []
    for form, path in paths.items():
        try:
            forms.append(SheetForm(form, read_form(pathlib.Path(path))))
        except (OSError, ValueError) as exc:
            # validated moments ago: the file changed since; the sheet goes out without it
            log.error("sheet %s: form %s left out: %s", name, form, exc)
    return tuple(forms)


def line_value(line: Line, values: Values) -> str:
    """A line's value, each variable inserted the way this line type uses it."""
    if line.type == "form":
        return line.template
    if line.type == "urlx":
        return _urlx(line, values)
    is_url = urlauto.scheme_of(line.template) != urlauto.EXEC
    if line.type == "url" or (line.type == "urlauto" and is_url):
        return _url(line.template, values, line.default)
    if line.type == "urlauto":
        return _command(line, values)
    return substitute(line.template, values, line.default)


def _command(line: Line, values: Values) -> str:
    if not resolves(line.template, values):
        return line.default

    def clean(value: str) -> str:
        return _ARGUMENT_BREAKERS.sub("", value)

    def part(match: re.Match[str]) -> str:
        filled = fill(match.group(0), values, clean)
        # Placeholders that make a whole argument: emptied, the argument would vanish when the
        # client splits the line (Qt drops empty words, even `""`), and the next argument would
        # slide into its place (`crm --number {num} --name {name}`, an anonymous caller).
        return filled or (EMPTY_ARGUMENT if match.group("whole") else "")

    return _COMMAND_PARTS.sub(part, line.template)


def _url(template: str, values: Values, default: str) -> str:
    request = urlauto.UrlautoRequest(urlauto=template, values=values, default=default)
    try:
        return urlauto.render_url(request)
    except urlauto.UrlautoError:
        return default


def _urlx(line: Line, values: Values) -> str:
    # The Qt client splits an urlx value on "@" into link and label: keep values out of that.
    link, at, label = line.template.rpartition("@")
    if not at:
        return _url(line.template, values, line.default)
    if not resolves(line.template, values):
        return line.default
    label_value = fill(label, values, lambda value: value.replace("@", ""))
    return f"{_url(link, values, link)}@{label_value}"


def _lines(lines: Sequence[Line], values: Values) -> tuple[SheetLine, ...]:
    return tuple(
        SheetLine(order=10 * (index + 1), title=line.title, type=line.type, value=value)
        for index, line in enumerate(lines)
        for value in [line_value(line, values)]
    )


def build_sheet(
    definition: Definition,
    event: CallEvent,
    values: Values,
    recipients: Recipients,
    tenants: frozenset[str] = frozenset(),
) -> Sheet:
    """One definition rendered for one event (`tenants`: the contexts where users have lines)."""
    return Sheet(
        name=definition.name,
        where=event.where,
        ipbx_id=event.ipbx_id,
        channel=event.channel,
        uniqueid=event.uniqueid,
        linkedid=event.linkedid,
        sequence=event.sequence,
        time=event.time,
        contexts=definition.scope(event, tenants),
        focus=definition.focus,
        compressed=definition.compressed,
        items=_lines(definition.sheet_info, values),
        systray=_lines(definition.systray_info, values),
        actions=_lines(definition.action_info, values),
        forms=definition.forms,
        recipients=recipients,
    )
