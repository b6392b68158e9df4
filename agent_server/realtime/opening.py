"""Everything a session needs before it can start, shared by every transport: the
caller's key, the agent (from ``?agent=``/``?model=`` or the client secret), the agent's
voice as of now, and a slot under the server's session limit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from agent_server.api.agents import load_agent
from agent_server.api.common import ctx_of
from agent_server.auth import Principal, authenticate
from agent_server.context import ServerContext
from agent_server.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    store_error,
    store_unavailable,
)
from agent_server.rate_limits import Lease
from agent_server.realtime.guard import guard
from agent_server.realtime.resources import RealtimeResources, SessionLimit, resources

if TYPE_CHECKING:
    from agent_server.realtime.session import RealtimeSession

SESSION_RETRY_S = 5.0  # sessions last minutes: a retry sooner than this would meet the same limit


@dataclass
class Opened:
    ctx: ServerContext
    res: RealtimeResources
    who: Principal
    agent: dict[str, Any]
    voice: str
    profile: Any
    tenant_lease: Lease | None = None
    _guard: asyncio.Task[None] | None = field(default=None, repr=False)
    _released: bool = False

    def watch(self, session: RealtimeSession) -> None:
        """Guard the running session (voice deleted, key revoked, maximum age)."""
        self._guard = asyncio.create_task(guard(self, session), name=f"{session.id}-guard")

    async def release(self) -> None:
        """Give back the process and tenant slots (once; later calls do nothing)."""
        if self._released:
            return
        self._released = True
        if self._guard is not None and self._guard is not asyncio.current_task():
            self._guard.cancel()
        self.res.release_slot()
        await self.ctx.limiter.release(self.tenant_lease)


def agent_param(conn: HTTPConnection, who: Principal | None = None) -> str | None:
    q = conn.query_params
    return q.get("agent") or q.get("model") or (who.agent if who else None)


async def open_session(conn: HTTPConnection, secret: str | None = None, agent: str | None = None,
                       who: Principal | None = None) -> Opened:
    """See :func:`_open_session`; an unreachable store is a 503 the transports can answer."""
    try:
        return await _open_session(conn, secret, agent, who)
    except Exception as exc:
        if store_error(exc):
            raise store_unavailable() from exc
        raise


async def _open_session(conn: HTTPConnection, secret: str | None, agent: str | None,
                        who: Principal | None) -> Opened:
    """Raises ApiError subclasses with messages a person can act on; on success a
    session slot (of the process and of the tenant) is held and must be given back with
    ``await opened.release()``.

    ``who``: a caller the transport already authenticated (a telephony token)."""
    ctx = ctx_of(conn)
    if who is None:
        who = await authenticate(conn, ctx.store, secret)
    who.require("realtime")
    agent_id = agent or agent_param(conn, who)
    if not agent_id:
        raise BadRequest("Name the agent: '?agent=agent_...' (or '?model=agent_...').", param="agent",
                         code="missing_agent")
    if who.agent and who.agent != agent_id:
        raise Forbidden("This client secret is bound to another agent.", code="wrong_agent")
    agent_doc = await load_agent(ctx, who.tenant, agent_id)
    try:
        voice = await ctx.profiles.resolve(who.tenant, agent_doc["voice"])
    except NotFound as exc:
        raise Conflict(f"Agent {agent_id} speaks with voice '{agent_doc['voice']}', which no longer exists "
                       f"(it was deleted). Set a new voice: PATCH /v1/agents/{agent_id} {{\"voice\": \"joe\"}}.",
                       code="voice_not_found") from exc
    except Conflict as exc:
        raise Conflict(f"Agent {agent_id}'s voice is not usable: {exc.message}", code=exc.code) from exc
    if not ctx.models_ready:
        raise ServiceUnavailable("The models are still loading; retry in a few seconds.", retry_after=5)
    res = resources(ctx)
    per_tenant = ctx.settings.limits.max_realtime_sessions_per_tenant
    lease = await ctx.limiter.acquire(
        "tenant_session_limit", who.tenant, per_tenant, retry_after=SESSION_RETRY_S,
        message=f"This tenant already has {per_tenant} realtime sessions open (the per-tenant limit); "
                "close one or try again shortly.")
    try:
        res.acquire_slot()
    except SessionLimit as exc:
        await ctx.limiter.release(lease)
        raise TooManyRequests(str(exc), code="session_limit_reached", retry_after=SESSION_RETRY_S) from exc
    opened = Opened(ctx, res, who, agent_doc, voice.id, voice.clone, lease)
    try:
        await res.ensure_stt()
    except BaseException:
        await opened.release()
        raise
    return opened
