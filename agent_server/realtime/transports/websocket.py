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

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from agent_server.errors import ApiError
from agent_server.realtime.opening import open_session
from agent_server.realtime.session import RealtimeSession

log = logging.getLogger("agent_server.realtime")


class WebSocketTransport:
    kind = "websocket"
    audio_events = True

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send_event(self, event: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(event, separators=(",", ":")))

    async def play(self, audio: np.ndarray) -> None:  # audio rides events here
        raise NotImplementedError

    async def mark(self, name: str) -> None:  # playback progress is not reported here
        return None

    async def clear_audio(self) -> None:
        return None

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
    try:
        await ws.accept(subprotocol=_subprotocol(ws))
        transport = WebSocketTransport(ws)
        session = RealtimeSession(resources=opened.res, run_cpu=opened.ctx.run_cpu, agent=opened.agent,
                                  profile=opened.profile, transport=transport, voice=opened.voice)
        await session.start()
        opened.watch(session)
        try:
            while not session.closing:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                data = msg.get("text") if msg.get("text") is not None else msg.get("bytes")
                if data is not None:
                    await session.handle_event(data)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            await session.close()
            await transport.close()
    finally:
        await opened.release()
