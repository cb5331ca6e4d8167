"""The webusers source against a real loopback HTTP server."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from gevent.pywsgi import WSGIServer

from ctid.testing import make_daemon
from ctid_webusers.fetch import _shown
from ctid_webusers.plugin import WebUsersPlugin

ALICE = {
    "login": "alice",
    "profile": "default",
    "lines": [{"context": "default", "number": "1001", "interface": "PJSIP/1001"}],
}


class Service:
    """A tiny JSON web service whose answer the test changes."""

    def __init__(self) -> None:
        self.status = "200 OK"
        self.body: Any = [ALICE]
        self.headers: list[dict[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.headers.append({"authorization": environ.get("HTTP_AUTHORIZATION", "")})
        data = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        start_response(self.status, [("Content-Type", "application/json")])
        return [data]


@pytest.fixture
def service() -> Iterator[tuple[Service, str]]:
    app = Service()
    server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None)
    server.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}/users.json"
    finally:
        server.stop()


def test_users_come_from_the_service_and_follow_its_changes(
    service: tuple[Service, str],
) -> None:
    app, url = service
    config = {"plugins": {"webusers": {"url": url, "token": "s3cr3t-token"}}}
    with make_daemon(config, {"webusers": WebUsersPlugin()}) as daemon:
        assert daemon.users.by_login("alice") is not None
        assert app.headers[-1]["authorization"] == "Bearer s3cr3t-token"
        app.body = {"users": [ALICE, {**ALICE, "login": "bob", "lines": []}]}
        assert daemon.refresh_users() is True
        assert daemon.users.by_login("bob") is not None


@pytest.mark.parametrize(
    ("status", "body"),
    [("500 Internal Server Error", b"oops"), ("200 OK", b"not json"), ("200 OK", b'{"x": 1}')],
)
def test_a_failing_service_keeps_the_users_it_gave_last(
    service: tuple[Service, str], status: str, body: bytes
) -> None:
    app, url = service
    with make_daemon(
        {"plugins": {"webusers": {"url": url}}}, {"webusers": WebUsersPlugin()}
    ) as daemon:
        app.status, app.body = status, body
        assert daemon.refresh_users() is False
        assert daemon.users.by_login("alice") is not None
        health = daemon.status()["plugins"]["webusers"]
        assert health["fetch_failures"] == 1 and health["last_error"]


def test_bad_entries_are_skipped_and_the_rest_kept(service: tuple[Service, str]) -> None:
    app, url = service
    app.body = [ALICE, {"login": ""}, "garbage", {**ALICE, "login": "carol", "lines": 5}]
    with make_daemon(
        {"plugins": {"webusers": {"url": url}}}, {"webusers": WebUsersPlugin()}
    ) as daemon:
        assert sorted(daemon.users.all()) == ["alice"]


def test_urls_are_checked_and_credentials_never_shown() -> None:
    with (
        pytest.raises(Exception, match="expected an http:// or https:// URL"),
        make_daemon(
            {"plugins": {"webusers": {"url": "file:///etc/passwd"}}}, {"webusers": WebUsersPlugin()}
        ),
    ):
        pass
    assert _shown("https://user:pw@host/users") == "https://host/users"
