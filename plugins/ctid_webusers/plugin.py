"""The `webusers` plugin: a user source read from a JSON web service every update period."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ctid.api import Ctid, Secret, between, hookimpl, positive_duration, vol
from ctid_webusers.fetch import FetchError, fetch_users

log = logging.getLogger(__name__)


def _http_url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise vol.Invalid("expected an http:// or https:// URL")
    return value


class WebUsersPlugin:
    """Registers the `webusers` source; the core polls it every `timeouts.update_period`."""

    config_schema: ClassVar[dict[Any, Any]] = {
        vol.Required("url", description="JSON web service answering the user list"): _http_url,
        Secret("token", default="", description="sent as Authorization: Bearer <token>"): str,
        vol.Optional("timeout", default=5.0, description="one fetch may take this long"): (
            positive_duration
        ),
        vol.Optional("verify", default=True, description="check the server's certificate"): bool,
        vol.Optional("ca_file", default=None, description="CA bundle for https"): vol.Any(
            None, str
        ),
        vol.Optional("max_bytes", default=16 * 1024 * 1024, description="largest answer read"): (
            between(1024, 1024 * 1024 * 1024)
        ),
    }

    def __init__(self) -> None:
        self.ctid: Ctid | None = None
        self.fetches = 0
        self.failures = 0
        self.last_error = ""

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self.ctid = ctid
        if not ctid.config["verify"]:
            log.warning("webusers: certificate checks are OFF for %s", ctid.config["url"])
        ctid.refresh_users()  # the first refresh ran before this plugin had its options

    @hookimpl
    def ctid_register_user_sources(self) -> Mapping[str, Callable[[], list[Any]]]:
        return {"webusers": self._fetch}

    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        return {
            "fetches": self.fetches,
            "fetch_failures": self.failures,
            "last_error": self.last_error,
        }

    def _fetch(self) -> list[Any]:
        if self.ctid is None:
            return []  # the core's first refresh comes before ctid_start, which refreshes again
        self.fetches += 1
        try:
            return fetch_users(self.ctid.config)
        except FetchError as exc:
            self.failures += 1
            self.last_error = str(exc)
            raise
