"""What a browser is told: the console can't be framed or sniffed and loads only from
this server; CORS only for configured origins (preflight answered); /metrics needs a key.
And what a slow client gets: a request head trickled byte by byte, or never sent, is cut
off at ``http.header_timeout_s``, while ordinary requests, kept-alive connections and
WebSockets outlast it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.sync.client import connect

from tests.server.inproc import Server, serve

SITE = "https://app.example.com"
HEAD_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(str(tmp_path_factory.mktemp("headers")),
                     http={"cors_allow_origins": SITE, "header_timeout_s": HEAD_TIMEOUT_S})


def test_console_pages_carry_security_headers(srv: Server) -> None:
    for page in ("/", "/index.html", "/agent.html"):
        r = httpx.get(srv.base_url + page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "connect-src 'self'" in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    api = httpx.get(srv.base_url + "/v1/models", headers={"authorization": f"Bearer {srv.key}"})
    assert api.headers["x-content-type-options"] == "nosniff"


def test_cors_for_configured_origins_only(srv: Server) -> None:
    pre = httpx.options(srv.base_url + "/v1/audio/speech", headers={
        "origin": SITE, "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == SITE
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    r = httpx.get(srv.base_url + "/v1/models", headers={"origin": SITE, "authorization": f"Bearer {srv.key}"})
    assert r.headers["access-control-allow-origin"] == SITE
    other = httpx.options(srv.base_url + "/v1/audio/speech", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


def test_metrics_need_a_key(srv: Server) -> None:
    assert httpx.get(srv.base_url + "/metrics").status_code == 401
    r = httpx.get(srv.base_url + "/metrics", headers={"authorization": f"Bearer {srv.key}"})
    assert r.status_code == 200 and "agent_server_http_requests_total" in r.text


def _socket(srv: Server) -> socket.socket:
    url = urlsplit(srv.base_url)
    sock = socket.create_connection((url.hostname, url.port))
    sock.settimeout(0.1)
    return sock


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(65536) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def test_a_trickled_request_head_is_cut_off(srv: Server) -> None:
    """One header byte every 0.1 s would take 20 s; the server closes the connection once
    the head timeout has passed, and answers an ordinary request while the trickle goes on."""
    head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * 160 + b"\r\n\r\n"
    sent = 0
    with _socket(srv) as slow:
        while sent < len(head) and not _closed(slow):
            try:
                slow.sendall(head[sent:sent + 1])
            except OSError:
                break
            sent += 1
            if sent == 1:
                assert httpx.get(srv.base_url + "/healthz").status_code == 200
    assert sent < len(head) // 2, f"{sent} of {len(head)} bytes sent before the close"


def test_a_silent_connection_is_closed(srv: Server) -> None:
    with _socket(srv) as idle:
        deadline = time.monotonic() + 20 * HEAD_TIMEOUT_S
        while not _closed(idle):
            assert time.monotonic() < deadline, "a connection that sent nothing stayed open"


def _exchange(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    sock.settimeout(10)
    answer = sock.recv(65536)
    sock.settimeout(0.1)
    return answer


def test_kept_alive_connections_and_websockets_outlast_the_head_timeout(srv: Server) -> None:
    """The deadline covers a request's head only: a kept-alive connection idle for longer
    than it (but within the keep-alive timeout) takes its next request, and a WebSocket
    stays open past it."""
    with _socket(srv) as kept:
        assert _exchange(kept).startswith(b"HTTP/1.1 200")
        time.sleep(2 * HEAD_TIMEOUT_S)
        assert _exchange(kept).startswith(b"HTTP/1.1 200")
    agent = srv.agent()
    with connect(f"{srv.ws_url}/v1/realtime?agent={agent}",
                 additional_headers={"authorization": f"Bearer {srv.key}"}) as ws:
        time.sleep(2 * HEAD_TIMEOUT_S)
        assert ws.ping().wait(10)
