"""Discovery for OpenAI-style clients: `/v1/voices` (+ alias) and `/v1/models`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent_server.api.common import ctx_of
from agent_server.auth import authenticate
from agent_server.profiles import OPENAI_VOICE_ALIASES, STOCK_VOICES

SPEECH_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")


async def list_voices(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await authenticate(request, ctx.store)
    data = [{"id": v, "object": "voice", "name": name, "type": "stock", "status": "ready"}
            for v, name in STOCK_VOICES.items()]
    data += [{"id": alias, "object": "voice", "name": f"{alias} (OpenAI name; speaks as {stock})",
              "type": "stock", "alias_of": stock, "status": "ready"}
             for alias, stock in OPENAI_VOICE_ALIASES.items()]
    if who.has("voice:read") or who.has("audio:speech"):
        after = None
        while True:
            page = await ctx.store.list("voice", who.tenant, 100, after)
            data += [{"id": d["id"], "object": "voice", "name": d["name"], "type": "clone", "status": "ready"}
                     for d in page.data if d["status"] == "ready"]
            if not page.has_more or not page.data:
                break
            after = page.data[-1]["id"]
    return JSONResponse({"object": "list", "data": data, "has_more": False})


def _agent_model(agent: dict[str, Any], tenant: str) -> dict[str, Any]:
    return {"id": agent["id"], "object": "model", "created": agent.get("created_at", 0),
            "owned_by": tenant, "type": "agent", "name": agent.get("name", "")}


async def list_models(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await authenticate(request, ctx.store)
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "agent-server", "type": "speech"}
            for m in SPEECH_MODELS]
    if who.agent:  # a client secret sees the one agent it is bound to, nothing else
        found = await ctx.store.get("agent", who.tenant, who.agent)
        if found:
            data.append(_agent_model(found, who.tenant))
    elif who.has("agents:read") or who.has("realtime"):
        after = None
        while True:
            page = await ctx.store.list("agent", who.tenant, 100, after)
            data += [_agent_model(a, who.tenant) for a in page.data]
            if not page.has_more or not page.data:
                break
            after = page.data[-1]["id"]
    return JSONResponse({"object": "list", "data": data})


routes = [
    Route("/v1/voices", list_voices, methods=["GET"]),
    Route("/v1/audio/voices", list_voices, methods=["GET"]),
    Route("/v1/models", list_models, methods=["GET"]),
]
