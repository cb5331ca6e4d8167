"""Validation: defaults from schemas, every problem at once, one line each, secrets masked."""

import pathlib

import pytest

from ctid.api import Secret, vol
from ctid.config import ConfigError, read_directory, read_mapping, validate


class OptionsPlugin:
    config_schema = {
        vol.Optional("depth", default=3, description="how deep"): int,
        Secret("token", default="", description="api token"): str,
    }


def test_defaults_come_from_the_schema() -> None:
    config = validate(read_mapping({}))
    assert config.data["listen"]["cti"] == {
        "enabled": True,
        "address": "0.0.0.0",
        "port": 5003,
        "certfile": None,
        "keyfile": None,
        "tls_min_version": "1.2",
        "starttls": "off",
        "allow_clear_login": False,
    }
    assert config.data["timeouts"]["login"] == 5.0
    assert config.data["ipbx"]["ami"]["port"] == 5038


def test_durations_accept_units() -> None:
    config = validate(
        read_mapping({"timeouts": {"login": "250ms", "update_period": "2m", "socket": 3}})
    )
    assert config.data["timeouts"]["login"] == 0.25
    assert config.data["timeouts"]["update_period"] == 120.0
    assert config.data["timeouts"]["socket"] == 3.0


def test_dead_peer_detection_is_bounded_to_what_tcp_keepalive_can_do() -> None:
    assert validate(read_mapping({})).data["timeouts"]["dead_peer"] == 120.0
    assert validate(read_mapping({"timeouts": {"dead_peer": "5m"}})).data["timeouts"] == {
        **validate(read_mapping({})).data["timeouts"],
        "dead_peer": 300.0,
    }
    for wrong in ("2s", "25h"):
        with pytest.raises(ConfigError) as caught:
            validate(read_mapping({"timeouts": {"dead_peer": wrong}}, "50-site.yml"))
        [problem] = caught.value.problems
        assert str(problem).startswith(
            "50-site.yml: timeouts -> dead_peer: expected a duration between 10s and 24h"
        )


def test_every_problem_is_reported_at_once_with_file_and_path(tmp_path: pathlib.Path) -> None:
    (tmp_path / "10-ok.yml").write_text("plugins: {opts: {enabled: true}}\n")
    (tmp_path / "99-bad.yml").write_text(
        "listen: {cti: {port: 70000}}\n"
        "timeouts: {login: soon}\n"
        "plugins: {opts: {depth: deep, colour: red}}\n"
    )
    raw = read_directory(tmp_path)
    with pytest.raises(ConfigError) as caught:
        validate(raw, {"opts": OptionsPlugin()})
    lines = [str(problem) for problem in caught.value.problems]
    bad = str(tmp_path / "99-bad.yml")
    assert (
        f"{bad}: listen -> cti -> port: expected a port number between 0 and 65535, got 70000"
        in lines
    )
    assert (
        f"{bad}: timeouts -> login: expected a duration such as 5s, 250ms or 2m, got 'soon'"
        in lines
    )
    assert f"{bad}: plugins -> opts -> depth: expected int, got 'deep'" in lines
    assert f"{bad}: plugins -> opts -> colour: unknown key (expected one of: depth, token)" in lines
    assert len(lines) == 4


def test_unknown_core_key_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(read_mapping({"timeouts": {"logn": 3}}, "50-site.yml"))
    [problem] = caught.value.problems
    assert str(problem).startswith("50-site.yml: timeouts -> logn: unknown key (expected one of: ")
    assert "login" in str(problem)


def test_secrets_are_masked_in_problems() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(
            read_mapping(
                {
                    "ipbx": {"ami": {"secret": ["hunter2-secret"]}},
                    "plugins": {"opts": {"enabled": True, "token": 42}},
                }
            ),
            {"opts": OptionsPlugin()},
        )
    text = str(caught.value)
    assert "hunter2" not in text and "42" not in text
    assert "ipbx -> ami -> secret: expected str, got ***" in text
    assert "plugins -> opts -> token: expected str, got ***" in text


def test_keys_declared_secret_by_a_plugin_are_masked_by_name() -> None:
    class Keyed:
        config_schema = {Secret("api_key", default="", description="CRM key"): str}

    with pytest.raises(ConfigError) as caught:
        validate(
            read_mapping({"plugins": {"k": {"enabled": True, "api_key": 12345678}}}), {"k": Keyed()}
        )
    assert "12345678" not in str(caught.value) and "api_key: expected str, got ***" in str(
        caught.value
    )


def test_plugin_section_is_validated_and_defaulted() -> None:
    config = validate(
        read_mapping({"plugins": {"opts": {"enabled": True}}}), {"opts": OptionsPlugin()}
    )
    assert config.plugin("opts") == {"depth": 3, "token": ""}
    assert config.plugin_names == ["opts"]


def test_a_plugin_that_cannot_load_is_a_problem_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(
            read_mapping({"plugins": {"ghost": {"enabled": True}}}, "20-x.yml"),
            {},
            {"ghost": "no installed plugin has this name"},
        )
    assert str(caught.value) == (
        "20-x.yml: plugins -> ghost: a plugin that loads, got no installed plugin has this name"
    )


def test_a_plugin_without_schema_takes_no_options() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(read_mapping({"plugins": {"bare": {"enabled": True, "x": 1}}}), {"bare": object()})
    assert "plugins -> bare -> x: unknown key" in str(caught.value)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"listen": {"cti": {"address": "not an address!"}}}, "expected an IP address"),
        ({"listen": {"ctis": {"tls_min_version": "0.9"}}}, "expected one of 1.0, 1.1, 1.2, 1.3"),
        ({"logging": {"level": "loud"}}, "expected one of debug, info"),
        ({"ipbx": {"ami": {"auth": "sha1"}}}, "expected md5 or plain"),
        ({"incoming_contexts": [1]}, "expected a list of strings"),
        ({"limits": {"max_line": 10}}, "expected a whole number between 256"),
        ({"listen": {"cti": {"port": True}}}, "expected a port number"),
    ],
)
def test_core_values_are_checked(section: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(read_mapping(section))
    assert expected in str(caught.value)


def test_starttls_off_written_bare_in_yaml_means_off(tmp_path: pathlib.Path) -> None:
    (tmp_path / "50-site.yml").write_text("listen:\n  cti: {starttls: off}\n")
    assert validate(read_directory(tmp_path)).data["listen"]["cti"]["starttls"] == "off"
    (tmp_path / "50-site.yml").write_text("listen:\n  cti: {starttls: yes}\n")
    with pytest.raises(ConfigError) as caught:
        validate(read_directory(tmp_path))
    assert "listen -> cti -> starttls: expected off, offer or require" in str(caught.value)


def test_profile_xlets_and_services_are_what_the_qt_client_knows() -> None:
    profile = {"xlets": [["identity", "floating"], ["dial"]], "services": ["fwdall"]}
    with pytest.raises(ConfigError) as caught:
        validate(read_mapping({"profiles": {"agent": profile}}))
    text = str(caught.value)
    assert "expected dock, grid or tab as the place of identity" in text
    assert "expected [name, dock|grid|tab] or [name, dock|grid|tab, options]" in text
    assert "expected one of enablednd, fwdunc, fwdbusy, fwdrna" in text
    good = {"xlets": [["customerinfo", "dock", "fcms"]], "preferences": {"x.y": 1}}
    config = validate(read_mapping({"profiles": {"agent": good}}))
    assert config.data["profiles"]["agent"]["services"] == [
        "enablednd",
        "fwdunc",
        "fwdbusy",
        "fwdrna",
    ]


def test_an_unquoted_did_is_refused_with_a_hint(tmp_path: pathlib.Path) -> None:
    (tmp_path / "10-dir.yml").write_text(
        "directories: {crm: {type: memory, match_direct: [name]}}\n"
        "contexts: {default: {reverse: {0123: [crm]}}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        validate(read_directory(tmp_path))
    assert 'reverse -> 83: expected a quoted DID such as "0123"' in str(caught.value)
    assert "got 83" not in str(caught.value) and "got ['crm']" in str(caught.value)
