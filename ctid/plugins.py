"""Plugins: discovery through stevedore, registration with pluggy, and isolated hook calls.

Discovery has one path: entry points in the `ctid.plugins` namespace, bundled plugins included.
The core then calls hooks itself rather than through `pm.hook.*()` so that one raising plugin
cannot silence the others, queries run under a deadline, and each failure is charged to the
plugin that raised (visible in `ctid list-plugins` and in status).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import gevent
import pluggy
import stevedore

from ctid import hookspecs

log = logging.getLogger(__name__)

NAMESPACE = "ctid.plugins"
_LOUD_FAILURES = 5
"""Full tracebacks for a plugin's first failures (all hooks together); then one line per 1000."""


class PluginError(Exception):
    """A plugin could not be loaded, registered, or contributed a conflicting name."""


@dataclasses.dataclass
class PluginRecord:
    """What the core knows of one plugin: where it came from and how it fares."""

    name: str
    source: str = ""
    discovered: bool = False
    enabled: bool = False
    loaded: bool = False
    error: str = ""
    failures: int = 0
    last_failure: str = ""
    instance: Any = None

    @property
    def state(self) -> str:
        """`failed`, `degraded` (raising at run time), `loaded`, `enabled` or `discovered`."""
        if self.error:
            return "failed"
        if self.loaded:
            return "degraded" if self.failures else "loaded"
        return "enabled" if self.enabled else "discovered"


def discover() -> dict[str, importlib.metadata.EntryPoint]:
    """Every installed `ctid.plugins` entry point by name, without importing any of them."""
    _forget_cached_entry_points()
    manager: stevedore.NamedExtensionManager[Any] = stevedore.NamedExtensionManager(
        NAMESPACE, names=[]
    )
    return {entry.name: entry for entry in manager.list_entry_points()}


def _forget_cached_entry_points() -> None:
    """Make a plugin pip-installed while this process runs visible (tests, a long-lived
    process asked to list plugins). stevedore keeps two per-process caches: the manager's, and
    its path-keyed cache, whose key does not change when a package lands in site-packages."""
    stevedore.ExtensionManager.ENTRY_POINT_CACHE.pop(NAMESPACE, None)
    path_cache = getattr(getattr(stevedore, "_cache", None), "_c", None)
    internal = getattr(path_cache, "_internal", None)
    if isinstance(internal, dict):  # private to stevedore: checked, never assumed
        internal.clear()


def load(names: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Import the named plugins through stevedore and instantiate the classes among them.

    :returns: (plugin objects by name, error text by name) for the names asked for.
    """
    errors: dict[str, str] = {}

    def failed(_manager: object, entry: importlib.metadata.EntryPoint, exc: BaseException) -> None:
        errors[entry.name] = f"cannot import {entry.value}: {type(exc).__name__}: {exc}"

    def missing(absent: Iterable[str]) -> None:
        for name in absent:
            errors.setdefault(name, "no installed plugin has this name")

    _forget_cached_entry_points()
    manager: stevedore.NamedExtensionManager[Any] = stevedore.NamedExtensionManager(
        NAMESPACE,
        names=list(names),
        name_order=True,
        on_load_failure_callback=failed,
        on_missing_entrypoints_callback=missing,
    )
    objects: dict[str, Any] = {}
    for extension in manager:
        try:
            objects[extension.name] = instantiate(extension.plugin)
        except Exception as exc:  # a plugin's constructor is third-party code
            errors[extension.name] = f"cannot create the plugin: {type(exc).__name__}: {exc}"
    return objects, errors


def instantiate(plugin: Any) -> Any:
    """A plugin class gets one instance per daemon; a module is used as it is."""
    return plugin() if isinstance(plugin, type) else plugin


class Hooks:
    """The core's way of calling plugins: by kind, isolated, traced on demand."""

    def __init__(self, records: Mapping[str, PluginRecord] | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = dict(records or {})
        self.trace = os.environ.get("CTID_TRACE_HOOKS", "") not in ("", "0")
        self._impls: dict[str, list[pluggy.HookImpl]] = {}

    def register(self, name: str, plugin: Any) -> None:
        """Register a plugin object under its configured name; raises PluginError."""
        record = self.records.setdefault(name, PluginRecord(name=name, enabled=True))
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            record.error = f"cannot register: {exc}"
            raise PluginError(f"plugin {name}: {record.error}") from exc
        if not self.pm.get_hookcallers(plugin):
            self.pm.unregister(plugin)
            record.error = "implements no hook (does its entry point name the plugin class?)"
            raise PluginError(f"plugin {name}: {record.error}")
        record.instance, record.loaded = plugin, True
        self._impls.clear()

    def check_pending(self) -> None:
        """Refuse implementations of hooks that do not exist (a typo must not pass silently)."""
        unknown = [
            f"plugin {impl.plugin_name} implements {name}, which is not a ctid hook"
            for name, caller in vars(self.pm.hook).items()
            if isinstance(caller, pluggy.HookCaller) and not caller.has_spec()
            for impl in caller.get_hookimpls()
        ]
        if unknown:
            raise PluginError("; ".join(unknown))

    def implementations(self, hook: str) -> list[pluggy.HookImpl]:
        """The implementations of a hook, in calling order (newest registration first)."""
        impls = self._impls.get(hook)
        if impls is None:
            impls = list(reversed(getattr(self.pm.hook, hook).get_hookimpls()))
            self._impls[hook] = impls
        return impls

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Call every implementation; a raising one is logged and charged, the rest still run."""
        for impl in self.implementations(hook):
            self._call(impl, hook, kwargs)

    def call_one(self, name: str, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a lifecycle hook; exceptions propagate."""
        for impl in self.implementations(hook):
            if impl.plugin_name == name:
                if self.trace:
                    log.info("hook %s -> %s", hook, name)
                return impl.function(*[kwargs[arg] for arg in impl.argnames])
        return None

    def query(self, hook: str, timeout: float, **kwargs: Any) -> Any:
        """First non-None answer that passes the hook's answer check, all implementations
        together bounded by `timeout` seconds; a wrong answer is charged to its plugin and the
        next implementation asked."""
        check = hookspecs.answer_check(getattr(hookspecs, hook))
        with gevent.Timeout(timeout, False):
            for impl in self.implementations(hook):
                result = self._call(impl, hook, kwargs)
                if result is None:
                    continue
                wrong = check(result) if check is not None else None
                if wrong is None:
                    return result
                self._charge(impl.plugin_name, hook, TypeError(f"returned {wrong}"))
            return None
        log.warning("hook %s gave no answer within %.3f s", hook, timeout)
        return None

    def gather(self, hook: str, **kwargs: Any) -> list[tuple[str, Mapping[str, Any]]]:
        """Every implementation's answer (a mapping, as registration and gather hooks return)
        with its plugin's name; failures left out, and an answer of another type is one."""
        answers = []
        for impl in self.implementations(hook):
            result = self._call(impl, hook, kwargs)
            if isinstance(result, Mapping):
                answers.append((impl.plugin_name, result))
            elif result is not None:
                wrong = TypeError(f"returned {type(result).__name__}, not a mapping")
                self._charge(impl.plugin_name, hook, wrong)
        return answers

    def registry(self, hook: str) -> dict[str, Any]:
        """Merge a registration hook's answers; the same name from two plugins is an error."""
        merged: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for plugin_name, provided in reversed(self.gather(hook)):
            for key, value in dict(provided).items():
                if key in owners:
                    raise PluginError(
                        f"{hook}: {key!r} is provided by both {owners[key]} and {plugin_name}"
                    )
                merged[key], owners[key] = value, plugin_name
        return merged

    def _call(self, impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]) -> Any:
        if self.trace:
            log.info("hook %s -> %s", hook, impl.plugin_name)
        try:
            return impl.function(*[kwargs[arg] for arg in impl.argnames])
        except gevent.Timeout:
            raise  # the caller's deadline, not this plugin's failure
        except Exception as exc:
            self._charge(impl.plugin_name, hook, exc)
            return None

    def charge(self, name: str, hook: str, exc: Exception) -> None:
        """Count a failure of plugin `name` in `hook` (logged, shown in status)."""
        self._charge(name, hook, exc)

    def _charge(self, name: str, hook: str, exc: Exception) -> None:
        record = self.records.setdefault(name, PluginRecord(name=name))
        record.failures += 1
        record.last_failure = f"{hook}: {type(exc).__name__}: {exc}"
        if record.failures <= _LOUD_FAILURES:
            log.error("plugin %s failed in %s", name, hook, exc_info=exc)
        elif record.failures % 1000 == 0:
            log.error("plugin %s has failed %d times; last: %s", name, record.failures, exc)


def hook_function(hook: str) -> Callable[..., Any]:
    """The spec function of a hook, for its docstring and kind."""
    function: Callable[..., Any] = getattr(hookspecs, hook)
    return function
