"""The in-process daemon: plugin order, reload semantics, status, start failures."""

import gc
import logging
from typing import Any

import pytest

from ctid.api import Ctid, hookimpl, vol
from ctid.config import ConfigError
from ctid.daemon import StartError, tune_collector
from ctid.testing import make_daemon

ORDER: list[str] = []


class Tracked:
    config_schema = {vol.Optional("level", default=1, description="a live option"): int}

    def __init__(self, name: str) -> None:
        self.name = name
        self.reloads: list[tuple[frozenset[str], int]] = []

    @hookimpl
    def ctid_start(self, ctid: Ctid) -> None:
        ORDER.append(f"start {self.name}")

    @hookimpl
    def ctid_stop(self, ctid: Ctid) -> None:
        ORDER.append(f"stop {self.name}")

    @hookimpl
    def ctid_reload(self, ctid: Ctid, changed: frozenset[str]) -> None:
        self.reloads.append((changed, ctid.config["level"]))


def test_plugins_start_in_order_and_stop_in_reverse() -> None:
    ORDER.clear()
    with make_daemon({}, {"one": Tracked("one"), "two": Tracked("two")}):
        assert ORDER == ["start one", "start two"]
    assert ORDER == ["start one", "start two", "stop two", "stop one"]


def test_reload_applies_a_valid_config_and_tells_plugins_what_changed() -> None:
    config: dict[str, Any] = {"plugins": {"one": {"level": 1}}}
    plugin = Tracked("one")
    with make_daemon(config, {"one": plugin}) as daemon:
        config["plugins"]["one"]["level"] = 7
        config["timeouts"] = {"login": "2s"}
        assert daemon.reload() is True
        assert plugin.reloads == [(frozenset({"plugins", "timeouts"}), 7)]
        assert daemon.config.data["timeouts"]["login"] == 2.0


def test_reload_keeps_the_old_config_when_the_new_one_is_invalid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config: dict[str, Any] = {"plugins": {"one": {"level": 1}}}
    plugin = Tracked("one")
    with make_daemon(config, {"one": plugin}) as daemon:
        config["listen"] = {"cti": {"port": 70000}}
        config["plugins"]["one"]["bogus"] = True
        with caplog.at_level(logging.ERROR):
            assert daemon.reload() is False
        assert plugin.reloads == []
        assert daemon.config.data["listen"]["cti"]["port"] == 0
        assert "listen -> cti -> port: expected a port number" in caplog.text
        assert "plugins -> one -> bogus: unknown key" in caplog.text


def test_disabling_a_running_plugin_warns_and_keeps_it_until_restart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config: dict[str, Any] = {"plugins": {"one": {"level": 4}, "two": {}}}
    one, two = Tracked("one"), Tracked("two")
    with make_daemon(config, {"one": one}) as daemon:
        config["plugins"]["one"] = {"enabled": False, "level": 9}
        with caplog.at_level(logging.WARNING):
            assert daemon.reload() is True
        assert "enabling or disabling plugins needs a restart" in caplog.text
        assert daemon.handles["one"].config == {"level": 4}  # old options until the restart
    assert two.reloads == []


def test_a_plugin_raising_in_reload_is_charged(caplog: pytest.LogCaptureFixture) -> None:
    class BadReload:
        @hookimpl
        def ctid_reload(self) -> None:
            raise RuntimeError("cannot apply")

    config: dict[str, Any] = {}
    with make_daemon(config, {"bad": BadReload()}) as daemon:
        config["timeouts"] = {"login": 2}
        assert daemon.reload() is True
        assert daemon.status()["plugins"]["bad"]["failures"] == 1
        assert (
            "ctid_reload: RuntimeError: cannot apply"
            in daemon.status()["plugins"]["bad"]["last_failure"]
        )


def test_log_levels_change_on_reload() -> None:
    config: dict[str, Any] = {"logging": {"loggers": {"ctid.test": "error"}}}
    with make_daemon(config, {}) as daemon:
        assert logging.getLogger("ctid.test").level == logging.ERROR
        config["logging"]["loggers"]["ctid.test"] = "debug"
        daemon.reload()
        assert logging.getLogger("ctid.test").level == logging.DEBUG


def test_an_invalid_config_refuses_to_build_a_daemon() -> None:
    with (
        pytest.raises(ConfigError, match="plugins -> one -> level: expected int"),
        make_daemon({"plugins": {"one": {"level": "x"}}}, {"one": Tracked("one")}),
    ):
        pass


class FailsToStart:
    @hookimpl
    def ctid_start(self) -> None:
        raise RuntimeError("port taken")


def test_a_plugin_failing_to_start_stops_those_started_and_raises() -> None:
    ORDER.clear()
    with (
        pytest.raises(StartError, match="plugin bad failed to start: port taken"),
        make_daemon({}, {"one": Tracked("one"), "bad": FailsToStart()}),
    ):
        pass
    assert ORDER == ["start one", "stop one"]


class Reporter:
    @hookimpl
    def ctid_report_status(self) -> dict[str, Any]:
        return {"answer": 42}


def test_status_shows_each_plugin_with_its_report() -> None:
    with make_daemon({}, {"rep": Reporter()}) as daemon:
        status = daemon.status()
    assert status["plugins"]["rep"] == {
        "state": "loaded",
        "failures": 0,
        "last_failure": "",
        "answer": 42,
    }
    assert status["ipbx"] == {
        "id": "xivo",
        "link": "down",
        "detail": "",
        "version": "",
        "channels": 0,
        "calls": 0,
        "bridges": 0,
    }


def test_the_serving_daemon_freezes_what_start_loaded_and_keeps_collections_young() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
