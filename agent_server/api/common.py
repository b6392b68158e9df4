"""Small helpers every endpoint module shares: auth, JSON bodies, pagination."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import HTTPConnection, Request

from agent_server.auth import Principal, authenticate
from agent_server.context import ServerContext
from agent_server.errors import ApiError, BadRequest, UnsupportedMediaType


def ctx_of(conn: HTTPConnection) -> ServerContext:
    return conn.app.state.ctx


async def principal(conn: HTTPConnection, scope: str) -> Principal:
    who = await authenticate(conn, ctx_of(conn).store)
    who.require(scope)
    return who


async def read_body(request: Request, max_bytes: int, too_large: ApiError) -> bytes:
    """The body, refused as soon as it passes ``max_bytes`` (never buffered beyond it)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise too_large
    return bytes(raw)


async def json_body(request: Request, max_bytes: int = 1 << 20) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    if ctype and "json" not in ctype:
        raise UnsupportedMediaType("Send a JSON body with 'Content-Type: application/json'.")
    raw = await read_body(request, max_bytes, BadRequest("The JSON body is too large.", code="body_too_large"))
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}", code="invalid_json") from exc
    except RecursionError as exc:  # the decoder recurses per nesting level
        raise BadRequest("The JSON body is nested too deeply.", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise BadRequest("The JSON body must be an object.", code="invalid_json")
    return body


def page_params(request: Request, max_limit: int) -> tuple[int, str | None]:
    raw = request.query_params.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError as exc:
        raise BadRequest("'limit' must be an integer.", param="limit") from exc
    if not 1 <= limit <= max_limit:
        raise BadRequest(f"'limit' must be between 1 and {max_limit}.", param="limit")
    after = request.query_params.get("after") or None
    return limit, after
