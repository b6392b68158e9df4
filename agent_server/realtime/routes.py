"""Realtime endpoints: WebSocket sessions, WebRTC calls, ephemeral client secrets,
Twilio Media Streams. Auto-mounted by :func:`agent_server.app.create_app`."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from agent_server.api.agents import load_agent
from agent_server.api.bodies import parse
from agent_server.api.common import ctx_of, json_body, principal, read_body
from agent_server.api.schemas import ClientSecretRequest
from agent_server.auth import create_key
from agent_server.errors import ApiError, BadRequest, Forbidden, NotFound, UnsupportedMediaType
from agent_server.realtime.opening import open_session
from agent_server.realtime.transports.twilio import twilio_websocket
from agent_server.realtime.transports.websocket import realtime_websocket

MAX_SDP_BYTES = 64 * 1024


async def client_secrets(request: Request) -> JSONResponse:
    """A short-lived key for browsers: one agent, ``realtime`` scope only."""
    ctx = ctx_of(request)
    who = await principal(request, "realtime")
    if who.agent:
        raise Forbidden("A client secret cannot mint other client secrets; use an API key.")
    per_min = ctx.settings.limits.client_secrets_per_key_per_min
    await ctx.limiter.hit("client_secret_limit", per_min, "minute", who.key_id,
                          f"This key has minted {per_min} client secrets in the last minute (the limit); "
                          "mint one per browser session, when it starts.")
    body = parse(ClientSecretRequest, await json_body(request))
    session = body.session or {}
    agent_id = body.agent or session.get("agent") or session.get("model")
    if not isinstance(agent_id, str) or not agent_id:
        raise BadRequest("Give the agent: {\"agent\": \"agent_...\"}.", param="agent", code="missing_agent")
    agent = await load_agent(ctx, who.tenant, agent_id)
    ttl = ctx.settings.realtime.client_secret_ttl_s
    if body.expires_after is not None and 10 <= body.expires_after.seconds <= ttl:
        ttl = body.expires_after.seconds
    secret, key = await create_key(ctx.store, who.tenant, ["realtime"], f"client secret for {agent_id}",
                                   ttl_s=ttl, agent=agent_id, parent=who.key_id)
    return JSONResponse({"value": secret, "expires_at": key.expires_at, "agent": agent_id,
                         "session": {"type": "realtime", "model": agent_id, "agent": agent_id,
                                     "audio": {"output": {"voice": agent["voice"]}}}}, status_code=200)


async def create_call(request: Request) -> Response:
    from agent_server.realtime.transports.webrtc import answer_call

    ctype = request.headers.get("content-type", "")
    if "application/sdp" not in ctype:
        raise UnsupportedMediaType("Send the SDP offer with 'Content-Type: application/sdp'.")
    raw = await read_body(request, MAX_SDP_BYTES, BadRequest("The SDP offer is too large.", code="invalid_sdp"))
    offer = raw.decode("utf-8", "replace")
    if "v=0" not in offer or "m=audio" not in offer:
        raise BadRequest("The body is not an SDP offer with an audio section.", code="invalid_sdp")
    opened = await open_session(request)
    try:
        call, answer = await answer_call(opened, offer)
    except ApiError:
        await opened.release()
        raise
    except Exception as exc:
        await opened.release()
        raise BadRequest(f"The SDP offer could not be used: {exc}", code="invalid_sdp") from exc
    return Response(answer, status_code=201, media_type="application/sdp",
                    headers={"location": f"/v1/realtime/calls/{call.id}"})


async def hangup_call(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "realtime")
    call = ctx.extras.get("realtime_calls", {}).get(request.path_params["call_id"])
    if call is None or call.opened.who.tenant != who.tenant:
        raise NotFound("No such call.", code="call_not_found")
    await call.end()
    return JSONResponse({"id": call.id, "object": "realtime.call", "status": "ended", "ended_at": int(time.time())})


routes: list[BaseRoute] = [
    WebSocketRoute("/v1/realtime", realtime_websocket),
    Route("/v1/realtime/client_secrets", client_secrets, methods=["POST"]),
    Route("/v1/realtime/calls", create_call, methods=["POST"]),
    Route("/v1/realtime/calls/{call_id}/hangup", hangup_call, methods=["POST"]),
    Route("/v1/realtime/calls/{call_id}", hangup_call, methods=["DELETE"]),
    WebSocketRoute("/v1/telephony/twilio", twilio_websocket),
]
