"""The `sheets:` section: shapes, references, forms read at load, every problem at once."""

import pathlib
from typing import Any

import pytest

from ctid.config import ConfigError, read_directory, read_mapping, validate
from ctid.sheets.render import compile_book

UI = '<?xml version="1.0"?>\n<ui version="4.0"><widget class="QWidget" name="crm"/></ui>\n'


def problems(sheets: dict[str, Any], **extra: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(read_mapping({"sheets": sheets, **extra}, "50-sheets.yml"))
    return [str(problem) for problem in caught.value.problems]


def test_defaults_and_a_valid_definition_compile() -> None:
    config = validate(
        read_mapping(
            {
                "sheets": {
                    "events": {"dial": ["pop"], "custom.crm": ["pop"]},
                    "definitions": {
                        "pop": {
                            "sheet_info": [["Name", "text", 0, "{xivo-calleridname}"]],
                            "action_info": [["", "urlauto", "", "tcp://crm:4545/?n={x-y}"]],
                        }
                    },
                },
                "custom_user_events": ["crm"],
            }
        )
    )
    sheets = config.data["sheets"]
    assert sheets["variables_deadline"] == 1.0 and sheets["dialplan_wait"] == 0.5
    pop = sheets["definitions"]["pop"]
    assert pop["conditions"] == {
        "whom": "dest",
        "contexts": [],
        "profiles": [],
        "dids": [],
        "incoming_contexts": [],
    }
    assert pop["options"] == {"focus": False, "zip": True}
    assert pop["sheet_info"] == [["Name", "text", "0", "{xivo-calleridname}"]]
    book = compile_book(sheets)
    assert [d.name for d in book.events["custom.crm"]] == ["pop"]


def test_every_problem_is_reported_with_its_path() -> None:
    found = problems(
        {
            "events": {"dail": ["pop"], "dial": ["pop", "nope"], "custom.x": ["pop"]},
            "definitions": {
                "pop": {
                    "conditions": {"whom": "everyone", "profiles": ["boss"]},
                    "sheet_info": [["a", "blink", "", ""], ["b", "text"], ["f", "form", "", "x"]],
                    "systray_info": [["", "text", "", ""]],
                    "server_actions": [
                        {"urlauto": "tcp://crm:1/path?a=1"},
                        {"urlauto": "http://{xivo-calleridname}/"},
                        {"urlauto": "/bin/echo {xivo-calleridnum}"},
                    ],
                },
            },
        }
    )
    text = "\n".join(found)
    assert "sheets -> definitions -> pop -> conditions -> whom: expected one of dest" in text
    assert "sheet_info -> 0: expected a line type among title, text" in text
    assert "sheet_info -> 1: expected a line [title, type, default, format]" in text
    assert "systray_info -> 0: expected a line type among title, body" in text
    assert "server_actions -> 0 -> urlauto: expected a tcp URL" in text
    # voluptuous stops a list at its first deep error: the next action is checked on its own
    [found_host] = problems(
        {"definitions": {"pop": {"server_actions": [{"urlauto": "http://{xivo-x}/"}]}}}
    )
    assert "server_actions -> 0 -> urlauto: expected no placeholder in the scheme or host" in (
        found_host
    )
    # references are checked once the shapes are right: fix the shapes, see those
    found = problems(
        {
            "events": {"dail": ["pop"], "dial": ["pop", "nope"], "custom.x": ["pop"]},
            "definitions": {
                "pop": {
                    "conditions": {"profiles": ["boss"]},
                    "sheet_info": [["f", "form", "", "x"]],
                    "server_actions": [{"urlauto": "/bin/echo {xivo-calleridnum}"}],
                },
            },
        }
    )
    assert found == [
        "50-sheets.yml: sheets -> events -> dail: a call event: dial, link, unlink, "
        "hangup, incomingdid, incomingqueue, agentcalled, agentlinked, agentunlinked, outcall "
        "or custom.<UserEvent name>, got 'dail'",
        "50-sheets.yml: sheets -> events -> dial -> 1: a sheet under sheets -> "
        "definitions (pop), got 'nope'",
        "50-sheets.yml: sheets -> events -> custom.x: a custom event whose UserEvent "
        "name is listed in custom_user_events, got 'custom.x'",
        "50-sheets.yml: sheets -> definitions -> pop -> conditions -> profiles: a "
        "profile defined under profiles: (default), got 'boss'",
        "50-sheets.yml: sheets -> definitions -> pop -> sheet_info -> 0: a form named "
        "under sheet_qtui (none), got x",
        "50-sheets.yml: sheets -> definitions -> pop -> server_actions -> 0 -> allow_exec: "
        "allow_exec: true for an action that runs a command line, got "
        "'/bin/echo {xivo-calleridnum}'",
    ]


def write(directory: pathlib.Path, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "30-sheets.yml").write_text(text, encoding="utf-8")


def test_forms_are_read_at_load_relative_to_their_config_file(tmp_path: pathlib.Path) -> None:
    config_dir = tmp_path / "config.d"
    (config_dir / "forms").mkdir(parents=True)
    (config_dir / "forms" / "crm.ui").write_text(UI, encoding="utf-8")
    write(
        config_dir,
        "sheets:\n  events: {dial: [pop]}\n  definitions:\n    pop:\n"
        "      sheet_qtui: {crm: forms/crm.ui}\n"
        "      sheet_info: [[Form, form, '', crm]]\n",
    )
    config = validate(read_directory(config_dir))
    written = config.data["sheets"]["definitions"]["pop"]["sheet_qtui"]["crm"]
    assert written == str(config_dir / "forms" / "crm.ui")
    [definition] = compile_book(config.data["sheets"]).events["dial"]
    assert [(form.name, form.ui) for form in definition.forms] == [("crm", UI)]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "No such file"),
        (b"\xff\xfe not utf-8", "not a UTF-8 XML document"),
        (b"<ui><unclosed></ui>", "not a UTF-8 XML document"),
        (b"<html/>", "the root element is <html>, not <ui>"),
        (b"<ui>" + b" " * (1024 * 1024) + b"</ui>", "larger than"),
    ],
)
def test_a_broken_form_is_a_config_problem_naming_its_file(
    tmp_path: pathlib.Path, content: bytes | None, why: str
) -> None:
    form = tmp_path / "broken.ui"
    if content is not None:
        form.write_bytes(content)
    write(
        tmp_path / "config.d",
        f"sheets:\n  definitions:\n    pop:\n      sheet_qtui: {{crm: {form}}}\n",
    )
    with pytest.raises(ConfigError) as caught:
        validate(read_directory(tmp_path / "config.d"))
    [problem] = caught.value.problems
    assert problem.path == ("sheets", "definitions", "pop", "sheet_qtui", "crm")
    assert problem.file.endswith("30-sheets.yml")
    assert problem.expected == "a readable Qt Designer .ui file"
    assert str(form) in problem.found and why in problem.found


def test_the_worked_example_of_the_docs_validates(tmp_path: pathlib.Path) -> None:
    docs = (pathlib.Path(__file__).parents[3] / "docs" / "sheets.md").read_text(encoding="utf-8")
    example = docs.split("## Worked example", 1)[1]
    blocks = [block.split("```", 1)[0] for block in example.split("```yaml\n")[1:3]]
    config_dir = tmp_path / "config.d"
    (config_dir / "forms").mkdir(parents=True)
    (config_dir / "forms" / "crm.ui").write_text(UI, encoding="utf-8")
    (config_dir / "30-sheets.yml").write_text(blocks[0], encoding="utf-8")
    (config_dir / "50-site-sheets.yml").write_text(blocks[1], encoding="utf-8")
    (config_dir / "60-profiles.yml").write_text("profiles: {default: {}, agent: {}}\n")
    config = validate(read_directory(config_dir))
    ringing = config.data["sheets"]["definitions"]["ringing"]
    assert [action["method"] for action in ringing["server_actions"]] == ["POST", "GET", "GET"]
    assert ringing["sheet_qtui"]["crm"] == str(config_dir / "forms" / "crm.ui")


def did_sheet(**conditions: Any) -> dict[str, Any]:
    return {
        "events": {"incomingdid": ["did"]},
        "definitions": {
            "did": {
                "conditions": {"whom": "all", **conditions},
                "sheet_info": [["Called", "text", "", "{xivo-did}"]],
            }
        },
    }


TWO_TENANTS = [
    {"login": "ann", "lines": [{"context": "acme", "number": "1001", "interface": "PJSIP/a"}]},
    {"login": "bea", "lines": [{"context": "globex", "number": "1001", "interface": "PJSIP/b"}]},
]


def test_dids_are_quoted_numbers_or_asterisk_patterns() -> None:
    sheets = did_sheet(contexts=["acme"], dids=["0145001234", "_0146XXXXXX"])
    config = validate(read_mapping({"sheets": sheets}))
    conditions = config.data["sheets"]["definitions"]["did"]["conditions"]
    assert conditions["dids"] == ["0145001234", "_0146XXXXXX"]
    assert problems(did_sheet(dids=[145001234])) == [
        "50-sheets.yml: sheets -> definitions -> did -> conditions -> dids: expected numbers in "
        "quotes ('0145001234'): YAML drops leading zeros, got [145001234]"
    ]
    [problem] = problems(did_sheet(dids=["_01[9-2]X"]))
    assert "backwards range '9-2' in pattern: '_01[9-2]X'" in problem


def warnings_of(sheets: dict[str, Any], **extra: Any) -> list[str]:
    raw = read_mapping({"sheets": sheets, "users": TWO_TENANTS, **extra}, "50-sheets.yml")
    validate(raw)
    return raw.warnings


def test_a_did_sheet_that_would_carry_every_tenants_calls_is_warned_about() -> None:
    [warning] = warnings_of(did_sheet(contexts=["acme"]))
    assert warning == (
        "50-sheets.yml: sheets -> definitions -> did -> conditions: the incomingdid sheet 'did' "
        "pops at the users of acme for every tenant's DID calls (users also have lines in "
        "globex): name its DIDs under `dids` or its incoming contexts under `incoming_contexts`"
    )
    assert warnings_of(did_sheet(contexts=["acme"], dids=["_0145XXXXXX"])) == []
    sheet = did_sheet(contexts=["acme"], incoming_contexts=["from-acme"])
    assert warnings_of(sheet, incoming_contexts=["from-acme"]) == []
    assert warnings_of(did_sheet(contexts=["acme", "globex"])) == []  # every tenant: on purpose
    assert warnings_of(did_sheet(contexts=["acme"]), parting={"context_separation": False}) == []


@pytest.mark.parametrize(
    ("conditions", "why"),
    [
        ({"whom": "dest"}, "reaches nobody with whom: dest"),
        ({"whom": "all-context", "contexts": ["acme"]}, "reaches nobody with whom: all-context"),
        ({}, "reaches nobody under context separation"),
    ],
)
def test_a_did_sheet_that_reaches_nobody_is_warned_about(
    conditions: dict[str, Any], why: str
) -> None:
    [warning] = warnings_of(did_sheet(**conditions))
    assert why in warning


def test_a_sheets_incoming_contexts_must_be_did_contexts() -> None:
    sheets = did_sheet(contexts=["acme"], incoming_contexts=["from-acme", "from-typo"])
    assert problems(sheets, incoming_contexts=["from-acme"]) == [
        "50-sheets.yml: sheets -> definitions -> did -> conditions -> incoming_contexts: "
        "expected a context listed in the core's incoming_contexts (from-acme), got 'from-typo'"
    ]
    validate(read_mapping({"sheets": sheets, "incoming_contexts": ["from-acme", "from-typo"]}))
