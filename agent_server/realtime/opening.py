"""Everything a session needs before it can start, shared by every transport: the
caller's key, the agent (from ``?agent=``/``?model=`` or the client secret), the agent's
voice as of now, and a slot under the server's session limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from agent_server.api.agents import load_agent
from agent_server.api.common import ctx_of
from agent_server.auth import Principal, authenticate
from agent_server.context import ServerContext
from agent_server.errors import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, TooManyRequests
from agent_server.realtime.resources import RealtimeResources, SessionLimit, resources


@dataclass
class Opened:
    ctx: ServerContext
    res: RealtimeResources
    who: Principal
    agent: dict[str, Any]
    voice: str
    profile: Any


def agent_param(conn: HTTPConnection, who: Principal | None = None) -> str | None:
    q = conn.query_params
    return q.get("agent") or q.get("model") or (who.agent if who else None)


async def open_session(conn: HTTPConnection, secret: str | None = None, agent: str | None = None,
                       who: Principal | None = None) -> Opened:
    """Raises ApiError subclasses with messages a person can act on; on success a
    session slot is held and must be given back with ``res.release_slot()``.

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
    agent = await load_agent(ctx, who.tenant, agent_id)
    try:
        voice = await ctx.profiles.resolve(who.tenant, agent["voice"])
    except NotFound as exc:
        raise Conflict(f"Agent {agent_id} speaks with voice '{agent['voice']}', which no longer exists "
                       f"(it was deleted). Set a new voice: PATCH /v1/agents/{agent_id} {{\"voice\": \"joe\"}}.",
                       code="voice_not_found") from exc
    except Conflict as exc:
        raise Conflict(f"Agent {agent_id}'s voice is not usable: {exc.message}", code=exc.code) from exc
    if not ctx.models_ready:
        raise ServiceUnavailable("The models are still loading; retry in a few seconds.")
    res = resources(ctx)
    try:
        res.acquire_slot()
    except SessionLimit as exc:
        raise TooManyRequests(str(exc), code="session_limit_reached") from exc
    try:
        await res.ensure_asr()
    except BaseException:
        res.release_slot()
        raise
    return Opened(ctx, res, who, agent, voice.id, voice.profile)
