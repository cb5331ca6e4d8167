"""The PostgreSQL test fixture: found where Debian puts it, skipped only when it is absent."""

import pathlib

import pytest

from ctid.testing import postgres


def test_missing_binaries_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setattr(postgres, "SEARCH", str(tmp_path / "*" / "bin"))
    with pytest.raises(postgres.PostgresMissing, match="initdb not found"):
        postgres.find_binaries()
    (tmp_path / "15" / "bin").mkdir(parents=True)
    (tmp_path / "15" / "bin" / "initdb").touch()
    with pytest.raises(postgres.PostgresMissing, match="postgres not found"):
        postgres.find_binaries()
    with pytest.raises(pytest.skip.Exception, match=r"postgres not found .* package postgresql"):
        postgres.Postgres.skip_if_missing()


def test_the_newest_installed_version_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    for version in ("9", "15", "13"):
        folder = tmp_path / version / "bin"
        folder.mkdir(parents=True)
        (folder / "initdb").touch()
        (folder / "postgres").touch()
    monkeypatch.setattr(postgres, "SEARCH", str(tmp_path / "*" / "bin"))
    assert postgres.find_binaries() == tmp_path / "15" / "bin"
