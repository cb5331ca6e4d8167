"""The `announce` plugin: UDP `listen.announce` notices make the AMI link reconnect or resync."""

from __future__ import annotations

from typing import Any, ClassVar

import gevent.server

from ctid.api import Ctid, hookimpl, networks, positive_duration, vol
from ctid_announce.announce import Announcer


class AnnouncePlugin:
    """A UDP listener in front of an Announcer."""

    config_schema: ClassVar[dict[Any, Any]] = {
        vol.Optional(
            "allowed_sources",
            default=["127.0.0.1", "::1"],
            description="addresses or networks whose notices are accepted",
        ): networks,
        vol.Optional(
            "delay", default=2.0, description="wait this long after a notice before resyncing"
        ): (positive_duration),
    }

    def __init__(self) -> None:
        self.announcer: Announcer | None = None
        self.server: gevent.server.DatagramServer | None = None

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        listen = ctid.settings["listen"]["announce"]
        self.announcer = Announcer(
            ctid.ipbx.refresh, delay=ctid.config["delay"], allowed=ctid.config["allowed_sources"]
        )
        if not listen["enabled"]:
            return
        announcer = self.announcer
        self.server = gevent.server.DatagramServer(
            (listen["address"], listen["port"]),
            lambda data, peer: announcer.datagram(data, peer[0]),
        )
        self.server.start()
        ctid.log.info("announce listening on udp %s:%d", *self.server.address[:2])

    @hookimpl
    def ctid_reload(self, ctid: Ctid) -> None:
        if self.announcer is not None:
            fresh = Announcer(
                ctid.ipbx.refresh,
                delay=ctid.config["delay"],
                allowed=ctid.config["allowed_sources"],
            )
            self.announcer.allowed, self.announcer.delay = fresh.allowed, fresh.delay

    @hookimpl
    def ctid_stop(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.announcer is not None:
            self.announcer.cancel()

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any] | None:
        if self.announcer is None:
            return None
        return {
            "received": self.announcer.received,
            "dropped": self.announcer.dropped,
            "refreshes": self.announcer.refreshes,
        }
