"""A real server in this process (uvicorn on a free port, real store and models) with
settings a test chooses, for checks that need limits or options the shared one lacks."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from agent_server.auth import create_key
from agent_server.config import load_settings
from agent_server.stores import open_store
from tests.conftest import free_port


@dataclass
class Server:
    base_url: str
    key: str
    app: Any
    data_dir: str

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")

    def client(self, key: str | None = None, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60,
                            headers={"authorization": f"Bearer {key or self.key}", **headers})

    def new_key(self, tenant: str, scopes: list[str]) -> str:
        async def make() -> str:
            store = open_store(load_settings(env={}, data_dir=self.data_dir))
            try:
                return (await create_key(store, tenant, scopes))[0]
            finally:
                await store.close()

        return run_async(make())

    def agent(self, key: str | None = None, **body: Any) -> str:
        with self.client(key) as c:
            r = c.post("/v1/agents", json={"name": "limits", **body})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    @property
    def sessions(self) -> int:
        res = self.app.state.ctx.extras.get("realtime")
        return res.active if res else 0


def run_async(coro: Any) -> Any:
    """Run a coroutine to the end from sync or async tests alike (its own loop, in a thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def serve(data_dir: str, **overrides: Any) -> Iterator[Server]:
    import uvicorn

    from agent_server.app import create_app
    from agent_server.http_guard import uvicorn_config

    settings = load_settings(env={}, data_dir=data_dir, **overrides)
    app = create_app(settings, run_worker=False)
    server = uvicorn.Server(uvicorn_config(app, settings, host="127.0.0.1", port=free_port(), log_level="warning",
                                           ws="websockets"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    key_file = settings.data_path / "bootstrap-key.txt"
    deadline = time.time() + 120
    while not (server.started and key_file.exists() and app.state.ctx.models_ready):
        assert time.time() < deadline, "server did not start"
        time.sleep(0.1)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Server(f"http://127.0.0.1:{port}", key_file.read_text().strip(), app, data_dir)
    server.should_exit = True
    thread.join(10)
