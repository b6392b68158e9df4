"""A tiny real HTTP server that answers from a script, for retry tests.

The retry rules depend on statuses the real server should never produce on demand
(503, 429, a proxy's HTML 502), so these tests run the SDK against a Starlette app under
uvicorn on a free port whose next answers each test scripts, e.g. "503, 503, then 200".
It is a real socket and a real HTTP stack: only the answers are chosen.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import free_port

VOICE = {
    "id": "voice_scripted",
    "object": "voice",
    "name": "scripted",
    "status": "ready",
    "created_at": 1764000000,
    "language": "en",
    "failure": None,
    "quality": None,
}


@dataclass
class Scripted:
    """One scripted answer: status, JSON body (or raw text) and headers."""

    status: int
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if self.text is not None:
            return Response(self.text, status_code=self.status, headers=self.headers, media_type="text/html")
        body = self.body
        if body is None:
            code = {429: "rate_limited", 503: "not_ready"}.get(self.status, "scripted")
            body = {"error": {"type": "server_error", "code": code, "message": f"scripted {self.status}"}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def error(status: int, retry_after: str | None = None) -> Scripted:
    return Scripted(status, headers={"Retry-After": retry_after} if retry_after is not None else {})


class ScriptedServer:
    """``server.script("POST /v1/voice/clones", error(503), error(503))`` then call the SDK."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Scripted]] = defaultdict(list)
        self.hits: dict[str, int] = defaultdict(int)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        routes = [
            Route("/v1/voice/clones", self._handle, methods=["GET", "POST"]),
            Route("/v1/voice/clones/{voice_id}", self._handle, methods=["GET", "DELETE"]),
            Route("/v1/audio/speech", self._handle, methods=["POST"]),
        ]
        self.app = Starlette(routes=routes)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def script(self, route: str, *answers: Scripted) -> None:
        self.scripts[route] = list(answers)
        self.hits[route] = 0

    def reset(self) -> None:
        self.scripts.clear()
        self.hits.clear()

    async def _handle(self, request: Request) -> Response:
        route = f"{request.method} {request.url.path}"
        self.hits[route] += 1
        await request.body()
        queue = self.scripts.get(route)
        if queue:
            return queue.pop(0).response()
        if request.url.path == "/v1/audio/speech":
            # Enough bytes to arrive in more than one chunk when streamed.
            return Response(b"RIFF" + b"\0" * 200_000, media_type="audio/wav")
        if request.method == "POST":
            return JSONResponse({**VOICE, "status": "pending"}, status_code=201)
        if request.url.path == "/v1/voice/clones":
            return JSONResponse({"object": "list", "data": [VOICE], "has_more": False})
        return JSONResponse(VOICE)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("scripted server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


@contextmanager
def running() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
