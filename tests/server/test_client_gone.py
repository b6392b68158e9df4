"""A client that leaves while its body is still being read is no server fault: a quiet
400 (that nobody reads), not an unhandled exception with a traceback in the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_server.app import create_app
from agent_server.config import load_settings


async def test_client_leaving_mid_body(tmp_path: Path) -> None:
    app = create_app(load_settings(env={}, data_dir=str(tmp_path), models={"preload": False}), run_worker=False)
    incoming = [{"type": "http.request", "body": b'{"input": "Hel', "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        key = (tmp_path / "bootstrap-key.txt").read_text().strip().encode()
        scope = {"type": "http", "method": "POST", "path": "/v1/audio/speech", "query_string": b"",
                 "headers": [(b"authorization", b"Bearer " + key), (b"content-type", b"application/json")],
                 "app": app, "client": ("127.0.0.1", 5000), "server": ("test", 80), "scheme": "http",
                 "root_path": "", "http_version": "1.1"}
        await app(scope, receive, send)  # raised ClientDisconnect before
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400]
