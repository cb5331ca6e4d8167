"""The demo site: the shipped `ctid/demo/config.d/`, plus what can only be known at start.

Generated at start and layered over the shipped files (as a later drop-in would be): the
simulated PBX's AMI port and secret, the CTI port, the users (the demo user's password is made
now and only its scrypt hash is kept in the config), and the full path of the shipped phone book.
The result is validated exactly like an operator's config.d.
"""

from __future__ import annotations

import dataclasses
import pathlib
import secrets
import socket
from typing import Any

from ctid.config import RawConfig, read_directory
from ctid.config.loader import merge
from ctid.demo.calls import COLLEAGUE, COLLEAGUE_PHONE, DEMO_PHONE, INTERNAL
from ctid.passwords import hash_password
from ctid.testing.ports import free_port

HERE = pathlib.Path(__file__).parent
CONFIG_DIR = HERE / "config.d"
DIRECTORY = HERE / "data" / "directory.csv"
LOGIN = "demo"
CTI_PORT = 5003
"""The demo's CTI port when it is free (the Qt client's default), else any free port."""
GENERATED = "<ctid demo: generated at start>"


@dataclasses.dataclass(frozen=True)
class Site:
    """What the demo made at start; `password` is shown once to the person running it."""

    ami_port: int
    ami_secret: str
    cti_port: int
    password: str = dataclasses.field(repr=False)
    password_hash: str = dataclasses.field(repr=False)

    def layer(self) -> dict[str, Any]:
        """The config added over the shipped files."""
        number, name = COLLEAGUE
        first, last = name.split(" ", 1)
        return {
            "ipbx": {"ami": {"port": self.ami_port, "secret": self.ami_secret}},
            "listen": {"cti": {"port": self.cti_port}},
            "users": [
                {
                    "login": LOGIN,
                    "password": self.password_hash,
                    "profile": "demo",
                    "firstname": "Demo",
                    "lastname": "User",
                    "lines": [{"context": INTERNAL, "number": "1001", "interface": DEMO_PHONE}],
                },
                {
                    "login": "bob",  # a colleague who never logs in: no password
                    "profile": "demo",
                    "firstname": first,
                    "lastname": last,
                    "lines": [
                        {"context": INTERNAL, "number": number, "interface": COLLEAGUE_PHONE}
                    ],
                },
            ],
            "directories": {"phonebook": {"path": str(DIRECTORY)}},
        }

    def read(self) -> RawConfig:
        """The shipped config.d with the generated layer on top (a daemon's reader)."""
        raw = read_directory(CONFIG_DIR)
        merge(raw.data, self.layer(), raw.provenance, GENERATED, ())
        raw.files.append(GENERATED)
        return raw


def make_site(ami_port: int, ami_secret: str, cti_port: int | None) -> Site:
    """A site with a fresh password; the CTI port as asked, else 5003 when free, else any."""
    if cti_port is None:
        cti_port = CTI_PORT if port_free(CTI_PORT) else 0
    if cti_port == 0:
        cti_port = free_port()
    password = secrets.token_urlsafe(9)
    return Site(ami_port, ami_secret, cti_port, password, hash_password(password))


def port_free(port: int) -> bool:
    """Whether a TCP port can be bound on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
