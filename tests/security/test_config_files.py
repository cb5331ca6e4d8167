"""Config drop-ins that hold secrets: one that every local user can read earns a WARNING naming
the file and the fix (`chmod 640`), from `ctid check-config` and from the daemon at start and
at each reload; the warning names keys, never values."""

import pathlib
from typing import Any

import pytest

from ctid.config import read_directory
from ctid.daemon import Daemon, load

pytestmark = pytest.mark.timeout(60)

SECRET = "do-not-print-me-7Qz"


def drop_in(folder: pathlib.Path, name: str, text: str, mode: int) -> pathlib.Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(mode)
    return path


def test_only_world_readable_files_setting_a_secret_are_flagged(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "config.d"
    drop_in(folder, "10-open.yml", f"ipbx: {{ami: {{secret: {SECRET}}}}}\n", 0o644)
    drop_in(folder, "20-closed.yml", f"plugins: {{info: {{token: {SECRET}}}}}\n", 0o640)
    drop_in(folder, "30-plain.yml", "timeouts: {login: 5s}\n", 0o644)
    drop_in(folder, "40-empty.yml", "ipbx: {ami: {secret: ''}}\n", 0o644)
    nested = f"users: [{{login: a}}, {{login: b, legacy_secret: {SECRET}}}]\n"
    drop_in(folder, "50-users.yml", nested, 0o604)
    warnings = read_directory(folder).warnings
    assert warnings == [
        f"{folder}/10-open.yml sets secret and every user of this machine can read it "
        f"(mode 0644): chmod 640 {folder}/10-open.yml (owner root, group ctid)",
        f"{folder}/50-users.yml sets legacy_secret and every user of this machine can read "
        f"it (mode 0604): chmod 640 {folder}/50-users.yml (owner root, group ctid)",
    ]
    assert SECRET not in "".join(warnings)


def test_check_config_prints_the_warning_even_for_a_config_it_refuses(
    tmp_path: pathlib.Path, kit: Any
) -> None:
    folder = tmp_path / "config.d"
    drop_in(folder, "10-site.yml", f"ipbx: {{ami: {{secret: {SECRET}}}}}\n", 0o644)
    valid = kit.ctid("check-config", "-c", str(folder))
    assert valid.returncode == 0, valid.stderr
    assert f"warning: {folder}/10-site.yml sets secret" in valid.stderr
    assert f"chmod 640 {folder}/10-site.yml" in valid.stderr
    drop_in(folder, "20-bad.yml", "timeouts: {login: soon}\n", 0o640)
    invalid = kit.ctid("check-config", "-c", str(folder))
    assert invalid.returncode == 78
    assert f"warning: {folder}/10-site.yml sets secret" in invalid.stderr
    assert SECRET not in valid.stderr + valid.stdout + invalid.stderr + invalid.stdout
    (folder / "10-site.yml").chmod(0o640)
    (folder / "20-bad.yml").unlink()
    fixed = kit.ctid("check-config", "-c", str(folder))
    assert fixed.returncode == 0 and "warning" not in fixed.stderr


def test_the_daemon_logs_it_at_start_and_at_each_reload(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "config.d"
    drop_in(folder, "10-site.yml", f"ipbx: {{ami: {{secret: {SECRET}}}}}\n", 0o644)

    def reader() -> Any:
        return read_directory(folder)

    def warned() -> list[str]:
        found = [r for r in caplog.records if "can read it" in r.getMessage()]
        assert all(record.levelname == "WARNING" for record in found)
        return [record.getMessage().split(" and ")[0] for record in found]

    daemon = Daemon(load(reader), reader)
    daemon.start()
    try:
        assert warned() == [f"{folder}/10-site.yml sets secret"]
        (folder / "10-site.yml").chmod(0o640)
        drop_in(folder, "60-token.yml", "plugins: {info: {token: another-secret-1}}\n", 0o664)
        daemon.reload()
        assert warned() == [
            f"{folder}/10-site.yml sets secret",
            f"{folder}/60-token.yml sets token",
        ]
        assert SECRET not in caplog.text and "another-secret-1" not in caplog.text
    finally:
        daemon.stop()
