"""`/openapi.json`: the contract of API.md as OpenAPI 3.1, its objects generated from the
models that validate requests (:mod:`agent_server.api.schemas`).

This module holds only what a model cannot say: which operation takes and answers
which model, and with which error statuses. The document lists only the routes this
app mounts, so it never advertises a missing endpoint; a test checks that every
mounted route is documented.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import agent_server
from agent_server.api import schemas as s
from api_contract import QUALITY_FIELDS, quality_meta

_REF = "#/components/schemas/{model}"
_ERROR_TEXT = {400: "Bad request", 401: "Missing or invalid key", 403: "Key lacks the scope",
               404: "No such object (or another tenant's)", 409: "Voice not ready", 413: "Upload too large",
               415: "Wrong content type", 429: "A limit was reached (Retry-After says when to retry)",
               503: "Not ready, or the store is unreachable (Retry-After)"}
# Every authenticated call may meet a limit or a store outage.
_ALWAYS = (429, 503)
_REQUESTS: tuple[type[BaseModel], ...] = (s.SpeechRequest, s.AgentCreate, s.AgentUpdate, s.ClientSecretRequest)
_RESPONSES: tuple[type[BaseModel], ...] = (
    s.Error, s.VoiceObject, s.VoiceList, s.VoiceDeleted, s.Deleted, s.AgentObject, s.AgentList, s.CatalogVoices,
    s.Models, s.ClientSecret, s.CallEnded, s.Health, s.Readiness)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _resp(desc: str, schema: dict[str, Any] | None = None, ctype: str = "application/json") -> dict[str, Any]:
    out: dict[str, Any] = {"description": desc}
    if schema is not None:
        out["content"] = {ctype: {"schema": schema}}
    return out


def _op(summary: str, answers: dict[int, dict[str, Any]], errors: tuple[int, ...] = (), *,
        body: type[BaseModel] | dict[str, Any] | None = None, body_type: str = "application/json",
        params: list[dict[str, Any]] | None = None, public: bool = False) -> dict[str, Any]:
    """One operation: ``answers`` maps a status to its response; ``errors`` are the
    error statuses beyond those any authenticated call may answer."""
    codes = sorted(set(errors) | (set() if public else {401, *_ALWAYS}))
    out: dict[str, Any] = {"summary": summary,
                           "responses": {**{str(c): r for c, r in answers.items()},
                                         **{str(c): _resp(_ERROR_TEXT[c], _ref(s.Error)) for c in codes}}}
    if public:
        out["security"] = []
    if params:
        out["parameters"] = params
    if body is not None:
        schema = _ref(body) if isinstance(body, type) else body
        out["requestBody"] = {"required": True, "content": {body_type: {"schema": schema}}}
    return out


def _id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]


_PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "after", "in": "query", "schema": {"type": "string"}},
]
_AGENT_Q = [{"name": "agent", "in": "query", "schema": {"type": "string"}},
            {"name": "model", "in": "query", "schema": {"type": "string"}}]
_CLONE_FORM = {"type": "object", "required": ["name", "file"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": s.MAX_NAME},
    "file": {"type": "string", "format": "binary",
             "description": "The reference clip: WAV, FLAC, OGG/Opus, MP3, M4A/AAC or WebM."}}}
_AUDIO = {"type": "string", "format": "binary"}
_SDP = {"type": "string"}


def _json(desc: str, model: type[BaseModel]) -> dict[str, Any]:
    return _resp(desc, _ref(model))


PATHS: dict[str, Any] = {
    "/healthz": {"get": _op("Process is up", {200: _json("OK", s.Health)}, public=True)},
    "/readyz": {"get": _op("Models loaded and store reachable",
                           {200: _json("Ready", s.Readiness), 503: _json("Not ready", s.Readiness)}, public=True)},
    "/metrics": {"get": _op("Prometheus metrics (any valid key unless configured open)",
                            {200: _resp("Metrics", {"type": "string"}, "text/plain")}, (401, *_ALWAYS),
                            public=True)},
    "/openapi.json": {"get": _op("This document", {200: _resp("OpenAPI", {"type": "object"})}, public=True)},
    "/v1/voice/clones": {
        "post": _op("Enroll a voice from a reference clip (scope voice:clone)",
                    {201: _json("Created, pending", s.VoiceObject)}, (400, 403, 413, 415),
                    body=_CLONE_FORM, body_type="multipart/form-data"),
        "get": _op("List the tenant's clones, newest first (scope voice:read)",
                   {200: _json("A page", s.VoiceList)}, (400, 403), params=_PAGE),
    },
    "/v1/voice/clones/{voice_id}": {
        "get": _op("Get a clone", {200: _json("Voice", s.VoiceObject)}, (403, 404), params=_id("voice_id")),
        "delete": _op("Delete a clone everywhere", {200: _json("Deleted", s.VoiceDeleted)}, (403, 404),
                      params=_id("voice_id")),
    },
    "/v1/audio/speech": {"post": _op(
        "Text to speech in a stock or cloned voice (scope audio:speech)",
        {200: _resp("Audio bytes", _AUDIO, "audio/*")}, (400, 403, 404, 409, 415), body=s.SpeechRequest)},
    "/v1/voices": {"get": _op("Stock voices and the tenant's ready clones",
                              {200: _json("Voices", s.CatalogVoices)}, (403,))},
    "/v1/audio/voices": {"get": _op("Alias of /v1/voices", {200: _json("Voices", s.CatalogVoices)}, (403,))},
    "/v1/models": {"get": _op("Speech and agent models", {200: _json("Models", s.Models)})},
    "/v1/agents": {
        "post": _op("Create an agent (scope agents:write)", {201: _json("Agent", s.AgentObject)}, (400, 403, 415),
                    body=s.AgentCreate),
        "get": _op("List agents (scope agents:read)", {200: _json("A page", s.AgentList)}, (400, 403),
                   params=_PAGE),
    },
    "/v1/agents/{agent_id}": {
        "get": _op("Get an agent", {200: _json("Agent", s.AgentObject)}, (403, 404), params=_id("agent_id")),
        "patch": _op("Update an agent", {200: _json("Agent", s.AgentObject)}, (400, 403, 404, 415),
                     body=s.AgentUpdate, params=_id("agent_id")),
        "delete": _op("Delete an agent", {200: _json("Deleted", s.Deleted)}, (403, 404), params=_id("agent_id")),
    },
    "/v1/realtime": {"get": _op("Realtime session over WebSocket (REALTIME.md)",
                                {101: _resp("Switching protocols")}, (403, 404), params=_AGENT_Q)},
    "/v1/realtime/calls": {"post": _op(
        "WebRTC: SDP offer in, SDP answer out", {201: _resp("SDP answer", _SDP, "application/sdp")},
        (400, 403, 404, 415), body=_SDP, body_type="application/sdp", params=_AGENT_Q)},
    "/v1/realtime/calls/{call_id}": {"delete": _op(
        "Hang up a WebRTC call", {200: _json("Hung up", s.CallEnded)}, (403, 404), params=_id("call_id"))},
    "/v1/realtime/calls/{call_id}/hangup": {"post": _op(
        "Hang up a WebRTC call (OpenAI-style)", {200: _json("Hung up", s.CallEnded)}, (403, 404),
        params=_id("call_id"))},
    "/v1/realtime/client_secrets": {"post": _op(
        "Short-lived browser secret for one agent", {200: _json("Secret", s.ClientSecret)}, (400, 403, 404, 415),
        body=s.ClientSecretRequest)},
    "/v1/telephony/twilio": {"get": _op(
        "Twilio Media Streams WebSocket (authenticated by the agent's telephony token)",
        {101: _resp("Switching protocols")}, public=True,
        params=[*_AGENT_Q, {"name": "token", "in": "query", "schema": {"type": "string"}}])},
}


def components() -> dict[str, Any]:
    """Every model's JSON Schema, with the quality fields described from the contract."""
    _, top = models_json_schema([(m, "validation") for m in (*_REQUESTS, *_RESPONSES)], ref_template=_REF)
    found: dict[str, Any] = top.get("$defs", {})
    quality = found.get("QualityValues", {})
    for name in QUALITY_FIELDS:
        quality.get("properties", {}).get(name, {})["description"] = quality_meta(name)["description"]
    return found


def build_spec(mounted: set[str], max_speech_chars: int = 4096) -> dict[str, Any]:
    schemas = components()
    schemas["SpeechRequest"]["properties"]["input"]["maxLength"] = max_speech_chars
    return {
        "openapi": "3.1.0",
        "info": {"title": "agent-server", "version": agent_server.__version__,
                 "description": "Self-hosted realtime voice platform: voice cloning, speech, agents."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": {p: v for p, v in PATHS.items() if p in mounted},
    }


def mounted_paths(app: Any) -> set[str]:
    return {r.path for r in app.routes if hasattr(r, "path") and r.path}


async def openapi_json(request: Request) -> JSONResponse:
    spec = getattr(request.app.state, "openapi", None)
    if spec is None:  # built once per app: the routes and limits do not change while it runs
        spec = build_spec(mounted_paths(request.app), request.app.state.ctx.settings.limits.max_speech_chars)
        request.app.state.openapi = spec
    return JSONResponse(spec)


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
