"""Outside packages: a sample plugin adds a config section and hooks through its entry point
alone; broken ones fail at load (startup error) or at run time (isolated, visible in status)."""

import importlib.metadata
import pathlib
import subprocess
import sys
from collections.abc import Callable

import pytest

from ctid.config import read_directory
from ctid.daemon import Daemon, load
from ctid.testing.daemon import ctid_command as ctid
from ctid_ami.protocol import AmiParser

PACKAGES = pathlib.Path(__file__).resolve().parents[1] / "data" / "plugins"


def installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module", autouse=True)
def outside_packages() -> None:
    """pip-install the sample and broken plugin packages, as an operator would."""
    for name in ("ctid-sample", "ctid-broken"):
        if not installed(name):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    "--no-build-isolation",
                    str(PACKAGES / name),
                ],
                check=True,
                timeout=300,
            )
    importlib.invalidate_caches()


def config(tmp_path: pathlib.Path, text: str) -> Callable[[], object]:
    (tmp_path / "10-test.yml").write_text(
        "listen: {fagi: {enabled: false}, announce: {enabled: false}}\n" + text
    )
    return lambda: read_directory(tmp_path)


def test_list_plugins_shows_the_installed_sample(tmp_path: pathlib.Path) -> None:
    config(tmp_path, "plugins: {sample: {enabled: true}}\n")
    result = ctid("list-plugins", "-c", str(tmp_path))
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("sample "))
    assert row.split()[:4] == ["sample", "yes", "yes", "yes"]
    assert "ctid_sample.plugin:SamplePlugin" in row
    assert any(
        line.split()[:4] == ["ami", "yes", "no", "no"] for line in result.stdout.splitlines()
    )


def test_sample_plugin_section_is_validated_by_its_own_schema(tmp_path: pathlib.Path) -> None:
    config(tmp_path, "plugins: {sample: {enabled: true, greting: typo}}\n")
    result = ctid("check-config", "-c", str(tmp_path))
    assert result.returncode == 78
    assert (
        "plugins -> sample -> greting: unknown key (expected one of: crm_url, greeting)"
        in result.stderr
    )


def test_sample_plugin_hooks_fire_through_its_entry_point(
    tmp_path: pathlib.Path, data_dir: pathlib.Path
) -> None:
    reader = config(tmp_path, "plugins: {sample: {enabled: true, greeting: bonjour}}\n")
    loaded = load(reader)  # type: ignore[arg-type]
    daemon = Daemon(loaded, reader)  # type: ignore[arg-type]
    daemon.start()
    try:
        sample = daemon.objects["sample"]
        assert type(sample).__module__ == "ctid_sample.plugin"
        assert sample.greeting == "bonjour"
        for message in AmiParser().feed((data_dir / "ami" / "originate.txt").read_bytes()):
            if "Event" in message:
                daemon.ipbx.ingest(message)
        assert [event.where for event in sample.events][:1] == ["dial"]
        assert "hangup" in [event.where for event in sample.events]
        assert "sample" in daemon.registry("sheet_variables")
        assert daemon.status()["plugins"]["sample"]["events_seen"] == len(sample.events)
    finally:
        daemon.stop()


def test_a_plugin_that_fails_to_import_stops_startup_with_78(tmp_path: pathlib.Path) -> None:
    config(tmp_path, "plugins: {broken_import: {enabled: true}}\n")
    result = ctid("run", "-c", str(tmp_path))
    assert result.returncode == 78
    assert (
        "plugins -> broken_import: a plugin that loads, got cannot import "
        "ctid_broken.unimportable:Plugin: ModuleNotFoundError" in result.stderr
    )
    listing = ctid("list-plugins", "-c", str(tmp_path))
    row = next(line for line in listing.stdout.splitlines() if line.startswith("broken_import"))
    assert "ModuleNotFoundError" in row


def test_a_plugin_raising_at_run_time_is_isolated_and_shown_in_status(
    tmp_path: pathlib.Path, data_dir: pathlib.Path
) -> None:
    reader = config(
        tmp_path, "plugins: {broken_runtime: {enabled: true}, sample: {enabled: true}}\n"
    )
    daemon = Daemon(load(reader), reader)  # type: ignore[arg-type]
    daemon.start()
    try:
        for message in AmiParser().feed((data_dir / "ami" / "originate.txt").read_bytes()):
            if "Event" in message:
                daemon.ipbx.ingest(message)
        sample = daemon.objects["sample"]
        assert "hangup" in [event.where for event in sample.events]
        status = daemon.status()["plugins"]
        assert status["broken_runtime"]["state"] == "degraded"
        assert status["broken_runtime"]["failures"] > 10
        assert "RuntimeError: broken on purpose" in status["broken_runtime"]["last_failure"]
        assert status["sample"]["state"] == "loaded"
    finally:
        daemon.stop()
