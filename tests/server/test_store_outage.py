"""Redis down or frozen: every request is a quick 503 `store_unavailable` with
Retry-After (never a 500, never a hang), /readyz says so, and the server recovers by
itself when Redis is back. The test runs its own redis-server on a free port."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import LiveServer, free_port, start_server, stop_server


def _redis(port: int, where: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(where)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            import redis

            redis.Redis(port=port, socket_connect_timeout=0.5).ping()
            return proc
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture()
def redis_port(tmp_path: Path) -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    procs = [_redis(port, tmp_path)]
    yield port, procs
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait(5)


def _unavailable(srv: LiveServer) -> float:
    started = time.monotonic()
    r = httpx.get(f"{srv.base_url}/v1/models", headers=srv.headers, timeout=30)
    took = time.monotonic() - started
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "store_unavailable" and int(r.headers["retry-after"]) >= 1
    ready = httpx.get(f"{srv.base_url}/readyz", timeout=30)
    assert ready.status_code == 503 and ready.json()["store"] is False
    return took


def _wait(check: object, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail("the server did not recover")


def test_redis_frozen_then_down_then_back(tmp_path: Path, redis_port: tuple[int, list]) -> None:
    port, procs = redis_port
    srv = start_server(tmp_path, {"REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    try:
        with httpx.Client(base_url=srv.base_url, headers=srv.headers, timeout=30) as c:
            assert c.get("/v1/models").status_code == 200
            agent = c.post("/v1/agents", json={"name": "outage"}).json()["id"]

        procs[0].send_signal(signal.SIGSTOP)  # frozen: connections hang instead of failing
        took = _unavailable(srv)
        assert took < 5.0  # the store's timeouts are 1-1.5 s; far below any client's patience
        print(f"frozen Redis: 503 store_unavailable after {took:.2f} s")

        async def ws_refused() -> int:
            try:
                async with websockets.connect(f"{srv.base_url.replace('http', 'ws')}/v1/realtime?agent={agent}",
                                              additional_headers=srv.headers):
                    return 101
            except websockets.InvalidStatus as exc:
                return exc.response.status_code

        assert asyncio.run(ws_refused()) == 503
        procs[0].send_signal(signal.SIGCONT)
        _wait(lambda: httpx.get(f"{srv.base_url}/v1/models", headers=srv.headers).status_code == 200)

        procs[0].kill()  # down: connections are refused
        procs[0].wait(5)
        _unavailable(srv)
        procs.append(_redis(port, tmp_path))  # back (empty: this one keeps nothing)
        _wait(lambda: httpx.get(f"{srv.base_url}/readyz").status_code == 200)
        assert httpx.get(f"{srv.base_url}/v1/models", headers=srv.headers).status_code == 401
    finally:
        stop_server(srv)
    log = (tmp_path / "server.log").read_text()
    assert " 500 " not in log
