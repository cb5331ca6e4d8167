"""Hook calling: isolation of notifications, query deadlines, registries, failure accounting."""

import logging
from typing import Any

import gevent
import pytest

from ctid import hookspecs
from ctid.api import hookimpl
from ctid.plugins import Hooks, PluginError, discover


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def ctid_ami_link_changed(self, state: str, detail: str) -> None:
        self.seen.append((state, detail))


class Raiser:
    @hookimpl
    def ctid_ami_link_changed(self, state: str) -> None:
        raise RuntimeError(f"boom {state}")


def test_one_raising_plugin_does_not_silence_the_others(caplog: pytest.LogCaptureFixture) -> None:
    hooks = Hooks()
    first, second = Recorder(), Recorder()
    hooks.register("first", first)
    hooks.register("raiser", Raiser())
    hooks.register("second", second)
    with caplog.at_level(logging.ERROR):
        hooks.notify("ctid_ami_link_changed", ipbx_id="x", state="up", detail="22")
    assert first.seen == second.seen == [("up", "22")]
    assert hooks.records["raiser"].failures == 1
    assert hooks.records["raiser"].state == "degraded"
    assert hooks.records["raiser"].last_failure == "ctid_ami_link_changed: RuntimeError: boom up"
    assert "plugin raiser failed in ctid_ami_link_changed" in caplog.text


def test_failure_logging_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    hooks = Hooks()
    hooks.register("raiser", Raiser())
    with caplog.at_level(logging.ERROR):
        for _ in range(2000):
            hooks.notify("ctid_ami_link_changed", ipbx_id="x", state="up", detail="")
    assert hooks.records["raiser"].failures == 2000
    assert len(caplog.records) == 5 + 2  # five tracebacks, then one line per thousand


class Slow:
    @hookimpl
    def ctid_reverse_lookup(self, number: str) -> dict[str, str]:
        gevent.sleep(5)
        return {"dbr-display": "slow"}


class Fast:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    @hookimpl
    def ctid_reverse_lookup(self, number: str) -> Any:
        return self.answer


def test_query_returns_the_newest_non_none_answer() -> None:
    hooks = Hooks()
    hooks.register("old", Fast({"dbr-display": "old"}))
    hooks.register("new", Fast(None))
    assert hooks.query("ctid_reverse_lookup", 1.0, number="1", context="c", did="") == {
        "dbr-display": "old"
    }


def test_query_is_bounded_by_its_deadline() -> None:
    hooks = Hooks()
    hooks.register("fallback", Fast({"dbr-display": "late"}))
    hooks.register("slow", Slow())
    started = gevent.get_hub().loop.now()
    assert hooks.query("ctid_reverse_lookup", 0.05, number="1", context="c", did="") is None
    assert gevent.get_hub().loop.now() - started < 1.0
    assert hooks.records["slow"].failures == 0  # a deadline is not the plugin's crash


@pytest.mark.parametrize(
    ("hook", "wrong", "why"),
    [
        ("ctid_reverse_lookup", "Alice", "returned str, not a mapping"),
        ("ctid_reverse_lookup", {"db-age": 42}, "returned a mapping holding other things"),
        ("ctid_normalize_number", "0612345678", "returned str, not a sequence of strings"),
        ("ctid_normalize_number", [612345678], "returned a sequence holding other things"),
        ("ctid_search_directory", {"status": "ok"}, "returned a mapping without the lists"),
        ("ctid_search_directory", {"headers": [], "resultlist": [1]}, "returned headers or"),
    ],
)
def test_a_wrong_query_answer_is_the_plugins_failure_and_the_next_one_answers(
    hook: str, wrong: Any, why: str
) -> None:
    right = {
        "ctid_reverse_lookup": {"dbr-display": "Alice"},
        "ctid_normalize_number": ["0612345678"],
        "ctid_search_directory": {"headers": ["Name"], "resultlist": ["Alice"], "status": "ok"},
    }[hook]

    class Answers:
        """A plugin whose implementation of `hook` is set below."""

    hooks = Hooks()
    for name, answer in (("good", right), ("buggy", wrong)):  # the newest is asked first
        plugin = Answers()
        setattr(plugin, hook, hookimpl(specname=hook)(lambda answer=answer: answer))
        hooks.register(name, plugin)
    arguments = {
        "ctid_reverse_lookup": {"number": "1", "context": "c", "did": ""},
        "ctid_normalize_number": {"number": "1", "context": "c"},
        "ctid_search_directory": {"term": "a", "contexts": ["c"], "limit": 5},
    }[hook]
    assert hooks.query(hook, 1.0, **arguments) == right
    assert hooks.records["buggy"].failures == 1
    assert hooks.records["buggy"].last_failure.startswith(f"{hook}: TypeError: {why}")
    assert hooks.records["good"].failures == 0


class ProvidesA:
    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        return {"a": 1, "shared": 2}


class ProvidesB:
    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        return {"b": 3}


class ProvidesShared:
    @hookimpl
    def ctid_register_fagi_scripts(self) -> dict[str, Any]:
        return {"shared": 4}


def test_registry_merges_and_refuses_duplicate_names() -> None:
    hooks = Hooks()
    hooks.register("pa", ProvidesA())
    hooks.register("pb", ProvidesB())
    assert hooks.registry("ctid_register_fagi_scripts") == {"a": 1, "shared": 2, "b": 3}
    hooks.register("ps", ProvidesShared())
    with pytest.raises(PluginError, match="'shared' is provided by both pa and ps"):
        hooks.registry("ctid_register_fagi_scripts")


class Typo:
    @hookimpl
    def ctid_strat(self) -> None:
        pass


def test_check_pending_refuses_unknown_hooks() -> None:
    hooks = Hooks()
    hooks.register("typo", Typo())
    with pytest.raises(PluginError, match="ctid_strat"):
        hooks.check_pending()


class WrongArgs:
    @hookimpl
    def ctid_start(self, ctid: Any, extra: Any) -> None:
        pass


def test_an_implementation_asking_for_unknown_arguments_is_refused() -> None:
    hooks = Hooks()
    with pytest.raises(PluginError, match="cannot register"):
        hooks.register("wrong", WrongArgs())
    assert hooks.records["wrong"].state == "failed"


def test_trace_logs_every_call(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CTID_TRACE_HOOKS", "1")
    hooks = Hooks()
    hooks.register("rec", Recorder())
    with caplog.at_level(logging.INFO):
        hooks.notify("ctid_ami_link_changed", ipbx_id="x", state="up", detail="")
    assert "hook ctid_ami_link_changed -> rec" in caplog.text


def test_every_hookspec_has_a_kind() -> None:
    names = hookspecs.hook_names()
    assert "ctid_start" in names and "ctid_call_event_emitted" in names
    for name in names:
        assert hookspecs.kind_of(getattr(hookspecs, name)) in hookspecs.KINDS


def test_discovery_finds_the_bundled_plugins_by_entry_point() -> None:
    found = discover()
    assert {"ami", "fagi", "announce"} <= set(found)
    assert found["ami"].value.startswith("ctid_ami.")
