"""`make_daemon`: a real daemon in the test's process, plugins given directly (no entry points),
and `wait_until`, the only way tests wait."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import gevent

from ctid.config import RawConfig, read_mapping
from ctid.daemon import Daemon, load

_QUIET_LISTENERS = ("fagi", "cti", "ctis", "webi", "info", "announce")


def test_config(
    config: Mapping[str, Any] | None = None, plugins: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A config for tests: every listener on 127.0.0.1 port 0 unless the test says otherwise,
    and every given plugin enabled."""
    data: dict[str, Any] = {key: value for key, value in dict(config or {}).items()}
    listen = {name: {"address": "127.0.0.1", "port": 0} for name in _QUIET_LISTENERS}
    for name, section in dict(data.get("listen", {})).items():
        listen[name] = {**listen.get(name, {}), **section}
    data["listen"] = listen
    sections = dict(data.get("plugins", {}))
    for name in plugins or {}:
        sections[name] = {"enabled": True, **sections.get(name, {})}
    data["plugins"] = sections
    return data


@contextlib.contextmanager
def make_daemon(
    config: Mapping[str, Any] | None = None,
    plugins: Mapping[str, Any] | None = None,
    *,
    start: bool = True,
) -> Iterator[Daemon]:
    """Run a daemon in-process with `plugins` (name → plugin class, instance or module).

    The config is validated exactly as config.d would be (ConfigError on problems). Reloads
    re-read `config`: a test edits that same dict, then calls `daemon.reload()`, to simulate an
    edited config.d.
    """
    source: dict[str, Any] = config if isinstance(config, dict) else dict(config or {})

    def reader() -> RawConfig:
        return read_mapping(test_config(source, plugins), "test-config.yml")

    daemon = Daemon(load(reader, plugins), reader)
    if start:
        daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def wait_until(
    predicate: Callable[[], Any], timeout: float = 5.0, message: str = "condition"
) -> Any:
    """Poll `predicate` (yielding to other greenlets) until it is truthy; AssertionError after
    `timeout` seconds. Returns the truthy value."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        gevent.sleep(delay)
        delay = min(delay * 2, 0.05)


def ctid_command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `ctid <args>` (this interpreter's) as an operator does; its output is returned, never
    shown."""
    return subprocess.run(  # noqa: S603  (this interpreter, no shell; args from the test)
        [sys.executable, "-m", "ctid", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )
