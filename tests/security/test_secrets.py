"""Secrets never leave ctid: not in its logs, not in `check-config`, `dump-config` or
`list-plugins`, not in config error messages, not in what the consoles or clients receive.

The end-to-end test runs `ctid run` with a value in every secret field (the AMI secret, user
password hashes and legacy secrets, an LDAP bind password, an SQL password, the info token),
drives what makes daemons talk (refused AMI logins, failed and successful CTI logins,
unreachable directories, console sessions, a bad reload, a good one rotating secrets), then
greps everything it said for every secret.
"""

import logging
import os
import pathlib
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ctid import logs
from ctid.api import hash_password
from ctid.config import ConfigError, read_mapping, validate
from ctid.config.validators import is_secret
from ctid.daemon import load
from ctid.testing import FakeAmi, wait_until
from ctid.testing.cticlient import CtiLoginError, CtiTestClient
from ctid.testing.ports import free_port
from ctid.testing.slapd import SLAPD, Slapd
from ctid_ldap.plugin import LdapPlugin
from ctid_sql.plugin import SqlPlugin

pytestmark = pytest.mark.timeout(180)

AMI_SECRET = "ami-s3cret-Q7x4"
ROTATED_AMI = "rotated-ami-s3cret-W5k"
LEGACY = "legacy-s3cret-P9z"
LDAP_PASSWORD = "ldap-bind-s3cret-K2m"
SQL_PASSWORD = "sql-s3cret-M4q"
TOKEN = "info-token-s3cret-Z8w"
ROTATED_TOKEN = "rotated-token-s3cret-Y1v"
MISSPELLED = "misspelled-s3cret-J1r"
WRONG_SHAPE = "wrong-shape-s3cret-H3t"
TYPED = "typed-guess-s3cret-V6n"
"""Typed by a user at login: not in the config, so no mask can hide it; only care can."""


# --- config error messages ------------------------------------------------------------------


def problems(config: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        validate(read_mapping(config, "50-site.yml"))
    return str(caught.value)


def test_a_misspelled_secret_key_is_reported_without_its_value() -> None:
    text = problems({"ipbx": {"ami": {"secrte": MISSPELLED}}})
    assert "ipbx -> ami -> secrte: unknown key (expected one of: auth, host" in text
    assert MISSPELLED not in text


def test_a_section_of_the_wrong_shape_is_shown_with_its_secrets_masked() -> None:
    shapes = [
        {"users": {"login": "alice", "password": WRONG_SHAPE}},
        {"ipbx": {"ami": [{"secret": WRONG_SHAPE}]}},
        {"plugins": [{"info": {"token": WRONG_SHAPE}}]},
        {"directories": {"corp": [{"bind_password": WRONG_SHAPE}]}},
    ]
    for config in shapes:
        text = problems(config)
        assert WRONG_SHAPE not in text and "'***'" in text, text


def test_a_password_written_in_a_url_is_masked_in_the_error_refusing_it() -> None:
    source = {"match_direct": ["cn"], "fields": {"fullname": "cn"}}
    config = {
        "directories": {
            "crm": {
                **source,
                "type": "sql",
                "table": "t",
                "url": f"postgresql://ctid:{SQL_PASSWORD}@db/crm",
            },
            "corp": {
                **source,
                "type": "ldap",
                "base_dn": "dc=x",
                "uri": f"ldap://cn=a:{LDAP_PASSWORD}@dir",
            },
        },
        "plugins": {"sql": {"enabled": True}, "ldap": {"enabled": True}},
    }
    with pytest.raises(ConfigError) as caught:
        load(
            lambda: read_mapping(config, "50-site.yml"), {"sql": SqlPlugin(), "ldap": LdapPlugin()}
        )
    text = str(caught.value)
    assert "crm -> url: expected a URL without its password" in text
    assert "'postgresql://ctid:***@db/crm'" in text and "'ldap://cn=a:***@dir'" in text
    assert SQL_PASSWORD not in text and LDAP_PASSWORD not in text


def test_a_secret_of_the_wrong_type_is_masked() -> None:
    text = problems({"ipbx": {"ami": {"secret": 123456789}}})
    assert "ipbx -> ami -> secret: expected str, got ***" in text
    assert "123456789" not in text


# --- the log formatter ----------------------------------------------------------------------


@pytest.fixture
def log_file(tmp_path: pathlib.Path) -> Iterator[pathlib.Path]:
    """ctid's own log handlers on a file, removed at the end."""
    path = tmp_path / "ctid.log"
    yield path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_ctid_handler", False)]:
        root.removeHandler(handler)
        handler.close()
    logs._formatter.set_secrets([])


def test_a_careless_log_line_or_traceback_has_its_secrets_masked(log_file: pathlib.Path) -> None:
    config = validate(read_mapping({"ipbx": {"ami": {"secret": AMI_SECRET}}})).data
    logs.configure(
        {"file": str(log_file), "level": "info"},
        foreground=False,
        secrets=logs.secret_values(config, is_secret),
    )
    careless = logging.getLogger("ctid_careless")
    careless.warning("connecting with %s", config["ipbx"]["ami"])
    try:
        raise RuntimeError(f"login refused for secret {AMI_SECRET}")
    except RuntimeError:
        careless.exception("it failed")
    logs.update_secrets([ROTATED_AMI])  # what a reload does with the new config's secrets
    careless.warning("now %s, before %s", ROTATED_AMI, AMI_SECRET)
    text = log_file.read_text()
    assert AMI_SECRET not in text and ROTATED_AMI not in text
    assert text.count("***") == 4  # the mapping, the exception, the last line's two


# --- a running ctid -------------------------------------------------------------------------


def site_config(ports: dict[str, int], ldap_url: str, alice_hash: str) -> str:
    return f"""
ipbx: {{ami: {{host: 127.0.0.1, port: {ports["ami"]}, username: ctid, secret: {AMI_SECRET}}}}}
listen:
  cti: {{address: 127.0.0.1, port: {ports["cti"]}}}
  webi: {{port: {ports["webi"]}}}
  info: {{port: {ports["info"]}}}
  fagi: {{enabled: false}}
  announce: {{enabled: false}}
users:
  - {{login: alice, password: "{alice_hash}",
      lines: [{{context: default, number: "1001", interface: PJSIP/1001}}]}}
  - {{login: bob, legacy_secret: {LEGACY},
      lines: [{{context: default, number: "1002", interface: PJSIP/1002}}]}}
directories:
  corp:
    type: ldap
    uri: {ldap_url}
    bind_dn: cn=admin,dc=example,dc=org
    bind_password: {LDAP_PASSWORD}
    base_dn: dc=example,dc=org
    match_direct: [cn]
    match_reverse: [telephoneNumber]
    fields: {{fullname: cn, phone: telephoneNumber}}
  crm:
    type: sql
    url: postgresql+psycopg://ctid@127.0.0.1:{ports["sql"]}/crm
    password: {SQL_PASSWORD}
    table: contacts
    match_direct: [name]
    match_reverse: [phone]
    fields: {{fullname: name, phone: phone}}
contexts: {{default: {{directories: [corp, crm], reverse: {{"*": [corp, crm]}}}}}}
reverse: {{default_region: FR}}
plugins:
  ami: {{enabled: true, backoff_min: 100ms, backoff_max: 1s}}
  cti: {{enabled: true, failure_delay: 0}}
  info: {{enabled: true, token: {TOKEN}}}
  webi: {{enabled: true}}
  ldap: {{enabled: true}}
  sql: {{enabled: true}}
  dbvars: {{enabled: true}}
"""


BAD = f"""
ipbx: {{ami: {{secrte: {MISSPELLED}}}}}
users: {{login: carol, password: {WRONG_SHAPE}}}
"""


def console(port: int, *lines: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall("".join(f"{line}\n" for line in lines).encode())
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.decode("utf-8", "replace")


def cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ctid", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def said(processes: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for process in processes:
        out, _ = process.communicate(timeout=60)
        outputs.append(f"$ {' '.join(map(str, process.args))}\n{out}")  # type: ignore[arg-type]
    return outputs


@pytest.fixture
def ldap_url() -> Iterator[str]:
    """A real slapd whose root password is not the one ctid is given (binds fail), or a
    closed port where slapd is not installed."""
    if not SLAPD.exists():
        yield f"ldap://127.0.0.1:{free_port()}"
        return
    with Slapd() as slapd:
        yield slapd.url


def test_no_secret_in_any_log_line_cli_output_or_answer(
    tmp_path: pathlib.Path, running: Any, kit: Any, ldap_url: str
) -> None:
    alice_hash = hash_password(kit.password, n=2**10)
    secrets = [AMI_SECRET, ROTATED_AMI, LEGACY, LDAP_PASSWORD, SQL_PASSWORD, TOKEN]
    secrets += [ROTATED_TOKEN, MISSPELLED, WRONG_SHAPE, TYPED, kit.password, alice_hash]
    ports = {name: free_port() for name in ("ami", "cti", "webi", "info", "sql")}
    config_dir = tmp_path / "config.d"
    config_dir.mkdir()
    site = config_dir / "10-site.yml"
    site.write_text(site_config(ports, ldap_url, alice_hash))
    site.chmod(0o644)  # the warning it earns must name keys, never values
    bad_dir = tmp_path / "bad.d"
    bad_dir.mkdir()
    (bad_dir / "10-site.yml").write_text(site.read_text())
    (bad_dir / "95-bad.yml").write_text(BAD)
    heard: list[str] = said(
        [
            cli("check-config", "-c", str(config_dir)),
            cli("dump-config", "-c", str(config_dir)),
            cli("list-plugins", "-c", str(config_dir)),
            cli("check-config", "-c", str(bad_dir)),
            cli("dump-config", "-c", str(bad_dir)),
            cli("run", "-c", str(bad_dir)),
        ]
    )
    assert "warning: " in heard[0] and "chmod 640" in heard[0]
    assert "ipbx -> ami -> secrte: unknown key" in heard[3]
    dumped = yaml.safe_load(heard[1].split("\n", 1)[1])  # valid YAML, secrets and all
    assert dumped["ipbx"]["ami"]["secret"] == dumped["plugins"]["info"]["token"] == "***"
    assert dumped["directories"]["corp"]["bind_password"] == "***"

    with FakeAmi(port=ports["ami"], secret="asterisk-knows-better") as fake:
        daemon = running(config_dir, tmp_path)
        daemon.wait_log("started; plugins")
        daemon.wait_log("AMI login as 'ctid'")
        clients: list[CtiTestClient] = []

        def client() -> CtiTestClient:
            clients.append(CtiTestClient(("127.0.0.1", ports["cti"])))
            return clients[-1]

        alice = client()
        alice.login("alice", kit.password)
        for login, password, legacy in (
            ("alice", TYPED, False),
            ("nobody", TYPED, False),
            ("bob", TYPED, True),
            ("alice", LEGACY, True),
        ):
            with pytest.raises(CtiLoginError):
                client().login(login, password, legacy=legacy)
        client().login("bob", LEGACY, legacy=True)
        alice.request({"class": "directory", "pattern": "smith"}, timeout=10)
        daemon.wait_log("directory corp")
        heard.append(console(ports["info"], f"token {TOKEN[:-1]}"))
        heard.append(console(ports["info"], f"token {TOKEN}", "show_infos", "show_users", "help"))
        heard.append(console(ports["webi"], "xivo[daemon,reload]", "core show version"))
        daemon.wait_log("configuration reloaded")

        (config_dir / "95-bad.yml").write_text(BAD)
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_log("config not reloaded")
        os.unlink(config_dir / "95-bad.yml")
        rotate = f"ipbx: {{ami: {{secret: {ROTATED_AMI}}}}}\n"
        rotate += f"plugins: {{info: {{token: {ROTATED_TOKEN}}}}}\n"
        (config_dir / "20-rotate.yml").write_text(rotate)
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_log("AMI settings changed: reconnecting")
        wait_until(lambda: len([a for a in fake.actions if a.name == "Login"]) >= 3)
        heard.append(console(ports["info"], f"token {ROTATED_TOKEN}", "show_infos"))
        assert daemon.stop() == 0

    heard += [daemon.log(), daemon.output()]
    # Everything on stderr went through the log's formatter, which masks secrets: nothing (a
    # library, gevent printing a pool thread's error) wrote past it.
    bypassed = set(daemon.output().splitlines()) - set(daemon.log().splitlines())
    assert not bypassed, sorted(bypassed)[:20]
    heard += [repr(message) for c in clients for message in c.received]
    everything = "\n".join(heard)
    (tmp_path / "everything.txt").write_text(everything)  # to read when this test fails
    # The story did happen: refusals, failures and reloads are all in there.
    for expected in (
        "AMI login as 'ctid'",
        "CTI login from 127.0.0.1 refused: login_password",
        "config not reloaded",
        "XIVO-INFO:OK",
        "sets bind_password, legacy_secret, password, secret, token and every user",
    ):
        assert expected in everything, expected
    leaked = [secret for secret in secrets if secret in everything]
    assert not leaked, leaked
