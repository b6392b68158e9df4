"""Request metrics, as plain ASGI so streaming responses and WebSockets pass through."""

from __future__ import annotations

import time

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = "unmatched"
        for r in scope["app"].routes:
            match, _ = r.matches(scope)
            if match == Match.FULL:
                route = getattr(r, "path", "unmatched")
                break
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            ctx = scope["app"].state.ctx
            ctx.metrics.requests.labels(scope["method"], route, str(status[0])).inc()
            ctx.metrics.latency.labels(route).observe(time.perf_counter() - started)
