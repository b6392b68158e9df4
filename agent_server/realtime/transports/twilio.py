"""Twilio Media Streams: a phone call's μ-law 8 kHz audio over Twilio's WebSocket messages.

In: ``connected``, ``start`` (``streamSid``, ``customParameters``), ``media`` (base64
μ-law, 20 ms), ``mark`` (our marks echoed once played), ``dtmf``, ``stop``. Out:
``media`` in 20 ms frames, a ``mark`` after each reply piece (a sentence or clause, so
the echoes tell how far playback got), ``clear`` on barge-in.

Auth: Twilio can't send headers, so the credential rides the stream URL (``?token=``)
or ``start.customParameters.token``: the agent's telephony token (``tel_...``, scoped to
that one agent). Nothing else is accepted: an API key or client secret in a URL ends up
in proxy and access logs, and a TwiML bin is no place for a key that can do more than
answer this agent's calls. The agent is ``?agent=`` or ``customParameters.agent``. A
refused stream is closed with code 1008 and the reason; so is a socket that sends no
``start`` within ``START_TIMEOUT_S`` (nothing is held for it meanwhile: no session slot
is taken before the token has been checked).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from agent_server.api.agents import TELEPHONY_PREFIX, telephony_principal
from agent_server.api.common import ctx_of
from agent_server.errors import ApiError, Unauthorized, store_error, store_unavailable
from agent_server.realtime.opening import Opened, open_session
from agent_server.realtime.outbound import AudioOut
from agent_server.realtime.session import RealtimeSession
from agent_server.realtime.transports.base import Transport
from agent_server.realtime.transports.lifecycle import serve

log = logging.getLogger("agent_server.realtime")
FRAME_BYTES = 160  # 20 ms of μ-law at 8 kHz
ULAW_SILENCE = b"\xff"
# Twilio sends `connected` and `start` at once; a socket silent for this long is not Twilio.
START_TIMEOUT_S = 5.0


class TwilioTransport(Transport):
    """Twilio's own messages; the call's audio is μ-law 8 kHz both ways."""

    def __init__(self, ws: WebSocket, stream_sid: str) -> None:
        super().__init__("audio/pcmu", "audio/pcmu")
        self.ws = ws
        self.stream_sid = stream_sid
        self._rest = b""  # encoded audio short of a whole 20 ms frame

    async def _send(self, msg: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(msg, separators=(",", ":")))

    async def _media(self, data: bytes) -> None:
        for i in range(0, len(data), FRAME_BYTES):
            await self._send({"event": "media", "streamSid": self.stream_sid,
                              "media": {"payload": base64.b64encode(data[i:i + FRAME_BYTES]).decode()}})

    async def write_event(self, event: dict[str, Any]) -> None:
        # A phone has no use for server events; only errors are worth a log line.
        if event.get("type") == "error":
            log.info("twilio stream %s: %s", self.stream_sid, event["error"].get("message"))

    async def write_audio(self, msg: AudioOut) -> None:
        data = self._rest + self.encoder.encode(msg.audio)
        cut = len(data) - len(data) % FRAME_BYTES
        self._rest = data[cut:]
        await self._media(data[:cut])

    async def write_mark(self, name: str) -> None:
        # A piece rarely ends on a 20 ms boundary: pad its tail with silence so the
        # mark really follows all of its audio.
        if self._rest:
            await self._media(self._rest + ULAW_SILENCE * (FRAME_BYTES - len(self._rest)))
            self._rest = b""
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def clear_playback(self) -> bool:
        self._rest = b""
        await self._send({"event": "clear", "streamSid": self.stream_sid})
        return True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code)


async def _open(ws: WebSocket, params: dict[str, Any]) -> Opened:
    token = ws.query_params.get("token") or params.get("token")
    agent = ws.query_params.get("agent") or params.get("agent") or None
    token = token if isinstance(token, str) and token else None
    agent = agent if isinstance(agent, str) else None
    if not token or not token.startswith(TELEPHONY_PREFIX):
        raise Unauthorized("Use the agent's telephony token (tel_...) as ?token= or "
                           "customParameters.token; API keys are not accepted.", code="invalid_telephony_token")
    try:
        who = await telephony_principal(ctx_of(ws), agent, token)
    except Exception as exc:
        if store_error(exc):
            raise store_unavailable() from exc
        raise
    return await open_session(ws, agent=agent, who=who)


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def _wait_start(ws: WebSocket) -> dict[str, Any] | None:
    while True:
        msg = json.loads(await ws.receive_text())
        if isinstance(msg, dict) and msg.get("event") == "start":
            return msg
        if isinstance(msg, dict) and msg.get("event") == "stop":
            return None


async def twilio_websocket(ws: WebSocket) -> None:
    await ws.accept()
    try:
        start = await asyncio.wait_for(_wait_start(ws), START_TIMEOUT_S)
    except TimeoutError:
        await ws.close(1008, f"No 'start' message within {START_TIMEOUT_S:.0f} s.")
        return
    except (WebSocketDisconnect, ValueError, RuntimeError):
        return
    if start is None:
        return
    info = _obj(start.get("start"))
    params = _obj(info.get("customParameters"))
    sid = str(start.get("streamSid") or info.get("streamSid") or "")
    try:
        opened = await _open(ws, params)
    except ApiError as exc:
        log.info("twilio stream %s refused: %s", sid, exc.message)
        await ws.close(1008, exc.message[:120])
        return
    transport = TwilioTransport(ws, sid)

    async def receive(session: RealtimeSession) -> None:
        while True:
            msg = json.loads(await ws.receive_text())
            if not isinstance(msg, dict):
                continue
            event = msg.get("event")
            if event == "media":
                media = _obj(msg.get("media"))
                with contextlib.suppress(binascii.Error, ValueError, TypeError):
                    session.push_audio(transport.decode(base64.b64decode(media.get("payload", ""), validate=True)))
            elif event == "mark":
                # Our mark echoed: the call is alive and has played up to that piece.
                mark = _obj(msg.get("mark"))
                if isinstance(mark.get("name"), str):
                    session.touch()
            elif event == "stop":
                return

    await serve(opened, transport, receive)
