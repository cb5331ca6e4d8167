"""The `ctid` command as an operator runs it: check-config, dump-config, run, SIGTERM, SIGHUP."""

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import yaml

from ctid.passwords import verify_password
from ctid.testing import wait_until
from ctid.testing.daemon import ctid_command as ctid
from ctid.testing.ports import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config.d"
BAD = "listen: {cti: {port: 70000}}\nplugins: {ami: {enabled: true, colour: red}}\n"


@pytest.fixture
def config_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """The shipped config.d with a drop-in moving every port to a free one."""
    directory = tmp_path / "config.d"
    shutil.copytree(SHIPPED, directory)
    ports = {name: free_port() for name in ("fagi", "cti", "webi", "info", "announce", "ami")}
    (directory / "50-test.yml").write_text(
        "listen:\n"
        + "".join(
            f"  {name}: {{port: {ports[name]}}}\n"
            for name in ("fagi", "cti", "webi", "info", "announce")
        )
        + f"ipbx: {{ami: {{port: {ports['ami']}}}}}\n"
    )
    return directory


def test_check_config_accepts_the_shipped_config() -> None:
    result = ctid("check-config", "-c", str(SHIPPED))
    assert result.returncode == 0, result.stderr
    assert "plugins enabled: ami, fagi, announce" in result.stdout
    assert "warning" not in result.stderr


def test_config_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_CONFIG_DIR", str(SHIPPED))
    assert ctid("check-config").returncode == 0


def test_check_config_reports_every_problem_with_file_and_path_and_exits_78(
    config_dir: pathlib.Path,
) -> None:
    (config_dir / "99-bad.yml").write_text(BAD)
    result = ctid("check-config", "-c", str(config_dir))
    assert result.returncode == 78
    bad = str(config_dir / "99-bad.yml")
    lines = result.stderr.splitlines()
    assert (
        f"{bad}: listen -> cti -> port: expected a port number between 0 and 65535, got 70000"
        in lines
    )
    assert any(line.startswith(f"{bad}: plugins -> ami -> colour: unknown key") for line in lines)
    assert lines[-1] == "2 configuration problem(s); nothing started"


def test_run_refuses_a_bad_config_with_78(config_dir: pathlib.Path) -> None:
    (config_dir / "99-bad.yml").write_text(BAD)
    assert ctid("run", "-c", str(config_dir)).returncode == 78


def test_dump_config_shows_defaults_descriptions_and_masks_secrets(
    config_dir: pathlib.Path,
) -> None:
    (config_dir / "60-secret.yml").write_text("ipbx: {ami: {secret: s3cr3t-value}}\n")
    result = ctid("dump-config", "-c", str(config_dir))
    assert result.returncode == 0, result.stderr
    assert "s3cr3t-value" not in result.stdout
    assert "    secret: '***'  # manager.conf secret" in result.stdout
    assert "  login: 5.0  # a CTI client must log in within this" in result.stdout
    assert "    ping_interval: 20.0  # send Ping this often" in result.stdout  # plugin default


def test_dump_config_masks_secrets_inside_lists(config_dir: pathlib.Path) -> None:
    (config_dir / "60-users.yml").write_text(
        "users: [{login: alice, password: 'scrypt$1$2$3$c2FsdA==$aGFzaA==', "
        "legacy_secret: old-clear-secret}]\n"
    )
    result = ctid("dump-config", "-c", str(config_dir))
    assert result.returncode == 0, result.stderr
    assert "aGFzaA" not in result.stdout and "old-clear-secret" not in result.stdout
    assert "login: alice" in result.stdout and "password: '***'" in result.stdout


def test_dump_config_is_stable_and_in_schema_order(config_dir: pathlib.Path) -> None:
    first = ctid("dump-config", "-c", str(config_dir)).stdout
    assert first == ctid("dump-config", "-c", str(config_dir)).stdout
    assert first.index("  certfile:") < first.index("  keyfile:")
    assert first.index("\nipbx:") < first.index("\nlisten:") < first.index("\ntimeouts:")


def test_dump_config_output_is_valid_yaml_with_special_keys(
    config_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "crm.csv").write_text("name,phone\n")
    (config_dir / "60-dir.yml").write_text(
        f"directories: {{crm: {{type: csv, path: {tmp_path / 'crm.csv'}, match_direct: [name],"
        " match_reverse: [phone], fields: {fullname: name}}}\n"
        "contexts: {default: {directories: [crm], reverse: {'*': [crm], '0123': [crm]}}}\n"
        "reverse: {default_region: FR}\n"
    )
    result = ctid("dump-config", "-c", str(config_dir))
    assert result.returncode == 0, result.stderr
    dumped = yaml.safe_load(result.stdout)
    assert dumped["contexts"]["default"]["reverse"] == {"*": ["crm"], "0123": ["crm"]}


def test_check_config_finds_a_hook_typo_in_an_enabled_plugin(config_dir: pathlib.Path) -> None:
    (config_dir / "80-announce.yml").write_text(
        "plugins: {announce: {allowed_sources: [10.0.0.300]}}\n"
    )
    result = ctid("check-config", "-c", str(config_dir))
    assert result.returncode == 78
    assert (
        "plugins -> announce -> allowed_sources: expected IP addresses or networks, "
        "not '10.0.0.300'" in result.stderr
    )


def test_hash_password_makes_a_verifiable_hash() -> None:
    result = ctid("hash-password", "--stdin", stdin="correct horse\n")
    assert result.returncode == 0
    stored = result.stdout.strip()
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong", stored)


@pytest.fixture
def daemon(config_dir: pathlib.Path, tmp_path: pathlib.Path) -> Iterator[subprocess.Popen[str]]:
    log_path = tmp_path / "ctid.log"
    (config_dir / "70-log.yml").write_text(f"logging: {{file: {log_path}}}\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ctid",
            "run",
            "-c",
            str(config_dir),
            "--pidfile",
            str(tmp_path / "ctid.pid"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log_path = log_path  # type: ignore[attr-defined]
    try:
        wait_until(
            lambda: log_path.exists() and "started; plugins" in log_path.read_text(),
            timeout=20,
            message="daemon start",
        )
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_run_logs_plugins_and_stops_on_sigterm_within_5_seconds(
    daemon: subprocess.Popen[str], tmp_path: pathlib.Path
) -> None:
    log_text = daemon.log_path.read_text()  # type: ignore[attr-defined]
    assert "started; plugins: ami, fagi, announce" in log_text
    assert (tmp_path / "ctid.pid").read_text().strip() == str(daemon.pid)
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=5) == 0
    assert time.monotonic() - started < 5
    assert not (tmp_path / "ctid.pid").exists()


def test_sighup_with_a_bad_dropin_keeps_the_daemon_and_logs_both_problems(
    daemon: subprocess.Popen[str], config_dir: pathlib.Path
) -> None:
    (config_dir / "99-bad.yml").write_text(BAD)
    daemon.send_signal(signal.SIGHUP)
    log_path: pathlib.Path = daemon.log_path  # type: ignore[attr-defined]
    wait_until(lambda: "plugins -> ami -> colour" in log_path.read_text(), timeout=10)
    text = log_path.read_text()
    assert (
        "config not reloaded: "
        + str(config_dir / "99-bad.yml")
        + ": listen -> cti -> port: expected a port number"
        in text
    )
    assert daemon.poll() is None
    (config_dir / "99-bad.yml").unlink()
    (config_dir / "98-good.yml").write_text("timeouts: {login: 3s}\n")
    daemon.send_signal(signal.SIGHUP)
    wait_until(lambda: "changed sections: timeouts" in log_path.read_text(), timeout=10)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=5) == 0


def test_pidfile_of_a_live_process_is_refused(
    config_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    pidfile = tmp_path / "taken.pid"
    pidfile.write_text(f"{os.getppid()}\n")
    result = ctid("run", "-c", str(config_dir), "--pidfile", str(pidfile))
    assert result.returncode == 1
    assert "is ctid already running?" in result.stderr
    assert pidfile.read_text() == f"{os.getppid()}\n"  # the other daemon's file is left alone


def test_check_config_warns_about_a_did_sheet_that_would_cross_tenants(
    config_dir: pathlib.Path,
) -> None:
    line = {"context": "globex", "number": "1001", "interface": "PJSIP/globex-1001"}
    (config_dir / "60-tenant.yml").write_text(
        yaml.safe_dump({"users": [{"login": "bea", "lines": [line]}]})
    )
    result = ctid("check-config", "-c", str(config_dir))
    assert result.returncode == 0, result.stderr  # valid: only a warning
    sheets = config_dir / "30-sheets.yml"
    assert (
        f"warning: {sheets}: sheets -> definitions -> incoming_call -> conditions: the "
        "incomingdid sheet 'incoming_call' pops at the users of default for every tenant's DID "
        "calls (users also have lines in globex)"
    ) in result.stderr
    (config_dir / "70-dids.yml").write_text(
        "sheets: {definitions: {incoming_call: {conditions: {dids: ['_0145XXXXXX']}}}}\n"
    )
    fixed = ctid("check-config", "-c", str(config_dir))
    assert fixed.returncode == 0, fixed.stderr
    assert "warning" not in fixed.stderr
