"""The urlauto syntax: schemes, per-component escaping, the tcp/udp path rule, argv splitting,
and the config-time checks."""

import pytest

from ctid.sheets.urlauto import (
    UrlautoError,
    UrlautoRequest,
    problem,
    render_argv,
    render_url,
    scheme_of,
    socket_target,
)

HOSTILE = {
    "xivo-calleridname": 'Zoé "VIP" & co/../?x=1#frag',
    "xivo-calleridnum": "0612345678",
}


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("http://crm/x", "http"),
        ("HTTPS://crm/x", "https"),
        ("tcp://h:1/?a", "tcp"),
        ("udp://h:1/?a", "udp"),
        ("/usr/bin/notify-send {xivo-calleridname}", "exec"),
        ("notify-send", "exec"),
        ("mailto:x@y", "exec"),  # no `//`: not understood as a URL, as in XiVO's client
    ],
)
def test_scheme_of(text: str, scheme: str) -> None:
    assert scheme_of(text) == scheme


def test_values_are_percent_encoded_for_the_component_they_land_in() -> None:
    request = UrlautoRequest(
        "http://crm.example/calls/{xivo-calleridname}?num={xivo-calleridnum}"
        "&name={xivo-calleridname}#{xivo-calleridname}",
        values=HOSTILE,
    )
    encoded = "Zo%C3%A9%20%22VIP%22%20%26%20co%2F..%2F%3Fx%3D1%23frag"
    assert render_url(request) == (
        f"http://crm.example/calls/{encoded}?num=0612345678&name={encoded}#{encoded}"
    )


def test_a_template_whose_placeholders_are_all_unknown_gives_its_default() -> None:
    assert render_url(UrlautoRequest("http://crm/?q={db-x}", values={})) == ""
    assert render_url(UrlautoRequest("http://crm/?q={db-x}", values={}, default="http://d/")) == (
        "http://d/"
    )
    assert render_url(UrlautoRequest("http://crm/?q={db-x}", values=None)) == "http://crm/?q={db-x}"


def test_socket_target_sends_the_query_and_refuses_a_path() -> None:
    assert socket_target("tcp://127.0.0.1:4545/?a=1&b=2") == ("127.0.0.1", 4545, b"a=1&b=2")
    assert socket_target("udp://host:9?x") == ("host", 9, b"x")
    for bad in ("tcp://h:1/path?a=1", "tcp://h/?a=1", "tcp://:1/?a", "udp://h:99999/?a"):
        with pytest.raises(UrlautoError):
            socket_target(bad)


def test_a_command_line_is_split_before_each_argument_is_filled() -> None:
    request = UrlautoRequest(
        "/usr/bin/logger -t 'ctid call' --name={xivo-calleridname} {xivo-calleridnum}",
        values={"xivo-calleridname": "x; touch /tmp/pwned $(id)", "xivo-calleridnum": "a b"},
    )
    assert render_argv(request) == [
        "/usr/bin/logger",
        "-t",
        "ctid call",
        "--name=x; touch /tmp/pwned $(id)",
        "a b",
    ]
    with pytest.raises(UrlautoError):
        render_argv(UrlautoRequest("/bin/echo 'unbalanced", values={}))


@pytest.mark.parametrize(
    ("template", "trouble"),
    [
        ("http://crm/?q={xivo-calleridnum}", None),
        ("tcp://crm:4545/?a={xivo-calleridnum}", None),
        ("tcp://crm:4545?a={xivo-calleridnum}", None),
        ("tcp://crm:4545/path?a=1", "no path"),
        ("udp://crm/?a=1", "a host and a port"),
        ("http://{xivo-calleridname}/", "scheme or host"),
        ("http://crm:{xivo-calleridnum}/", "scheme or host"),
        ("http://crm/?q={bad name}", "placeholders such as"),
        ("/bin/echo {xivo-calleridnum}", None),
        ("{xivo-calleridname} --now", "program has no placeholder"),
        ("/bin/echo 'open", "splits into arguments"),
        ("   ", "expected a URL or a command line"),
    ],
)
def test_config_time_problems(template: str, trouble: str | None) -> None:
    found = problem(template)
    if trouble is None:
        assert found is None
    else:
        assert found is not None and trouble in found
