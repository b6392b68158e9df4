"""Liveness, readiness, metrics."""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_server.api.common import ctx_of
from agent_server.auth import authenticate

PING_TIMEOUT_S = 1.5


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    try:
        store_ok = await asyncio.wait_for(ctx.store.ping(), PING_TIMEOUT_S)
    except Exception:  # unreachable, refusing or frozen
        store_ok = False
    ready = store_ok and ctx.models_ready
    body = {"status": "ready" if ready else "not_ready", "store": store_ok, "models": ctx.models_ready}
    return JSONResponse(body, status_code=200 if ready else 503, headers={} if ready else {"Retry-After": "2"})


async def metrics(request: Request) -> Response:
    ctx = ctx_of(request)
    if ctx.settings.http.metrics_require_auth:
        await authenticate(request, ctx.store)  # any valid key: the figures describe every tenant's use
    with contextlib.suppress(Exception):
        ctx.metrics.jobs_pending.set(await ctx.store.pending_jobs())
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
