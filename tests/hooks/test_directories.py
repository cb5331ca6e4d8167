"""The directory hooks end to end: the core answers ctid_search_directory, ctid_reverse_lookup
and ctid_normalize_number, a plugin's implementation is asked first, FastAGI's
callerid_forphones names a caller from a CSV file, and the info console's `reverse` shows how."""

import pathlib
import socket
from collections.abc import Sequence
from typing import Any

import pytest

from ctid.api import Ctid, hookimpl
from ctid.testing import make_daemon, wait_until
from ctid.testing.fagiclient import FakeAgiClient
from ctid_csv.plugin import CsvPlugin
from ctid_fagi.plugin import FagiPlugin
from ctid_info.plugin import InfoPlugin
from ctid_sql.plugin import SqlPlugin

BOOK = "first,last,company,phone\nZoé,Martin,Acme,+33 6 12 34 56 78\nJean,Dupont,,01 40 00 12 34\n"


@pytest.fixture
def book(tmp_path: pathlib.Path) -> dict[str, Any]:
    path = tmp_path / "book.csv"
    path.write_text(BOOK, encoding="utf-8")
    return {
        "directories": {
            "book": {
                "type": "csv",
                "label": "Phone book",
                "path": str(path),
                "match_direct": ["first", "last", "company"],
                "match_reverse": ["phone"],
                "fields": {"fullname": "{first} {last}", "company": "company", "phone": "phone"},
                "display_reverse": "{db-fullname}",
            }
        },
        "contexts": {
            "default": {
                "directories": ["book"],
                "display": [
                    {"title": "Name", "type": "name", "format": "{db-fullname}"},
                    {"title": "Company", "format": "{db-company}", "default": "?"},
                    {"title": "Number", "type": "phone", "format": "{db-phone}"},
                ],
                "reverse": {"*": ["book"]},
            }
        },
        "reverse": {"default_region": "FR"},
    }


class Asker:
    ctid: Ctid

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid


def ready(daemon: Any) -> None:
    wait_until(
        lambda: daemon.status()["plugins"]["directories"]["directories"]["book"]["backend"]["rows"]
    )


def test_hook_ctid_search_directory_answers_with_the_contexts_display(book: dict[str, Any]) -> None:
    asker = Asker()
    with make_daemon(book, {"csv": CsvPlugin(), "ask": asker}) as daemon:
        ready(daemon)
        answer = asker.ctid.query(
            "ctid_search_directory", term="MART", contexts=["default", "other"], limit=10
        )
        empty = asker.ctid.query("ctid_search_directory", term="mart", contexts=["x"], limit=10)
    assert answer == {
        "headers": ["Name", "Company", "Number"],
        "resultlist": ["Zoé Martin;Acme;+33 6 12 34 56 78"],
        "status": "ok",
    }
    assert empty is None  # no configured context: left to other implementations (CTI's default)


class Crm:
    """A site plugin answering searches and names itself."""

    @hookimpl
    def ctid_search_directory(self, term: str) -> dict[str, Any] | None:
        return {"headers": ["CRM"], "resultlist": [term], "status": "ok"} if term == "vip" else None


def test_hook_ctid_search_directory_of_a_plugin_is_asked_before_the_core(
    book: dict[str, Any],
) -> None:
    asker = Asker()
    with make_daemon(book, {"csv": CsvPlugin(), "crm": Crm(), "ask": asker}) as daemon:
        ready(daemon)
        query = asker.ctid.query
        vip = query("ctid_search_directory", term="vip", contexts=["default"], limit=5)
        other = query("ctid_search_directory", term="dupont", contexts=["default"], limit=5)
    assert vip["resultlist"] == ["vip"]
    assert other["resultlist"] == ["Jean Dupont;?;01 40 00 12 34"]


def test_hook_ctid_reverse_lookup_names_the_caller_through_fagi_from_a_csv_file(
    book: dict[str, Any],
) -> None:
    with make_daemon(book, {"fagi": FagiPlugin(), "csv": CsvPlugin()}) as daemon:
        ready(daemon)
        address = daemon.objects["fagi"].server.address
        client = FakeAgiClient(address, script="callerid_forphones", calleridname="unknown")
        client.run()
        stranger = FakeAgiClient(
            address, script="callerid_forphones", callerid="0699999999", calleridname=""
        )
        stranger.run()
        internal = FakeAgiClient(
            address, script="callerid_forphones", callerid="1001", calleridname=""
        )
        internal.run()
    assert ("CALLERID(name)", "Zoé Martin") in client.variables_set
    assert not any(name == "CALLERID(name)" for name, _value in stranger.variables_set)
    assert not any(name == "CALLERID(name)" for name, _value in internal.variables_set)


class TrunkPrefix:
    """A site whose trunk sends `L0#` before national numbers."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def ctid_normalize_number(self, number: str) -> Sequence[str] | None:
        self.asked.append(number)
        if number.startswith("L0#"):
            return ["+33" + number.removeprefix("L0#0")]
        return None  # everything else: the core's default


def test_hook_ctid_normalize_number_of_a_site_plugin_feeds_the_core_lookup(
    book: dict[str, Any],
) -> None:
    site = TrunkPrefix()
    with make_daemon(book, {"csv": CsvPlugin(), "site": site}) as daemon:
        ready(daemon)
        service = daemon.directories.service
        assert service.reverse_lookup("L0#0140001234", "default", "")["dbr-display"] == (
            "Jean Dupont"
        )
        assert service.reverse_lookup("0612345678", "default", "")["dbr-display"] == "Zoé Martin"
        default = daemon.hooks.query(
            "ctid_normalize_number", 1.0, number="06 12 34 56 78", context="default"
        )
    assert site.asked == ["L0#0140001234", "0612345678", "06 12 34 56 78"]
    assert default == ["+33612345678", "0612345678", "06 12 34 56 78"]


def test_hook_ctid_register_directory_backends_of_the_bundled_plugins() -> None:
    with make_daemon({}, {"csv": CsvPlugin(), "sql": SqlPlugin()}) as daemon:
        backends = daemon.registry("directory_backends")
    assert sorted(backends) == ["csv", "sql"]
    assert all(getattr(factory, "config_schema", None) for factory in backends.values())


def ask_console(address: tuple[str, int], command: str) -> list[str]:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith((b"XIVO-INFO:OK\n", b"XIVO-INFO:KO\n")):
            chunk = sock.recv(65536)
            assert chunk, "the console closed"
            data += chunk
    return data.decode().splitlines()


def test_info_reverse_shows_each_step_of_a_lookup(book: dict[str, Any]) -> None:
    with make_daemon(book, {"info": InfoPlugin(), "csv": CsvPlugin()}) as daemon:
        ready(daemon)
        address = daemon.objects["info"].server.address
        found = ask_console(address, "reverse default 06.12.34.56.78")
        skipped = ask_console(address, "reverse default anonymous 0140001234")
        misuse = ask_console(address, "reverse default")
    assert found == [
        "context: default",
        "did: (none)",
        "candidates: +33612345678 0612345678 06.12.34.56.78",
        "directories: book",
        "db-company: Acme",
        "db-fullname: Zoé Martin",
        "db-phone: +33 6 12 34 56 78",
        "dbr-display: Zoé Martin",
        "xivo-directory: Phone book",
        "XIVO-INFO:OK",
    ]
    assert skipped == [
        "context: default",
        "did: 0140001234",
        "candidates: (none: not looked up)",
        "directories: book",
        "no match",
        "XIVO-INFO:OK",
    ]
    assert misuse == ["usage: reverse <context> <number> [did]", "XIVO-INFO:KO"]
