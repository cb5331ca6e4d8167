"""Caller ids are hostile: a caller chooses its name and, through some trunks, its number. From
an AMI event to what ctid builds with them, each value stays data: a text node of the sheet XML,
one percent-encoded component of a webhook URL, one argument of a process, an escaped LDAP
assertion, a bound SQL parameter."""

import http.server
import json
import pathlib
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from ctid.api import UrlautoError, UrlautoRequest, decode_xml_payload, hookimpl
from ctid.sheets.config import SERVER_ACTION
from ctid.testing import wait_until
from ctid.testing.slapd import Slapd, require_slapd
from ctid_dbvars.plugin import DbVarsPlugin
from ctid_ldap.plugin import LdapPlugin
from ctid_sql.plugin import SqlPlugin
from ctid_urlauto import process
from ctid_urlauto.plugin import UrlautoPlugin
from ctid_xivovars.plugin import XivoVarsPlugin

pytestmark = pytest.mark.timeout(60)

PEOPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "ldap" / "people.ldif"
NAME = "Eve]]></sheet_info><sheet_info name='x'>&amp;<!-- \"' & a/b?c=d#e %41 \u00e9 $(id);`id`"
NUMBER = "0612345678"


def call(site: Any, name: str = NAME, number: str = NUMBER) -> None:
    """An outside caller rings alice (line PJSIP/alice-1001): the `dial` call event."""
    trunk = {
        "Channel": "PJSIP/trunk-00000001",
        "ChannelState": "4",
        "ChannelStateDesc": "Ring",
        "CallerIDNum": number,
        "CallerIDName": name,
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Context": "default",
        "Exten": "1001",
        "Priority": "1",
        "Uniqueid": "1.1",
        "Linkedid": "1.1",
    }
    phone = {
        **trunk,
        "Channel": "PJSIP/alice-1001-00000002",
        "ChannelState": "0",
        "ChannelStateDesc": "Down",
        "CallerIDNum": "1001",
        "CallerIDName": "alice",
        "Uniqueid": "1.2",
    }
    site.ingest("Newchannel", **trunk)
    site.ingest("Newchannel", **phone)
    dest = {f"Dest{key}": value for key, value in phone.items()}
    site.ingest("DialBegin", **trunk, **dest, DialString="alice")


def sheets(definition: dict[str, Any], serial: str = "xml") -> dict[str, Any]:
    profile = {"default": {"sheet_serial": serial}}
    return {
        "profiles": profile,
        "sheets": {"events": {"dial": ["ringing"]}, "definitions": {"ringing": definition}},
    }


LINES = [
    ["Name", "text", "", "{xivo-calleridname}"],
    ["Number", "phone", "", "{xivo-calleridnum}"],
    ["CRM", "url", "", "https://crm.example.com/find?who={xivo-calleridname}"],
    ["Known as", "text", "unknown", "{dbr-display}"],
]


def start(site: Any, kit: Any, extra: dict[str, Any] | None = None, **plugins: Any) -> None:
    definition = {"conditions": {"whom": "dest"}, "sheet_info": LINES, **(extra or {})}
    site.start(
        [kit.user("alice")],
        plugins={"xivovars": XivoVarsPlugin(), **plugins},
        **sheets(definition),
    )


def sheet_xml(client: Any) -> ET.Element:
    message = client.expect("sheet", timeout=10)
    document = decode_xml_payload(message["payload"], message["compressed"])
    return ET.fromstring(document)


def test_a_hostile_caller_name_is_text_in_the_sheet_xml(site: Any, kit: Any) -> None:
    start(site, kit)
    alice = site.client("alice")
    call(site)
    root = sheet_xml(alice)
    assert root.tag == "profile" and [child.tag for child in root] == ["user"]
    items = root.findall("./user/sheet_info")
    assert [item.get("name") for item in items] == ["Name", "Number", "CRM", "Known as"]
    assert items[0].text == NAME  # every character, as text
    crm = urllib.parse.urlsplit(items[2].text or "")
    assert (crm.scheme, crm.netloc, crm.path) == ("https", "crm.example.com", "/find")
    assert urllib.parse.parse_qs(crm.query) == {"who": [NAME]} and not crm.fragment
    assert not root.findall(".//sheet_info/*")


def test_json_sheets_carry_the_same_name_as_a_string(site: Any, kit: Any) -> None:
    definition = {"conditions": {"whom": "dest"}, "sheet_info": LINES}
    site.start(
        [kit.user("alice")], plugins={"xivovars": XivoVarsPlugin()}, **sheets(definition, "json")
    )
    alice = site.client("alice")
    call(site)
    payload = alice.expect("sheet", timeout=10)["payload"]
    assert payload["sheet_info"][0]["value"] == NAME


class Hooked(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        Hooked.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[str]]]:
    Hooked.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooked)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Hooked.seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_gets_the_hostile_name_as_one_query_value(
    site: Any, kit: Any, webhook: tuple[str, list[str]]
) -> None:
    base, seen = webhook
    action = {"urlauto": f"{base}/ring?name={{xivo-calleridname}}&num={{xivo-calleridnum}}"}
    start(site, kit, {"server_actions": [action]}, urlauto=UrlautoPlugin())
    call(site)
    wait_until(lambda: seen, timeout=10, message="the webhook")
    url = urllib.parse.urlsplit(seen[0])
    assert url.path == "/ring" and not url.fragment
    assert urllib.parse.parse_qs(url.query) == {"name": [NAME], "num": [NUMBER]}


RECORDER = """
import json, sys
with open(sys.argv[1], "w") as out:
    json.dump(sys.argv[2:], out)
"""


def test_exec_gets_the_hostile_name_as_one_argument_without_a_shell(
    site: Any, kit: Any, tmp_path: pathlib.Path
) -> None:
    script, record, marker = tmp_path / "record.py", tmp_path / "argv.json", tmp_path / "pwned"
    script.write_text(RECORDER)
    hostile = f"x; touch {marker} $(touch {marker}) `touch {marker}` | touch {marker}"
    action = {
        "urlauto": f"{sys.executable} {script} {record} {{xivo-calleridname}} {{xivo-calleridnum}}",
        "allow_exec": True,
    }
    start(site, kit, {"server_actions": [action]}, urlauto=UrlautoPlugin())
    call(site, name=hostile)
    wait_until(record.exists, timeout=10, message="the process")
    wait_until(record.read_text, message="its argv")
    assert json.loads(record.read_text()) == [hostile, NUMBER]
    assert not marker.exists()


def test_exec_is_refused_unless_the_action_allows_it(
    site: Any, kit: Any, tmp_path: pathlib.Path
) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(Exception, match="allow_exec: true for an action that runs a command line"):
        start(
            site, kit, {"server_actions": [{"urlauto": f"touch {marker}"}]}, urlauto=UrlautoPlugin()
        )
    assert SERVER_ACTION({"urlauto": f"touch {marker}"})["allow_exec"] is False
    # The handler itself refuses a request that does not allow it (a client's default).
    with pytest.raises(UrlautoError, match="allow_exec"):
        process.run(UrlautoRequest(urlauto=f"touch {marker}"))
    assert not marker.exists()


@pytest.fixture(scope="module")
def people() -> Iterator[Slapd]:
    require_slapd()
    with Slapd(ldif=[PEOPLE]) as slapd:
        yield slapd


def directory_sections(source: dict[str, Any]) -> dict[str, Any]:
    return {
        "directories": {"corp": source},
        "contexts": {"default": {"directories": [], "reverse": {"*": ["corp"]}}},
        "reverse": {"default_region": "FR", "cache": {"max_entries": 0}},
    }


def test_a_hostile_number_is_an_escaped_ldap_assertion(
    site: Any, kit: Any, people: Slapd, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="ctid_ldap.backend")
    source = {
        "type": "ldap",
        "uri": people.url,
        "base_dn": "ou=people,dc=example,dc=org",
        "match_reverse": ["telephoneNumber", "mobile"],
        "fields": {"fullname": "cn"},
    }
    definition = {"conditions": {"whom": "dest"}, "sheet_info": LINES}
    site.start(
        [kit.user("alice")],
        plugins={"xivovars": XivoVarsPlugin(), "dbvars": DbVarsPlugin(), "ldap": LdapPlugin()},
        **sheets(definition),
        **directory_sections(source),
    )
    alice = site.client("alice")
    # Digits and separators only: the normalizer keeps it raw, as a last-resort form.
    call(site, number="0612345678)(")
    items = sheet_xml(alice).findall("./user/sheet_info")
    assert items[3].text == "Zoé Lefèvre"  # found through the clean forms; the raw one harmless
    health = site.daemon.status()["plugins"]["directories"]["directories"]["corp"]
    assert health["state"] == "up" and health["errors"] == 0
    assert "=0612345678\\29\\28)" in caplog.text  # the raw form, escaped
    assert "=0612345678)()" not in caplog.text  # what it would have made of the filter


class Trusting:
    """A site normalizer that hands backends the raw caller id as a last resort."""

    @hookimpl
    def ctid_normalize_number(self, number: str) -> list[str]:
        return ["+33612345678", number]


def test_a_hostile_number_is_a_bound_sql_parameter(
    site: Any, kit: Any, tmp_path: pathlib.Path
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE contacts (name TEXT, phone TEXT)"))
        connection.execute(sa.text("INSERT INTO contacts VALUES ('Zoé', '06 12 34 56 78')"))
        connection.execute(sa.text("INSERT INTO contacts VALUES ('Other', '01 02 03 04 05')"))
    engine.dispose()
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        source = {
            "type": "sql",
            "url": url,
            "table": "contacts",
            "match_reverse": ["phone"],
            "fields": {"fullname": "name"},
        }
        definition = {"conditions": {"whom": "dest"}, "sheet_info": LINES}
        site.start(
            [kit.user("alice")],
            plugins={
                "xivovars": XivoVarsPlugin(),
                "dbvars": DbVarsPlugin(),
                "sql": SqlPlugin(),
                "site": Trusting(),
            },
            **sheets(definition),
            **directory_sections(source),
        )
        alice = site.client("alice")
        hostile = "0612345678' OR '1'='1"
        call(site, number=hostile)
        items = sheet_xml(alice).findall("./user/sheet_info")
        assert items[3].text == "Zoé"
        assert statements and not [s for s in statements if "OR '1'='1" in s or "'0612" in s]
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
