"""What a browser is told: the console can't be framed or sniffed and loads only from
this server; CORS only for configured origins (preflight answered); /metrics needs a key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.inproc import Server, serve

SITE = "https://app.example.com"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(str(tmp_path_factory.mktemp("headers")), http={"cors_allow_origins": SITE})


def test_console_pages_carry_security_headers(srv: Server) -> None:
    for page in ("/", "/index.html", "/agent.html"):
        r = httpx.get(srv.base_url + page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
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
