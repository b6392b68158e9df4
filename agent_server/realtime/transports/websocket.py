"""The WebSocket transport: REALTIME.md events both ways, audio as base64 inside them.

Errors before the session exists (bad key, unknown agent, deleted voice, session limit)
are answered as plain HTTP on the upgrade request (the ASGI denial-response extension)
so clients see a status and the usual JSON error; servers without the extension get
an ``error`` event and a policy close instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from agent_server.errors import ApiError
from agent_server.realtime.opening import open_session
from agent_server.realtime.outbound import AudioOut
from agent_server.realtime.protocol import audio_delta
from agent_server.realtime.session import RealtimeSession
from agent_server.realtime.transports.base import Transport
from agent_server.realtime.transports.lifecycle import serve

log = logging.getLogger("agent_server.realtime")


class WebSocketTransport(Transport):
    """Events as JSON text messages; reply audio as ``response.output_audio.delta``
    events in the session's output format."""

    def __init__(self, ws: WebSocket) -> None:
        super().__init__()
        self.ws = ws

    async def write_event(self, event: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(event, separators=(",", ":")))

    async def write_audio(self, msg: AudioOut) -> None:
        await self.write_event(audio_delta(msg.event_id, msg.response_id, msg.item_id, self.encoder.encode(msg.audio)))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason[:120])


def _subprotocol(ws: WebSocket) -> str | None:
    offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    return "realtime" if "realtime" in offered else None


# Refusals about the agent's voice are told as an ``error`` event, which every realtime
# client shows, rather than an HTTP answer to the upgrade that most WebSocket libraries
# reduce to "server rejected WebSocket connection: HTTP 409".
_AS_EVENT = {"voice_not_found", "voice_not_ready"}


async def reject(ws: WebSocket, exc: ApiError) -> None:
    if "websocket.http.response" in ws.scope.get("extensions", {}) and exc.code not in _AS_EVENT:
        await ws.send_denial_response(exc.to_response())
        return
    await ws.accept(subprotocol=_subprotocol(ws))
    await ws.send_text(json.dumps({"type": "error", "event_id": "event_reject", "error": {
        "type": exc.type, "code": exc.code, "message": exc.message}}))
    await ws.close(1008 if exc.status in (401, 403, 409) else 1013 if exc.status in (429, 503) else 1011)


async def realtime_websocket(ws: WebSocket) -> None:
    try:
        opened = await open_session(ws)
    except ApiError as exc:
        await reject(ws, exc)
        return

    async def accept() -> bool:
        await ws.accept(subprotocol=_subprotocol(ws))
        return True

    async def receive(session: RealtimeSession) -> None:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            data = msg.get("text") if msg.get("text") is not None else msg.get("bytes")
            if data is not None:
                await session.handle_event(data)

    await serve(opened, WebSocketTransport(ws), receive, accept=accept)
