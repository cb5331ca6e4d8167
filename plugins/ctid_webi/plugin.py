"""The `webi` plugin: the web interface's port (`listen.webi`): list and config notices, reload,
and a whitelisted Asterisk CLI relay."""

from __future__ import annotations

from typing import Any, ClassVar

from ctid.api import Ctid, LineConnection, LineServer, hookimpl
from ctid_webi import webi
from ctid_webi.schema import SCHEMA
from ctid_webi.session import Counters, Options, WebiSession


class WebiPlugin:
    """Serves `listen.webi`; one `WebiSession` per connection."""

    config_schema: ClassVar[dict[Any, Any]] = SCHEMA

    def __init__(self) -> None:
        self.server: LineServer | None = None
        self.options = Options(allowed=[], cli_timeout=2.0)
        self.counters = Counters()

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.options = _options(ctid)

        def session(connection: LineConnection) -> WebiSession:
            return WebiSession(connection, ctid, self.options, self.counters)

        self.server = ctid.listen("webi", session)

    @hookimpl
    def ctid_reload(self, ctid: Ctid) -> None:
        # Sessions read the options they were created with; the next connections get these.
        self.options = _options(ctid)

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any] | None:
        if self.server is None:
            return None
        counters = self.counters
        return {
            "address": "{}:{}".format(*self.server.address),
            "notices": counters.notices,
            "reloads": counters.reloads,
            "cli": counters.cli,
            "refused": counters.refused,
            "not_allowed": counters.not_allowed,
        }


def _options(ctid: Ctid) -> Options:
    return Options(
        allowed=webi.networks(ctid.config["allowed_sources"]),
        cli_timeout=ctid.config["cli_timeout"],
    )
