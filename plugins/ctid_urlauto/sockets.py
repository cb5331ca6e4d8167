"""The tcp and udp handlers: `tcp://host:port/?a=1&b=2` connects, sends `a=1&b=2` and closes;
`udp://host:port/?a=1` sends `a=1` as one datagram. The query is sent exactly as substituted
(each value percent-encoded), without a line end, as the seed describes."""

from __future__ import annotations

import socket

from ctid.api import UrlautoError, UrlautoRequest, render_url, socket_target


def tcp(request: UrlautoRequest) -> None:
    """Connect, send the query string, close."""
    url = render_url(request)
    if not url:
        return
    host, port, payload = socket_target(url)
    try:
        with socket.create_connection((host, port), timeout=request.timeout) as connection:
            connection.sendall(payload)
    except OSError as exc:
        raise UrlautoError(f"tcp {host}:{port}: {exc}") from None


def udp(request: UrlautoRequest) -> None:
    """Send the query string as one datagram."""
    url = render_url(request)
    if not url:
        return
    host, port, payload = socket_target(url)
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_DGRAM
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(request.timeout)
            sock.sendto(payload, address)
    except OSError as exc:
        raise UrlautoError(f"udp {host}:{port}: {exc}") from None
