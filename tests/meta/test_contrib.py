"""contrib/: the systemd unit and the logrotate snippet match how ctid runs."""

import configparser
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONTRIB = ROOT / "contrib"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(CONTRIB / "ctid.service")
    return parser


def test_the_unit_runs_ctid_in_the_foreground_and_reloads_with_sighup() -> None:
    service = unit()["Service"]
    assert service["Type"] == "exec"  # ctid never forks nor notifies
    assert service["ExecStart"].split()[1:] == ["run"]
    assert service["Environment"] == "CTID_CONFIG_DIR=/etc/ctid/config.d"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["User"] == service["Group"] == "ctid"


def test_a_bad_configuration_is_not_restarted_in_a_loop() -> None:
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "78"
    # Only the main process's status is checked against RestartPreventExitStatus: a check in
    # ExecStartPre that exits 78 would be restarted forever.
    assert "ExecStartPre" not in service


def test_the_log_directory_exists_for_the_unit_and_logrotate_may_work_in_it() -> None:
    service = unit()["Service"]
    assert service["LogsDirectory"] == "ctid"  # created, owned by ctid, writable
    assert "ReadWritePaths" not in service  # a missing path there fails the start
    rotate = (CONTRIB / "logrotate").read_text()
    assert "/var/log/ctid/*.log {" in rotate
    assert "    su ctid ctid\n" in rotate and "\n    copytruncate" not in rotate


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: pathlib.Path) -> None:
    text = (CONTRIB / "ctid.service").read_text().replace("/usr/local/bin/ctid", "/bin/true")
    (tmp_path / "ctid.service").write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "ctid.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in result.stderr.splitlines() if "ctid.service" in line]
    assert not problems, result.stderr
