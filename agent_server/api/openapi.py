"""`/openapi.json`: the contract of API.md as OpenAPI 3.1.

Written by hand from API.md (the contract is the source of truth), then filtered to the
routes this app actually mounts, so the document never advertises a missing endpoint;
a test checks that every mounted route is documented.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import agent_server

ERR = {"$ref": "#/components/schemas/Error"}


def _resp(desc: str, schema: dict[str, Any] | None = None, ctype: str = "application/json") -> dict[str, Any]:
    out: dict[str, Any] = {"description": desc}
    if schema is not None:
        out["content"] = {ctype: {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad request", 401: "Missing or invalid key", 403: "Key lacks the scope",
            404: "No such object (or another tenant's)", 409: "Voice not ready",
            413: "Upload too large", 415: "Wrong content type", 429: "Limit reached",
            503: "Not ready"}
    return {str(c): _resp(text[c], ERR) for c in codes}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {
        "object": {"const": "list"}, "data": {"type": "array", "items": _ref(name)},
        "has_more": {"type": "boolean"}}}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "after", "in": "query", "schema": {"type": "string"}},
]
_AGENT_Q = [{"name": "agent", "in": "query", "schema": {"type": "string"}},
            {"name": "model", "in": "query", "schema": {"type": "string"}}]

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "type": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}}},
    "Quality": {"type": "object", "properties": {k: {"type": ["number", "string", "null"]} for k in (
        "duration_s", "speech_s", "effective_bandwidth_hz", "snr_db", "speakers", "music",
        "reverb_c50_db", "clipped_fraction", "level_spread_db", "longest_silence_s", "language",
        "language_confidence")}},
    "Voice": {"type": "object", "required": ["id", "object", "name", "status", "created_at"], "properties": {
        "id": {"type": "string"}, "object": {"const": "voice"}, "name": {"type": "string"},
        "status": {"enum": ["pending", "ready", "failed"]}, "created_at": {"type": "integer"},
        "language": {"type": "string"},
        "failure": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "evidence": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                "measure": {"type": "string"}, "value": {"type": "number"},
                "limit": {"type": "number"}}}]}}}]},
        "quality": {"oneOf": [{"type": "null"}, _ref("Quality")]}}},
    "Deleted": {"type": "object", "properties": {
        "id": {"type": "string"}, "object": {"type": "string"}, "deleted": {"type": "boolean"}}},
    "SpeechRequest": {"type": "object", "required": ["input", "voice"], "properties": {
        "input": {"type": "string", "minLength": 1, "maxLength": 4096}, "voice": {"type": "string"},
        "model": {"type": "string"},
        "response_format": {"enum": ["wav", "mp3", "opus", "flac", "aac", "pcm", "ulaw", "alaw"]},
        "speed": {"type": "number", "minimum": 0.25, "maximum": 4.0}, "stream": {"type": "boolean"}}},
    "Agent": {"type": "object", "properties": {
        "id": {"type": "string"}, "object": {"const": "agent"}, "name": {"type": "string"},
        "voice": {"type": "string"}, "greeting": {"type": "string"}, "instructions": {"type": "string"},
        "knowledge": {"type": "string", "maxLength": 32768,
                      "description": "Facts the embedded responder answers from, sentence by sentence"},
        "voice_status": {"enum": ["ready", "pending", "failed", "deleted"], "readOnly": True},
        "responder": {"type": "object"}, "turn_detection": {"type": ["object", "null"]},
        "telephony_token": {"type": "string", "description":
                            "Token for /v1/telephony/twilio; set to \"rotate\" in a PATCH for a new one"},
        "created_at": {"type": "integer"}}},
    "ClientSecret": {"type": "object", "properties": {
        "value": {"type": "string"}, "expires_at": {"type": "integer"}}},
}

PATHS: dict[str, Any] = {
    "/healthz": {"get": {"summary": "Process is up", "security": [], "responses": {"200": _resp("OK")}}},
    "/readyz": {"get": {"summary": "Models loaded and store reachable", "security": [],
                        "responses": {"200": _resp("Ready"), **_errors(503)}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "security": [],
                         "responses": {"200": _resp("Metrics", {"type": "string"}, "text/plain")}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": _resp("OpenAPI")}}},
    "/v1/voice/clones": {
        "post": {"summary": "Enroll a voice from a reference clip (scope voice:clone)",
                 "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                     "type": "object", "required": ["name", "file"], "properties": {
                         "name": {"type": "string", "minLength": 1, "maxLength": 100},
                         "file": {"type": "string", "format": "binary"}}}}}},
                 "responses": {"201": _resp("Created, pending", _ref("Voice")),
                               **_errors(400, 401, 403, 413, 415)}},
        "get": {"summary": "List the tenant's clones, newest first (scope voice:read)", "parameters": _PAGE,
                "responses": {"200": _resp("A page", _list_of("Voice")), **_errors(400, 401, 403)}},
    },
    "/v1/voice/clones/{voice_id}": {
        "get": {"summary": "Get a clone", "parameters": [{**_ID, "name": "voice_id"}],
                "responses": {"200": _resp("Voice", _ref("Voice")), **_errors(401, 403, 404)}},
        "delete": {"summary": "Delete a clone everywhere", "parameters": [{**_ID, "name": "voice_id"}],
                   "responses": {"200": _resp("Deleted", _ref("Deleted")), **_errors(401, 403, 404)}},
    },
    "/v1/audio/speech": {"post": {
        "summary": "Text to speech in a stock or cloned voice (scope audio:speech)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SpeechRequest")}}},
        "responses": {"200": _resp("Audio bytes", {"type": "string", "format": "binary"}, "audio/*"),
                      **_errors(400, 401, 403, 404, 409)}}},
    "/v1/voices": {"get": {"summary": "Stock voices and the tenant's ready clones",
                           "responses": {"200": _resp("Voices"), **_errors(401, 403)}}},
    "/v1/audio/voices": {"get": {"summary": "Alias of /v1/voices",
                                 "responses": {"200": _resp("Voices"), **_errors(401, 403)}}},
    "/v1/models": {"get": {"summary": "Speech and agent models",
                           "responses": {"200": _resp("Models"), **_errors(401)}}},
    "/v1/agents": {
        "post": {"summary": "Create an agent (scope agents:write)",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Agent")}}},
                 "responses": {"201": _resp("Agent", _ref("Agent")), **_errors(400, 401, 403)}},
        "get": {"summary": "List agents (scope agents:read)", "parameters": _PAGE,
                "responses": {"200": _resp("A page", _list_of("Agent")), **_errors(401, 403)}},
    },
    "/v1/agents/{agent_id}": {
        "get": {"summary": "Get an agent", "parameters": [{**_ID, "name": "agent_id"}],
                "responses": {"200": _resp("Agent", _ref("Agent")), **_errors(401, 403, 404)}},
        "patch": {"summary": "Update an agent", "parameters": [{**_ID, "name": "agent_id"}],
                  "requestBody": {"content": {"application/json": {"schema": _ref("Agent")}}},
                  "responses": {"200": _resp("Agent", _ref("Agent")), **_errors(400, 401, 403, 404)}},
        "delete": {"summary": "Delete an agent", "parameters": [{**_ID, "name": "agent_id"}],
                   "responses": {"200": _resp("Deleted", _ref("Deleted")), **_errors(401, 403, 404)}},
    },
    "/v1/realtime": {"get": {"summary": "Realtime session over WebSocket (REALTIME.md)",
                             "parameters": _AGENT_Q, "responses": {"101": _resp("Switching protocols"),
                                                                   **_errors(401, 403, 404)}}},
    "/v1/realtime/calls": {"post": {
        "summary": "WebRTC: SDP offer in, SDP answer out", "parameters": _AGENT_Q,
        "requestBody": {"required": True, "content": {"application/sdp": {"schema": {"type": "string"}}}},
        "responses": {"201": _resp("SDP answer", {"type": "string"}, "application/sdp"),
                      **_errors(400, 401, 403, 404, 429)}}},
    "/v1/realtime/calls/{call_id}": {"delete": {
        "summary": "Hang up a WebRTC call", "parameters": [{**_ID, "name": "call_id"}],
        "responses": {"200": _resp("Hung up"), **_errors(401, 404)}}},
    "/v1/realtime/calls/{call_id}/hangup": {"post": {
        "summary": "Hang up a WebRTC call (OpenAI-style)", "parameters": [{**_ID, "name": "call_id"}],
        "responses": {"200": _resp("Hung up"), **_errors(401, 404)}}},
    "/v1/realtime/client_secrets": {"post": {
        "summary": "Short-lived browser secret for one agent",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"agent": {"type": "string"}}}}}},
        "responses": {"200": _resp("Secret", _ref("ClientSecret")), **_errors(400, 401, 403, 404)}}},
    "/v1/telephony/twilio": {"get": {
        "summary": "Twilio Media Streams WebSocket", "security": [],
        "parameters": [*_AGENT_Q, {"name": "token", "in": "query", "schema": {"type": "string"}}],
        "responses": {"101": _resp("Switching protocols")}}},
}


def build_spec(mounted: set[str]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "agent-server", "version": agent_server.__version__,
                 "description": "Self-hosted realtime voice platform: voice cloning, speech, agents."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": SCHEMAS},
        "paths": {p: v for p, v in PATHS.items() if p in mounted},
    }


def mounted_paths(app: Any) -> set[str]:
    return {r.path for r in app.routes if hasattr(r, "path") and r.path}


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(build_spec(mounted_paths(request.app)))


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
