"""The composition root: read the config, load the plugins, start them, serve, reload, stop.

Read top to bottom, this module is the daemon's startup story.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any

import gevent
import gevent.event

from ctid import __version__, hookspecs, logs, plugins, status
from ctid.calls import CallModel
from ctid.config import Config, ConfigError, RawConfig, enabled_plugins, validate
from ctid.config.validators import is_secret
from ctid.directory.config import check_backends
from ctid.directory.provider import DirectoryHooks
from ctid.handle import Ctid, registration_hook
from ctid.ipbx import Ipbx
from ctid.plugins import Hooks, PluginError, PluginRecord
from ctid.sheets.engine import SheetEngine
from ctid.users import User, UserDirectory, parse_users, user_from_options

log = logging.getLogger(__name__)

Reader = Callable[[], RawConfig]


class StartError(Exception):
    """The daemon could not start; the message says which plugin and why."""


@dataclasses.dataclass
class Loaded:
    """A validated config with the plugin objects it enables."""

    config: Config
    objects: dict[str, Any]
    records: dict[str, PluginRecord]


def load(reader: Reader, extra: Mapping[str, Any] | None = None) -> Loaded:
    """Read the config, import the enabled plugins, validate everything at once.

    :param extra: plugin objects given directly (tests, `make_daemon`), bypassing entry points.
    :raises ConfigError: every problem found, plugins that cannot load included.
    """
    raw = reader()
    records = {
        name: PluginRecord(name=name, source=entry.value, discovered=True)
        for name, entry in plugins.discover().items()
    }
    extra = dict(extra or {})
    wanted = [name for name in enabled_plugins(raw) if name not in extra]
    objects, errors = plugins.load(wanted)
    for name, obj in extra.items():
        records[name] = PluginRecord(name=name, source="in-process", discovered=True)
        objects[name] = plugins.instantiate(obj)
    for name in enabled_plugins(raw) + list(extra):
        record = records.setdefault(name, PluginRecord(name=name))
        record.enabled, record.error = True, errors.get(name, "")
    try:
        config = validate(raw, objects, errors)
        check_backends(config, objects)  # directories' backend options, known once plugins load
    except ConfigError as error:
        error.plugin_records = dict(records)
        raise
    ordered = {name: objects[name] for name in config.plugin_names if name in objects}
    ordered.update({name: objects[name] for name in extra if name not in ordered})
    return Loaded(config=config, objects=ordered, records=records)


def _warn(raw: RawConfig) -> None:
    for warning in raw.warnings:
        log.warning("%s", warning)


def tune_collector() -> None:
    """Keep the garbage collector's pauses short in a long-running daemon (`ctid run`).

    A full collection pauses every greenlet for as long as it takes to scan every object
    (~50 ms per 100k objects): what start loaded (modules, config, users, plugin state) lives
    as long as the daemon and is frozen out of the scans; and a young generation of 10,000
    objects (700 by default) lets what each status push and sheet allocates die young instead
    of being promoted, so the old generation, and full collections, grow slowly.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


class Daemon:
    """One running ctid: plugins registered, hooks ready, Asterisk model in place."""

    def __init__(self, loaded: Loaded, reader: Reader) -> None:
        self.config = loaded.config
        self.objects = loaded.objects
        self.hooks = Hooks(loaded.records)
        self.started_at = time.time()
        self._reader = reader
        self._registries: dict[str, dict[str, Any]] = {}
        self.services: dict[str, Any] = {}
        self._started: list[str] = []
        self._stopping = gevent.event.Event()
        # The core's directory hooks go first, so that plugins' query implementations win.
        self.directories = DirectoryHooks(self.hooks)
        self.hooks.register(DirectoryHooks.NAME, self.directories)
        for name, obj in self.objects.items():
            self.hooks.register(name, obj)
        self.hooks.check_pending()
        self.ipbx = Ipbx(self.config.data["ipbx"]["id"], self.hooks, self._call_model())
        self.handles = {name: Ctid(name, self) for name in self.objects}
        self.users = UserDirectory()
        # Core internal hook implementations, registered after the plugins.
        self.sheets = SheetEngine(Ctid(SheetEngine.NAME, self), self.hooks)
        self.hooks.register(SheetEngine.NAME, self.sheets)
        self._source_users: dict[str, list[User]] = {}
        self._poller: gevent.Greenlet | None = None

    def start(self) -> None:
        """Start every plugin in order; on the first failure, stop those started and raise."""
        logs.apply_levels(self.config.data["logging"])
        _warn(self.config.raw)
        self.check()
        self._configure_directories()
        self.refresh_users()
        for name, handle in self.handles.items():
            try:
                self.hooks.call_one(name, "ctid_start", ctid=handle)
            except Exception as exc:
                log.error("plugin %s failed to start: %s", name, exc, exc_info=exc)
                self.stop()
                raise StartError(f"plugin {name} failed to start: {exc}") from exc
            self._started.append(name)
        log.info("ctid %s started; plugins: %s", __version__, ", ".join(self._started) or "none")
        self._poller = gevent.spawn(self._poll_users)

    def check(self) -> None:
        """Build every registry now, so that duplicate names fail before any port is bound."""
        for hook in hookspecs.hook_names():
            if hookspecs.kind_of(getattr(hookspecs, hook)) == hookspecs.REGISTRATION:
                self.registry(hookspecs.registration_kind(hook))

    def serve(self) -> None:
        """Start, then run until SIGTERM/SIGINT; SIGHUP reloads."""
        gevent.signal_handler(signal.SIGTERM, self.request_stop)
        gevent.signal_handler(signal.SIGINT, self.request_stop)
        gevent.signal_handler(signal.SIGHUP, lambda: gevent.spawn(self.reload))
        self.start()
        tune_collector()
        while not self._stopping.wait(timeout=3600):
            pass  # the timeout keeps the loop alive when no plugin holds a socket
        self.stop()

    def request_stop(self) -> None:
        """Ask the serving loop to stop (signal handlers, tests)."""
        log.info("stop requested")
        self._stopping.set()

    def stop(self) -> None:
        """Stop started plugins in reverse order within the `timeouts.stop` budget."""
        budget = self.config.data["timeouts"]["stop"]
        self.sheets.stop(min(1.0, budget / 4))
        if self._poller is not None:
            self._poller.kill(block=False)
        deadline = time.monotonic() + budget
        for name in reversed(self._started):
            share = max(0.05, (deadline - time.monotonic()) / 2)
            with gevent.Timeout(share, False):
                try:
                    self.hooks.call_one(name, "ctid_stop", ctid=self.handles[name])
                except Exception:
                    log.exception("plugin %s failed to stop cleanly", name)
            self.handles[name].shutdown(max(0.05, min(share, deadline - time.monotonic())))
        self._started.clear()
        self.directories.close()
        log.info("ctid stopped")

    def reload(self) -> bool:
        """Re-read the config; apply it if valid, else log every problem and keep the old one."""
        log.info("reloading configuration")
        raw = self._reader()
        asked = enabled_plugins(raw)
        running = {name: obj for name, obj in self.objects.items() if name in asked}
        try:
            loaded = load(lambda: raw, running)
        except ConfigError as error:
            for problem in error.problems:
                log.error("config not reloaded: %s", problem)
            return False
        finally:
            _warn(raw)  # those of the files, and of the cross-section checks when valid
        if set(asked) != set(self.objects):
            log.warning(
                "enabling or disabling plugins needs a restart (asked: %s; running: %s)",
                ", ".join(sorted(asked)) or "none",
                ", ".join(sorted(self.objects)) or "none",
            )
        old = self.config
        data = dict(loaded.config.data)
        # A plugin disabled by the new config runs until the restart, with its old options.
        data["plugins"] = {**old.data["plugins"], **loaded.config.data["plugins"]}
        for name in set(self.objects) - set(asked):
            data["plugins"][name] = old.data["plugins"][name]
        self.config = Config(data=data, raw=loaded.config.raw, plugin_schemas=old.plugin_schemas)
        self._apply(old)
        return True

    def _apply(self, old: Config) -> None:
        """Tell everyone about the config that just replaced `old`."""
        new = self.config.data
        changed = frozenset(
            key for key in new if key != "plugins" and new[key] != old.data.get(key)
        )
        logs.apply_levels(new["logging"])
        logs.update_secrets(logs.secret_values(new, is_secret))
        self._registries.clear()
        self._configure_directories()
        self.sheets.apply()
        for name in self._started:
            mine = new["plugins"].get(name) != old.data["plugins"].get(name)
            self.handles[name].apply_limits()
            try:
                self.hooks.call_one(
                    name,
                    "ctid_reload",
                    ctid=self.handles[name],
                    changed=changed | {"plugins"} if mine else changed,
                )
            except Exception as exc:
                self.hooks.charge(name, "ctid_reload", exc)
        plugins_changed = new["plugins"] != old.data["plugins"]
        shown = sorted(changed | ({"plugins"} if plugins_changed else set()))
        log.info("configuration reloaded; changed sections: %s", ", ".join(shown) or "none")
        self.refresh_users()

    def refresh_users(self) -> bool:
        """Re-read every user source now; tell plugins what changed. False if nothing did."""
        users = [user_from_options(options) for options in self.config.data["users"]]
        timeout = self.config.data["timeouts"]["socket"]
        for name, source in self.registry("user_sources").items():
            try:
                with gevent.Timeout(timeout):
                    self._source_users[name] = parse_users(source(), name)
            except (Exception, gevent.Timeout) as exc:  # a source is third-party I/O
                log.warning(
                    "user source %s failed (%s); keeping its last %d users",
                    name,
                    exc or "timed out",
                    len(self._source_users.get(name, [])),
                )
            users += self._source_users.get(name, [])
        changes = self.users.replace(users)
        if changes:
            log.info(
                "users: %d added, %d removed, %d changed",
                len(changes.added),
                len(changes.removed),
                len(changes.changed),
            )
            self.hooks.notify(
                "ctid_users_changed",
                added=changes.added,
                removed=changes.removed,
                changed=changes.changed,
            )
        return bool(changes)

    def _poll_users(self) -> None:
        while True:
            gevent.sleep(self.config.data["timeouts"]["update_period"])
            self.refresh_users()

    def _configure_directories(self) -> None:
        backends = self.registry("directory_backends")
        self.directories.configure(self.config.data, backends, self.config.raw.origin)

    def registry(self, kind: str) -> dict[str, Any]:
        """Merged answers of one registration hook (cached until the next reload)."""
        if kind not in self._registries:
            try:
                self._registries[kind] = self.hooks.registry(registration_hook(kind))
            except PluginError as exc:
                raise StartError(str(exc)) from exc
        return self._registries[kind]

    def status(self) -> dict[str, Any]:
        """Version, uptime, the summary (ctid.status), the AMI link and call model, and each
        plugin's state and reported health."""
        reported = dict(self.hooks.gather("ctid_report_status"))
        plugin_states = {}
        for name, record in self.hooks.records.items():
            if not record.enabled and not record.loaded:
                continue
            health = self.handles[name].health if name in self.handles else {}
            plugin_states[name] = {
                **health,
                **reported.get(name, {}),
                # the core's view wins: a plugin cannot report itself healthy while raising
                "state": record.state,
                "failures": record.failures,
                "last_failure": record.last_failure,
            }
        ipbx = self.ipbx.status()
        return {
            "version": __version__,
            "uptime": round(time.time() - self.started_at, 1),
            "pid": os.getpid(),
            "summary": status.summarize(ipbx, plugin_states),
            "ipbx": ipbx,
            "plugins": plugin_states,
        }

    def _call_model(self) -> CallModel:
        data = self.config.data
        return CallModel(
            ipbx_id=data["ipbx"]["id"],
            incoming_contexts=data["incoming_contexts"],
            outgoing_contexts=data["outgoing_contexts"],
            custom_events=data["custom_user_events"],
        )
