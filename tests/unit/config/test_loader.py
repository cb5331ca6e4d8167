"""config.d reading: lexical order, deep merge, lists replaced, provenance, bad files."""

import pathlib

from ctid.config import read_directory


def write(directory: pathlib.Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_files_merge_in_lexical_order_later_wins_per_key(tmp_path: pathlib.Path) -> None:
    write(
        tmp_path, "10-a.yml", "ipbx: {id: a, ami: {host: h1, port: 1}}\nincoming_contexts: [x, y]\n"
    )
    write(tmp_path, "20-b.yml", "ipbx: {ami: {port: 2}}\nincoming_contexts: [z]\n")
    write(tmp_path, "15-c.yaml", "ipbx: {ami: {host: h3}}\n")
    write(tmp_path, "ignored.txt", "ipbx: {id: nope}\n")
    raw = read_directory(tmp_path)
    assert raw.problems == []
    assert raw.data == {
        "ipbx": {"id": "a", "ami": {"host": "h3", "port": 2}},
        "incoming_contexts": ["z"],
    }
    assert raw.files == [str(tmp_path / name) for name in ("10-a.yml", "15-c.yaml", "20-b.yml")]


def test_provenance_names_the_file_that_set_each_key(tmp_path: pathlib.Path) -> None:
    write(tmp_path, "10-a.yml", "ipbx: {id: a, ami: {host: h1, port: 1}}\n")
    write(tmp_path, "20-b.yml", "ipbx: {ami: {port: 2}}\n")
    raw = read_directory(tmp_path)
    assert raw.origin(("ipbx", "ami", "port")).endswith("20-b.yml")
    assert raw.origin(("ipbx", "ami", "host")).endswith("10-a.yml")
    assert raw.origin(("ipbx", "id")).endswith("10-a.yml")
    assert raw.origin(("ipbx", "ami", "unknown")).endswith("10-a.yml")


def test_a_replaced_mapping_forgets_the_provenance_of_its_old_keys(tmp_path: pathlib.Path) -> None:
    write(tmp_path, "10-a.yml", "logging: {loggers: {x: debug}}\n")
    write(tmp_path, "20-b.yml", "logging: 3\n")
    raw = read_directory(tmp_path)
    assert raw.data == {"logging": 3}
    assert raw.origin(("logging", "loggers", "x")).endswith("20-b.yml")


def test_yaml_errors_and_non_mappings_are_problems_with_the_file_name(
    tmp_path: pathlib.Path,
) -> None:
    write(tmp_path, "10-bad.yml", "ipbx: [unclosed\n")
    write(tmp_path, "20-list.yml", "- a\n- b\n")
    write(tmp_path, "30-empty.yml", "")
    write(tmp_path, "40-good.yml", "ipbx: {id: ok}\n")
    raw = read_directory(tmp_path)
    lines = [str(p) for p in raw.problems]
    assert len(lines) == 2
    assert lines[0].startswith(str(tmp_path / "10-bad.yml")) and "expected valid YAML" in lines[0]
    assert "line 2" in lines[0]
    assert lines[1].startswith(str(tmp_path / "20-list.yml")) and "mapping" in lines[1]
    assert raw.data == {"ipbx": {"id": "ok"}}


def test_non_utf8_file_is_a_problem_not_a_crash(tmp_path: pathlib.Path) -> None:
    (tmp_path / "10-latin1.yml").write_bytes(b"ipbx: {id: caf\xe9}\n")
    raw = read_directory(tmp_path)
    assert len(raw.problems) == 1 and "UTF-8" in str(raw.problems[0])


def test_missing_directory_is_reported(tmp_path: pathlib.Path) -> None:
    raw = read_directory(tmp_path / "nope")
    assert "expected a config directory" in str(raw.problems[0])


def test_yaml_tags_cannot_build_python_objects(tmp_path: pathlib.Path) -> None:
    write(tmp_path, "10-evil.yml", "x: !!python/object/apply:os.system ['true']\n")
    raw = read_directory(tmp_path)
    assert raw.data == {} and "expected valid YAML" in str(raw.problems[0])
