"""The application factory: wires settings, store, models and routes into one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from agent_server import errors
from agent_server.api import agents, catalog, clones, health, openapi, speech
from agent_server.body_deadline import BodyDeadlineMiddleware
from agent_server.bootstrap import ensure_bootstrap_key
from agent_server.config import Settings, load_settings
from agent_server.context import ServerContext
from agent_server.cpu import CpuScheduler
from agent_server.enrollment.worker import EnrollmentWorker
from agent_server.housekeeping import housekeeping
from agent_server.metrics import Metrics
from agent_server.middleware import MetricsMiddleware
from agent_server.profiles import ProfileCache
from agent_server.rate_limits import Limiter
from agent_server.realtime import routes as realtime_routes
from agent_server.security_headers import SecurityHeadersMiddleware
from agent_server.stores import Store, open_store

log = logging.getLogger("agent_server")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _preload(settings: Settings) -> None:
    """Load every model once, and run each once, before traffic: the first call of a
    torch or CTranslate2 model pays for lazy initialisation (seconds, measured up to
    19 s for the speaker encoder on a loaded machine), which must not land on the first
    enrollment or the first realtime turn."""
    import numpy as np

    from voices import models

    rng = np.random.default_rng(0)
    noise = (0.01 * rng.standard_normal(32000)).astype(np.float32)
    models.speaker_encoder().embed_utterance(noise)
    models.silero_vad()
    asr = models.whisper(settings.models.asr_model or None, settings.models.asr_compute_type)
    list(asr.transcribe(noise, language="en", beam_size=1, without_timestamps=True)[0])
    tts = models.piper(settings.models.tts_model or None)
    for _ in tts.synthesize("Ready."):
        pass
    from agent_server.responders import embeddings
    from voices import profile

    embeddings.start_loading()  # in its own thread, beside the base voice's statistics
    profile.warm_up()
    embeddings.wait_ready(120)


def _middleware(settings: Settings) -> list[Middleware]:
    stack = [Middleware(SecurityHeadersMiddleware)]
    if settings.http.cors_origins:
        # Preflights are answered here, before auth; the key still goes in the header.
        stack.append(Middleware(CORSMiddleware, allow_origins=settings.http.cors_origins,
                                allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
                                allow_headers=["authorization", "content-type"],
                                expose_headers=["retry-after", "x-voice-id", "location"], max_age=600))
    http = settings.http
    return [*stack, Middleware(MetricsMiddleware),
            Middleware(BodyDeadlineMiddleware, grace_s=http.body_grace_s, min_rate_bytes_s=http.body_min_rate_bytes_s)]


def create_app(
    settings: Settings | None = None, store: Store | None = None, *, run_worker: bool = True
) -> Starlette:
    settings = settings or load_settings()
    from agent_server.realtime import engines

    engines.check(settings.realtime)  # an engine name that does not exist fails here, not at a first call
    store = store or open_store(settings)
    m = settings.models
    # The one CPU budget: ``cpu_pool_size`` model jobs at once, each model running
    # cores // jobs threads, plus one thread for the light jobs (VAD) beside them.
    from voices import models

    models.configure(m.model_threads or max(1, (os.cpu_count() or 2) // max(1, m.cpu_pool_size)))
    pool = ThreadPoolExecutor(m.cpu_pool_size + 1, thread_name_prefix="cpu")
    sched = CpuScheduler(pool, m.cpu_pool_size, light_slots=1, tenant_share_s=m.cpu_tenant_share_s)
    ctx = ServerContext(
        settings=settings, store=store, metrics=Metrics(), cpu=pool, sched=sched,
        profiles=ProfileCache(store, m.profile_cache_size, m.conversion, sched),
        limiter=Limiter(settings, getattr(store, "r", None)),
    )
    log.info("Conversion options for cloned voices: %s", m.conversion.describe())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        written = await ensure_bootstrap_key(store, settings)
        if written:
            # The key itself stays in the file: stdout usually ends up in a log.
            log.warning("Created tenant 'default' and its bootstrap API key (all scopes), written to %s "
                        "(mode 0600); read it from there once.", written)
        loader: asyncio.Future[None] | None = None
        if settings.models.preload:
            loader = asyncio.ensure_future(ctx.run_cpu(_preload, settings))
            loader.add_done_callback(lambda f: setattr(ctx, "models_ready", f.exception() is None))
        else:
            ctx.models_ready = True
        worker = EnrollmentWorker(ctx)
        ctx.extras["worker"] = worker
        if run_worker:
            worker.start()
        upkeep = asyncio.create_task(housekeeping(ctx), name="housekeeping")
        try:
            yield
        finally:
            upkeep.cancel()
            await worker.stop()
            for hook in ctx.extras.get("on_shutdown", []):
                await hook()
            ctx.cpu.shutdown(wait=False, cancel_futures=True)
            await store.close()

    routes: list[BaseRoute] = [*health.routes, *openapi.routes, *clones.routes, *speech.routes,
                              *catalog.routes, *agents.routes, *realtime_routes.routes]
    if STATIC_DIR.is_dir():
        routes.append(Mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static"))
    app = Starlette(
        routes=routes,
        middleware=_middleware(settings),
        exception_handlers={
            errors.ApiError: errors.api_error_handler,
            HTTPException: errors.http_exception_handler,
            ClientDisconnect: errors.client_gone_handler,
            RedisConnectionError: errors.store_error_handler,
            RedisTimeoutError: errors.store_error_handler,
            Exception: errors.unhandled_error_handler,
        },
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app
