"""`Ctid`, a plugin's handle on the daemon: its config, the core services, and its greenlets.

Each plugin gets its own handle, passed to its lifecycle hooks. Everything a bundled plugin needs
from the core is reachable from here (or from `ctid.api`); there are no back doors.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import gevent
import gevent.pool

from ctid import hookspecs
from ctid.net import HandlerFactory, LineServer, tls_server_context

if TYPE_CHECKING:
    from ctid.daemon import Daemon
    from ctid.ipbx import Ipbx
    from ctid.users import UserDirectory


class Ctid:
    """A plugin's view of the running daemon."""

    def __init__(self, name: str, daemon: Daemon) -> None:
        self.name = name
        self.log = logging.getLogger(f"ctid_{name}")
        self._daemon = daemon
        self._group = gevent.pool.Group()
        self._servers: list[LineServer] = []
        self.health: dict[str, Any] = {}

    @property
    def config(self) -> Mapping[str, Any]:
        """This plugin's validated `plugins.<name>` section (defaults filled, no `enabled`)."""
        return self._daemon.config.plugin(self.name)

    @property
    def settings(self) -> Mapping[str, Any]:
        """The whole validated configuration (read-only by convention)."""
        return self._daemon.config.data

    @property
    def ipbx(self) -> Ipbx:
        """The Asterisk: action API, call model, link state."""
        return self._daemon.ipbx

    @property
    def users(self) -> UserDirectory:
        """Who is who: users by id, login, line, agent."""
        return self._daemon.users

    def refresh_users(self) -> bool:
        """Re-read the user sources now (webi `xivo[userlist,update]`); False if nothing changed."""
        return self._daemon.refresh_users()

    def provide(self, name: str, service: Any) -> None:
        """Publish an object other plugins may use by name (None withdraws it), e.g. the CTI
        plugin's hub that sheets and CRM plugins send through."""
        if service is None:
            self._daemon.services.pop(name, None)
        else:
            self._daemon.services[name] = service

    def service(self, name: str) -> Any:
        """An object published with `provide`, or None when nothing provides it (yet)."""
        return self._daemon.services.get(name)

    def spawn(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet:
        """Start a greenlet owned by this plugin: it is killed when the plugin stops."""
        return self._group.spawn(function, *args, **kwargs)

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Call a notification hook on every plugin, isolated."""
        self._daemon.hooks.notify(hook, **kwargs)

    def query(self, hook: str, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call a query hook: the first answer within `timeout` (default `timeouts.query`)."""
        deadline = self.settings["timeouts"]["query"] if timeout is None else timeout
        return self._daemon.hooks.query(hook, deadline, **kwargs)

    def registry(self, kind: str) -> dict[str, Any]:
        """What plugins registered: `fagi_scripts`, `cti_commands`, `urlauto_handlers`…"""
        return self._daemon.registry(kind)

    def tls_context(self, listener: str) -> ssl.SSLContext:
        """The TLS context of a `listen.<listener>` section (certfile, keyfile, minimum version)."""
        section = self.settings["listen"][listener]
        if not section["certfile"] or not section["keyfile"]:
            raise ValueError(f"listen -> {listener}: certfile and keyfile are required for TLS")
        return tls_server_context(
            section["certfile"], section["keyfile"], section["tls_min_version"]
        )

    def listen(
        self, listener: str, factory: HandlerFactory, *, ssl_context: ssl.SSLContext | None = None
    ) -> LineServer | None:
        """Start a line server on `listen.<listener>`; None when that listener is disabled."""
        section = self.settings["listen"][listener]
        if not section["enabled"]:
            self.log.info("listener %s is disabled", listener)
            return None
        return self.line_server(
            listener, section["address"], section["port"], factory, ssl_context=ssl_context
        )

    def line_server(
        self,
        name: str,
        address: str,
        port: int,
        factory: HandlerFactory,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> LineServer:
        """Start a line server with the daemon's limits; it stops with this plugin."""
        limits, timeouts = self.settings["limits"], self.settings["timeouts"]
        server = LineServer(
            name=name,
            address=address,
            port=port,
            handler_factory=factory,
            ssl_context=ssl_context,
            max_connections=limits["max_connections"],
            max_line=limits["max_line"],
            queue_size=limits["client_queue"],
            socket_timeout=timeouts["socket"],
            dead_peer=timeouts["dead_peer"],
        )
        server.start()
        self._servers.append(server)
        return server

    def report(self, **fields: Any) -> None:
        """Set fields of this plugin's health, shown in status next to the core's view."""
        self.health.update(fields)

    def status(self) -> dict[str, Any]:
        """The daemon's status summary: version, uptime, AMI link, plugins and their health."""
        return self._daemon.status()

    def request_reload(self) -> bool:
        """Reload the configuration as SIGHUP does; False when the new one was invalid."""
        return self._daemon.reload()

    def apply_limits(self) -> None:
        """Push reloaded limits to this plugin's servers (done by the core after each reload)."""
        limits, timeouts = self.settings["limits"], self.settings["timeouts"]
        for server in self._servers:
            server.update_limits(
                max_line=limits["max_line"],
                queue_size=limits["client_queue"],
                socket_timeout=timeouts["socket"],
                dead_peer=timeouts["dead_peer"],
            )

    def shutdown(self, timeout: float) -> None:
        """Stop this plugin's servers and greenlets (the core calls this after `ctid_stop`)."""
        for server in reversed(self._servers):
            server.stop(timeout=min(timeout, 1.0))
        self._servers.clear()
        self._group.kill(timeout=timeout)


def registration_hook(kind: str) -> str:
    """`fagi_scripts` → `ctid_register_fagi_scripts`, checked against the hookspecs."""
    hook = f"ctid_register_{kind}"
    if hook not in hookspecs.hook_names():
        raise KeyError(f"no registration hook for {kind!r}")
    return hook
