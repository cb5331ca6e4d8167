"""The `urlauto` plugin: the handlers of urlauto actions, one per scheme
(`ctid_register_urlauto_handlers`): http, https, tcp, udp, and exec for command lines.

One package for the five: they share the request contract and its escaping rules (ctid.api
`render_url`, `render_argv`), and an operator enables urlauto as one feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import Ctid, UrlautoHandler, UrlautoRequest, __version__, hookimpl, vol
from ctid_urlauto import process, sockets
from ctid_urlauto.web import web_handler


class UrlautoPlugin:
    """Registers the handlers; the sheet engine (and clients) call them."""

    config_schema: ClassVar[dict[Any, Any]] = {
        vol.Optional(
            "user_agent",
            default=f"ctid/{__version__}",
            description="User-Agent header of http(s) actions",
        ): vol.All(str, vol.Length(min=1, max=200)),
    }

    def __init__(self) -> None:
        self._web_handler = web_handler(f"ctid/{__version__}")

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        self._web_handler = web_handler(ctid.config["user_agent"])

    @hookimpl
    def ctid_reload(self, ctid: Ctid) -> None:
        self._web_handler = web_handler(ctid.config["user_agent"])

    @hookimpl
    def ctid_register_urlauto_handlers(self) -> Mapping[str, UrlautoHandler]:
        return {
            "http": self._web,
            "https": self._web,
            "tcp": sockets.tcp,
            "udp": sockets.udp,
            "exec": process.run,
        }

    def _web(self, request: UrlautoRequest) -> None:
        # registered before ctid_start: forward to the handler of the current options
        self._web_handler(request)
