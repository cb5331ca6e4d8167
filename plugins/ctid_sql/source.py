"""One `type: sql` directory: an SQLAlchemy engine per lane, statements built once, every call
run on the lane's native thread (see `lane`) so that a slow or absent database never stalls the
daemon.

The pool checks each connection before use (`pool_pre_ping`), so connections broken while the
database was away are replaced, and the source recovers by itself when it comes back. PostgreSQL
gets a `statement_timeout` so that a query the caller has given up on stops on the server too. The
password is given to the engine apart from the URL and never appears in logs or status.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa

from ctid.api import Record, SourceSpec
from ctid_sql.lane import Lane
from ctid_sql.queries import Statements, records, statements
from ctid_sql.schema import OPTIONS, option_problems

log = logging.getLogger(__name__)


def engine_for(spec: SourceSpec) -> sa.Engine:
    """An engine with a pool of one checked connection (a lane runs one call at a time)."""
    options = spec.options
    url = sa.engine.make_url(options["url"])
    if options["password"]:
        url = url.set(password=options["password"])
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=0,
        pool_recycle=3600,
        connect_args=_connect_args(url.get_backend_name(), spec),
    )


def _connect_args(backend: str, spec: SourceSpec) -> dict[str, Any]:
    connect = float(spec.options["connect_timeout"])
    if backend == "postgresql":
        statement_ms = max(1, math.ceil(spec.timeout * 2000))
        # libpq takes whole seconds, two at least.
        return {
            "connect_timeout": max(2, math.ceil(connect)),
            "options": f"-c statement_timeout={statement_ms}",
        }
    if backend == "sqlite":
        return {"timeout": connect, "check_same_thread": False}
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": max(1, math.ceil(connect))}
    return {}


class SqlDirectory:
    """The `sql` backend."""

    config_schema: ClassVar[dict[Any, Any]] = OPTIONS
    config_problems = staticmethod(option_problems)

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.statements: Statements = statements(spec, spec.options)
        self.url = sa.engine.make_url(spec.options["url"]).render_as_string(hide_password=True)
        queue = int(spec.options["queue"])
        self._lanes = {"reverse": Lane("reverse", queue), "search": Lane("search", queue)}
        self._engines = {name: engine_for(spec) for name in self._lanes}
        self.last_error = ""
        log.info("directory %s: database %s", spec.name, self.url)

    def search(self, term: str, limit: int) -> list[Record]:
        if self.statements.search is None:
            return []
        params = self.statements.search_params(term, limit)
        return self._run("search", self.statements.search, params)

    def reverse(self, candidates: Sequence[str], limit: int) -> list[Record]:
        if self.statements.reverse is None or not candidates:
            return []
        params = self.statements.reverse_params(candidates, limit)
        return self._run("reverse", self.statements.reverse, params)

    def _run(self, lane: str, statement: Any, params: dict[str, Any]) -> list[Record]:
        engine = self._engines[lane]

        def call() -> list[Record]:
            with engine.connect() as connection:
                return records(connection.execute(statement, params).all())

        try:
            found = self._lanes[lane].run(call, time.monotonic() + self.spec.timeout)
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {_first_line(exc)}"
            raise
        self.last_error = ""
        return found

    def close(self) -> None:
        for name, lane in self._lanes.items():
            lane.close(self._engines[name].dispose, wait=0.5)

    def health(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "waiting": {name: lane.waiting for name, lane in self._lanes.items()},
            "last_error": self.last_error,
        }


def _first_line(exc: BaseException) -> str:
    """Drivers' messages run over several lines (SQL, parameters): the first one says it."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else ""
