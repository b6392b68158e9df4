"""`/v1/agents`: the Agent Builder — a voice, a greeting, instructions, a responder and
turn detection, stored per tenant and read fresh at the start of every live session."""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent_server.api.bodies import parse
from agent_server.api.common import ctx_of, json_body, page_params, principal
from agent_server.api.schemas import AgentCreate, AgentUpdate, TurnDetection
from agent_server.auth import Principal
from agent_server.context import ServerContext
from agent_server.errors import BadRequest, NotFound, Unauthorized
from agent_server.ids import new_id
from agent_server.profiles import stock_voice
from agent_server.responders import validate_responder_config

KIND = "agent"
# Bodies up to twice the JSON limit elsewhere, so an over-long knowledge text is told
# its own limit rather than "body too large".
_MAX_BODY = 2 << 20
TELEPHONY_PREFIX = "tel_"


def new_telephony_token() -> str:
    """The secret a phone provider presents for one agent (Twilio can't send headers,
    so it rides the stream URL or ``customParameters``). Scoped to one agent's calls
    by construction, unlike an API key, so it is safe to paste into a TwiML bin; it is
    kept readable because the TwiML needs it verbatim, but only to keys that may change
    the agent (``agents:write``): it opens calls, which ``agents:read`` does not."""
    return TELEPHONY_PREFIX + secrets.token_urlsafe(24)


async def telephony_principal(ctx: ServerContext, agent_id: str | None, token: str) -> Principal:
    """The caller behind a telephony token: ``realtime`` on this one agent only.

    The agent is looked up across tenants (the token is the only credential); a wrong
    token and an unknown agent get the same answer, so ids can't be probed."""
    if not agent_id:
        raise BadRequest("Name the agent the telephony token is for: '?agent=agent_...' or "
                         "customParameters.agent.", param="agent", code="missing_agent")
    found = await ctx.store.get_any(KIND, agent_id)
    stored = found[1].get("telephony_token") if found else None
    if not found or not isinstance(stored, str) or not hmac.compare_digest(stored.encode(), token.encode()):
        raise Unauthorized("Invalid telephony token for this agent; copy it from GET /v1/agents/{id} "
                           "(rotate with PATCH {\"telephony_token\": \"rotate\"}).", code="invalid_telephony_token")
    return Principal(found[0], frozenset({"realtime"}), f"telephony:{agent_id}", agent=agent_id)


def default_turn_detection(ctx: ServerContext) -> dict[str, Any]:
    rt = ctx.settings.realtime
    return {"type": "server_vad", "threshold": rt.vad_threshold,
            "silence_duration_ms": rt.silence_duration_ms, "prefix_padding_ms": 300}


_FALLBACK_TURN = {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500, "prefix_padding_ms": 300}


def merge_turn_detection(value: TurnDetection | None, base: dict[str, Any] | None) -> dict[str, Any] | None:
    """``null`` means push-to-talk (the client commits turns); otherwise the settings
    sent over ``base`` (the current ones, or the server's defaults)."""
    if value is None:
        return None
    return {**(base or _FALLBACK_TURN), **value.model_dump(exclude_none=True)}


def validate_turn_detection(value: Any, base: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A ``turn_detection`` object from outside the Agents API (a realtime
    ``session.update``), checked by the same schema; raises :class:`BadRequest`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest("'turn_detection' must be an object or null.", param="turn_detection")
    return merge_turn_detection(parse(TurnDetection, value, at="turn_detection"), base)


async def _check_voice(ctx: ServerContext, tenant: str, voice: str) -> str:
    """The voice must speak today: stock, or a ready clone of this tenant. A missing one
    is the caller's mistake in the body (400), a pending one is a conflict (409)."""
    try:
        await ctx.profiles.resolve(tenant, voice)
    except NotFound as exc:
        raise BadRequest(exc.message, code="voice_not_found", param="voice") from exc
    return voice


async def create_agent(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "agents:write")
    req = parse(AgentCreate, await json_body(request, _MAX_BODY))
    voice = await _check_voice(ctx, who.tenant, req.voice)
    default_turn = default_turn_detection(ctx)
    turn = (merge_turn_detection(req.turn_detection, default_turn)
            if "turn_detection" in req.model_fields_set else default_turn)
    agent_id = new_id("agent")
    doc: dict[str, Any] = {
        "id": agent_id, "object": "agent", "name": req.name, "voice": voice,
        "greeting": req.greeting or "",
        "instructions": req.instructions or "",
        "knowledge": req.knowledge or "",
        "responder": _responder(req.responder),
        "turn_detection": turn,
        "telephony_token": new_telephony_token(),
        "created_at": int(time.time()),
    }
    await ctx.store.insert(KIND, who.tenant, agent_id, doc)
    return JSONResponse(await shown(ctx, who.tenant, doc), status_code=201)


def _responder(value: Any) -> dict[str, Any]:
    try:
        return validate_responder_config(value)
    except ValueError as exc:
        raise BadRequest(f"Invalid 'responder': {exc}", param="responder", code="invalid_responder") from exc


def visible(doc: dict[str, Any], who: Principal) -> dict[str, Any]:
    """The agent as this caller may see it: the telephony token only with agents:write."""
    if who.has("agents:write"):
        return doc
    return {k: v for k, v in doc.items() if k != "telephony_token"}


async def get_agent(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "agents:read")
    doc = await load_agent(ctx, who.tenant, request.path_params["agent_id"])
    return JSONResponse(visible(await shown(ctx, who.tenant, doc), who))


async def load_agent(ctx: ServerContext, tenant: str, agent_id: str) -> dict[str, Any]:
    doc = await ctx.store.get(KIND, tenant, agent_id)
    if doc is None:
        raise NotFound(f"No agent '{agent_id}'.", code="agent_not_found")
    return doc


async def voice_status(ctx: ServerContext, tenant: str, voice: str) -> str:
    """Whether the agent's voice speaks today: ``ready``, ``pending``, ``failed``, or
    ``deleted`` (the clone was deleted after the agent chose it)."""
    if stock_voice(voice) is not None:
        return "ready"
    doc = await ctx.store.get("voice", tenant, voice)
    return "deleted" if doc is None else str(doc.get("status", "ready"))


async def shown(ctx: ServerContext, tenant: str, doc: dict[str, Any]) -> dict[str, Any]:
    """An agent as the API answers it: the stored record plus its voice's status now."""
    return {**doc, "voice_status": await voice_status(ctx, tenant, doc.get("voice", ""))}


async def agents_using_voice(ctx: ServerContext, tenant: str, voice: str) -> list[dict[str, str]]:
    """``{"id", "name"}`` of every agent of the tenant that speaks with ``voice``."""
    out: list[dict[str, str]] = []
    after = None
    while True:
        page = await ctx.store.list(KIND, tenant, 100, after)
        out += [{"id": a["id"], "name": a.get("name", "")} for a in page.data if a.get("voice") == voice]
        if not page.has_more or not page.data:
            return out
        after = page.data[-1]["id"]


async def list_agents(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "agents:read")
    limit, after = page_params(request, ctx.settings.limits.max_list_limit)
    page = await ctx.store.list(KIND, who.tenant, limit, after)
    data = [visible(await shown(ctx, who.tenant, a), who) for a in page.data]
    return JSONResponse({"object": "list", "data": data, "has_more": page.has_more})


async def update_agent(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "agents:write")
    doc = await load_agent(ctx, who.tenant, request.path_params["agent_id"])
    req = parse(AgentUpdate, await json_body(request, _MAX_BODY))
    given = req.model_fields_set
    if "name" in given:
        doc["name"] = req.name
    if "voice" in given:
        doc["voice"] = await _check_voice(ctx, who.tenant, req.voice)
    for key in ("greeting", "instructions", "knowledge"):
        if key in given:
            doc[key] = getattr(req, key) or ""
    if "responder" in given:
        doc["responder"] = _responder(req.responder)
    if "turn_detection" in given:
        doc["turn_detection"] = merge_turn_detection(
            req.turn_detection, doc.get("turn_detection") or default_turn_detection(ctx))
    if req.telephony_token == "rotate":
        doc["telephony_token"] = new_telephony_token()
    if not await ctx.store.replace(KIND, who.tenant, doc["id"], doc):
        raise NotFound(f"No agent '{doc['id']}'.", code="agent_not_found")
    return JSONResponse(await shown(ctx, who.tenant, doc))


async def delete_agent(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "agents:write")
    agent_id = request.path_params["agent_id"]
    if not await ctx.store.delete(KIND, who.tenant, agent_id):
        raise NotFound(f"No agent '{agent_id}'.", code="agent_not_found")
    return JSONResponse({"id": agent_id, "object": "agent", "deleted": True})


async def agents(request: Request) -> JSONResponse:
    return await (create_agent if request.method == "POST" else list_agents)(request)


async def agent(request: Request) -> JSONResponse:
    handler = {"DELETE": delete_agent, "PATCH": update_agent, "POST": update_agent}.get(request.method, get_agent)
    return await handler(request)


routes = [
    Route("/v1/agents", agents, methods=["GET", "POST"]),
    Route("/v1/agents/{agent_id}", agent, methods=["GET", "PATCH", "POST", "DELETE"]),
]
