"""The Wazo/XiVO Qt client (18.01, protocol 2.3) against a daemon: its own lines, verbatim from
tests/data/qtclient, and what it does with the answers (the loading dialog's bookkeeping, the
sheet parser), so that a test fails where the real client would stop.

The site matches the captures: alice is user "1" of profile "1" (the client's `capaid` is the
string the server offered in `capalist`), password `secret`, ipbx `xivo`.
"""

import base64
import json
import pathlib
import ssl
import struct
import warnings
import xml.sax
import xml.sax.handler
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from ctid.testing.certs import CertificateError, self_signed
from ctid.testing.cticlient import CtiTestClient

Message = dict[str, Any]

ALICE = {"id": "1", "profile": "1", "firstname": "Alice", "lastname": "Example", "agent": "2001"}
BOB = {"id": "2", "profile": "1", "firstname": "Bob", "lastname": "Example"}
PROFILE = {"xlets": [["identity", "grid"]]}


def client_lines(path: pathlib.Path) -> list[str]:
    """Every line the client sent in a capture (`C->S`, or the bare JSON lines of login.txt),
    verbatim."""
    found = []
    for row in path.read_text().splitlines():
        if " C->S " in row:
            found.append(row.split(" C->S ", 1)[1])
        elif row.startswith('{"'):
            found.append(row)
    return found


@pytest.fixture
def capture(data_dir: pathlib.Path) -> Callable[[str], list[str]]:
    """The client's lines of one capture file."""
    return lambda name: client_lines(data_dir / "qtclient" / name)


@pytest.fixture
def site(cti: Any, make_user: Any) -> Callable[..., Any]:
    """Start the daemon the captures expect (more keywords go to the harness)."""

    def start(**sections: Any) -> Any:
        users = [make_user("alice", **ALICE), make_user("bob", number="1002", **BOB)]
        profiles = {"1": {**PROFILE, **sections.pop("profile", {})}}
        return cti.start(users, profiles=profiles, **sections)

    return start


@pytest.fixture
def connect(cti: Any) -> Callable[..., CtiTestClient]:
    """A raw connection to a listener, reading nothing yet (the client waits, then reads)."""

    def open_connection(listener: str = "cti") -> CtiTestClient:
        address = cti.plugin.servers[listener].address
        client = CtiTestClient(address, read_banner=False)
        cti.stack.callback(client.close)
        return client

    return open_connection


@pytest.fixture
def pair(tmp_path: pathlib.Path) -> tuple[str, str]:
    try:
        return self_signed(tmp_path)
    except CertificateError as exc:
        pytest.skip(f"no way to make a test certificate here: {exc}")


def qt_tls_context() -> ssl.SSLContext:
    """The client's TLS: TLS 1.0 only, any certificate accepted (QSsl::TlsV1_0, errors ignored)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is deprecated: the point
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
    # Python's own floor would refuse TLS 1.0 here; lift it so that any refusal is the server's.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@pytest.fixture
def qt_tls() -> Callable[[], ssl.SSLContext]:
    return qt_tls_context


def say(client: CtiTestClient, line: str) -> Message:
    """Send one captured line verbatim and return the answer carrying its commandid, checked
    the way the client checks it (an `error_string` stops the client)."""
    request = json.loads(line)
    client.send_raw(line.encode() + b"\n")
    reply = client.expect(lambda m: m.get("replyid") == request["commandid"])
    assert reply["class"] == request["class"], reply
    assert "error_string" not in reply, reply
    return reply


@pytest.fixture
def replay() -> Callable[[CtiTestClient, list[str]], list[Message]]:
    """Replay captured lines in order and return their answers. A `starttls` line gets none
    (the TLS step itself is the test's business; the client's second status line, inside TLS,
    must be ignored): checked once a later line's answer has come, answers being in order."""

    def run(client: CtiTestClient, lines: list[str]) -> list[Message]:
        answers, unanswered = [], []
        for line in lines:
            request = json.loads(line)
            if request["class"] == "starttls":
                client.send_raw(line.encode() + b"\n")
                unanswered.append(request["commandid"])
                continue
            answers.append(say(client, line))
        assert not [m for m in client.received if m.get("replyid") in unanswered]
        return answers

    return run


def load_lists(client: CtiTestClient, listids: list[Message]) -> dict[str, dict[str, Message]]:
    """What the client does after `getlist listid`: `updateconfig` for every id, then
    `updatestatus` on each config answer; its loading dialog closes when every listed id has
    had its status. Returns {list: {id: config}}; fails if any id goes unanswered."""
    waiting = {(m["listname"], str(tid)) for m in listids for tid in m["list"]}
    configs: dict[str, dict[str, Message]] = {}
    for listname, tid in sorted(waiting):
        request = {"function": "updateconfig", "listname": listname, "tid": tid}
        config = client.request({"class": "getlist", "tipbxid": "xivo", **request})
        assert "warning_string" not in config and config["tid"] == tid, config
        configs.setdefault(listname, {})[tid] = config["config"]
        request["function"] = "updatestatus"
        status = client.request({"class": "getlist", "tipbxid": "xivo", **request})
        assert "warning_string" not in status and isinstance(status["status"], dict), status
        waiting.discard((status["listname"], str(status["tid"])))
    assert not waiting, f"the loading dialog would stay open for {waiting}"
    return configs


@pytest.fixture
def loader() -> Callable[[CtiTestClient, list[Message]], dict[str, dict[str, Message]]]:
    return load_lists


class SheetParser(xml.sax.handler.ContentHandler):
    """The client's sheet parser (XmlHandler), as a SAX handler: `internal`, `sheet_info`,
    `systray_info`, `action_info` and `sheet_qtui` elements, read as they stream; the popup is
    shown when `</profile>` closes."""

    def __init__(self) -> None:
        super().__init__()
        self.infos: list[tuple[str, str, str, str, str]] = []
        self.forms: dict[str, str] = {}
        self.shown = False
        self._current: tuple[str, Mapping[str, str]] | None = None
        self._text = ""

    def startElement(self, name: str, attrs: Any) -> None:
        tracked = ("internal", "sheet_info", "systray_info", "action_info", "sheet_qtui")
        self._current = (name, dict(attrs)) if name in tracked else None
        self._text = ""

    def characters(self, content: str) -> None:
        if self._current is not None:
            self._text += content

    def endElement(self, name: str) -> None:
        if name == "profile":
            self.shown = True
        elif self._current is not None and name == "sheet_qtui":
            self.forms[self._current[1].get("name", "")] = self._text
        elif self._current is not None:
            attrs = self._current[1]
            order = "" if name == "internal" else attrs.get("order", "")
            label = "" if name == "systray_info" else attrs.get("name", "")
            self.infos.append((name, order, attrs.get("type", ""), label, self._text))
        self._current = None

    def of(self, kind: str) -> list[tuple[str, str, str, str]]:
        """(order, type, name, value) of each element of one kind, in document order."""
        return [info[1:] for info in self.infos if info[0] == kind]


def read_sheet(message: Message) -> SheetParser:
    """A `sheet` message decoded exactly as the client does: base64; when compressed, a 4-byte
    big-endian length then zlib (qUncompress); UTF-8 XML, parsed as it streams."""
    data = base64.b64decode(message["payload"])
    if message["compressed"]:
        (length,) = struct.unpack(">I", data[:4])
        data = zlib.decompress(data[4:])
        assert len(data) == length, "qUncompress checks the announced length"
    parser = SheetParser()
    xml.sax.parseString(data, parser)
    return parser


@pytest.fixture
def sheet_reader() -> Callable[[Message], SheetParser]:
    return read_sheet
