"""`Postgres`: a throwaway PostgreSQL server for tests, from Debian's binaries, on a random
loopback port in a temporary directory.

It works as root (CI runs as root and initdb refuses root): the cluster then belongs to `nobody`
and both initdb and postgres run as that user. Only the binaries being absent makes a test skip
(`Postgres.skip_if_missing()`), with the missing binary named; any other failure is an error.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any

from ctid.testing.ports import free_port

SEARCH = "/usr/lib/postgresql/*/bin"
"""Where Debian's `postgresql-NN` packages put the server binaries (not on PATH)."""
UNPRIVILEGED = "nobody"
READY = "database system is ready to accept connections"
START_TIMEOUT = 30.0


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_binaries() -> pathlib.Path:
    """The newest `bin` directory holding both initdb and postgres; PostgresMissing otherwise."""
    for folder in sorted(glob.glob(SEARCH), key=_version, reverse=True):
        path = pathlib.Path(folder)
        if (path / "initdb").is_file() and (path / "postgres").is_file():
            return path
    for name in ("initdb", "postgres"):
        if not glob.glob(f"{SEARCH}/{name}"):
            raise PostgresMissing(
                f"{name} not found in {SEARCH} (install the Debian package postgresql)"
            )
    raise PostgresMissing(f"no directory of {SEARCH} holds both initdb and postgres")


def _version(folder: str) -> int:
    number = pathlib.Path(folder).parent.name
    return int(number) if number.isdigit() else 0


class Postgres:
    """One PostgreSQL cluster: `start()`, use `url`, `stop()` (and start again: same data, same
    port, for "the database came back" tests), `close()` removes everything."""

    def __init__(self, database: str = "ctid") -> None:
        self.bin = find_binaries()
        self.database = database
        self.port = free_port()
        self._user = _run_as()
        # As root, a folder the unprivileged user can reach whatever $TMPDIR says.
        parent = "/tmp" if self._user is not None else None  # noqa: S108
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="ctid-pg-", dir=parent))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._process: subprocess.Popen[bytes] | None = None
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        self._initdb()

    @staticmethod
    def skip_if_missing() -> None:
        """pytest.skip, naming the missing binary, when the server is not installed."""
        try:
            find_binaries()
        except PostgresMissing as exc:
            import pytest  # noqa: PLC0415  (only tests call this; the kit must import without it)

            pytest.skip(str(exc))

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database (trust authentication, user postgres)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Postgres:
        """Start the server and wait until it accepts connections."""
        if self.running:
            return self
        self.log.write_bytes(b"")
        if self._user is not None:
            os.chown(self.log, self._user.pw_uid, self._user.pw_gid)
        argv = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        argv += ["-h", "127.0.0.1", "-k", str(self.root), "-c", "fsync=off"]
        argv += ["-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        with self.log.open("ab") as log:
            self._process = self._spawn(argv, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        if not (self.data / ".ctid-created").exists():
            self._create_database()
        return self

    def stop(self) -> None:
        """Stop the server at once (fast shutdown); the data stays for a later `start()`."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # postgres' "fast" shutdown
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop and remove the cluster."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _initdb(self) -> None:
        argv = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        argv += ["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]
        result = self._spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, _ = result.communicate(timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {output.decode(errors='replace')}")

    def _create_database(self) -> None:
        argv = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U"]
        argv += ["postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
        argv += [f'CREATE DATABASE "{self.database}"']
        result = self._spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, _ = result.communicate(timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"cannot create the database: {output.decode(errors='replace')}")
        (self.data / ".ctid-created").touch()

    def _spawn(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        if self._user is not None:
            kwargs.update(user=self._user.pw_uid, group=self._user.pw_gid)
        process: subprocess.Popen[bytes] = subprocess.Popen(argv, env=env, cwd=self.root, **kwargs)  # noqa: S603  (fixed argv)
        return process

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                break
            if READY in self.log.read_text(errors="replace") and self._accepts():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"postgres did not start: {self.log.read_text(errors='replace')}")

    def _accepts(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False


def _run_as() -> pwd.struct_passwd | None:
    """As root, the unprivileged user that owns the cluster; otherwise None (ourselves)."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam(UNPRIVILEGED)
