"""Test-wide setup: gevent patches first, as in ctid/__main__.py."""

from gevent import monkey

monkey.patch_all()

import pathlib  # noqa: E402  (must come after patch_all, see architecture §7)
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from ctid.testing.fakeami import FakeAmi  # noqa: E402

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> pathlib.Path:
    """The folder of fixtures copied from real Asterisk and Qt client traffic."""
    return DATA


@pytest.fixture
def fake() -> Iterator[FakeAmi]:
    """A fake Asterisk AMI server on loopback, stopped after the test."""
    server = FakeAmi().start()
    try:
        yield server
    finally:
        server.stop()
