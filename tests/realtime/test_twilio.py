"""Twilio Media Streams end to end: a client that speaks Twilio's side of the protocol
(``connected``, ``start``, 20 ms μ-law ``media``, ``mark`` echoes, ``stop``) calls the
live server with Piper speech and checks what a phone would get back."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import websockets

from tests.realtime.conftest import LiveServer
from tests.realtime.helpers import ulaw_decode, ulaw_encode

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz, one byte per μ-law sample


class Phone:
    """Twilio's end of a Media Stream: sends the caller's audio, records ours, and
    echoes every mark at once (Twilio echoes a mark when the audio before it has played)."""

    def __init__(self, ws: Any, sid: str = "MZ00000000000000000000000000000001") -> None:
        self.ws = ws
        self.sid = sid
        self.messages: list[dict[str, Any]] = []
        self.frames: list[bytes] = []
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._seq = 0
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def dial(cls, url: str, **params: str) -> Phone:
        phone = cls(await websockets.connect(url, max_size=None))
        await phone._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await phone._send({"event": "start", "streamSid": phone.sid, "start": {
            "streamSid": phone.sid, "accountSid": "AC0", "callSid": "CA0", "tracks": ["inbound"],
            "customParameters": params,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE, "channels": 1}}})
        return phone

    async def _send(self, msg: dict[str, Any]) -> None:
        self._seq += 1
        await self.ws.send(json.dumps({"sequenceNumber": str(self._seq), **msg}))

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self.messages.append(msg)
                if msg["event"] == "media":
                    self.frames.append(base64.b64decode(msg["media"]["payload"]))
                elif msg["event"] == "mark":
                    await self._send({"event": "mark", "streamSid": self.sid, "mark": msg["mark"]})
                await self._queue.put(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            await self._queue.put(None)

    async def next(self, timeout: float = 60) -> dict[str, Any] | None:
        return await asyncio.wait_for(self._queue.get(), timeout)

    async def until(self, event: str, timeout: float = 60) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            msg = await self.next(max(0.1, end - loop.time()))
            assert msg is not None, f"stream closed before {event!r}"
            if msg["event"] == event:
                return msg

    async def listen(self, quiet: float = 0.8, timeout: float = 60) -> np.ndarray:
        """Our audio from the next media frame until the line goes quiet."""
        await self.until("media", timeout)
        first = len(self.frames) - 1
        while True:
            try:
                msg = await self.next(quiet)
            except TimeoutError:
                break
            if msg is None:
                break
        return ulaw_decode(b"".join(self.frames[first:]))

    async def say(self, audio: np.ndarray) -> None:
        data = ulaw_encode(audio)
        for i in range(0, len(data), FRAME):
            await self._send({"event": "media", "streamSid": self.sid, "media": {
                "track": "inbound", "chunk": str(i // FRAME + 1), "timestamp": str(i // 8),
                "payload": base64.b64encode(data[i:i + FRAME]).decode()}})

    async def hang_up(self) -> None:
        await self._send({"event": "stop", "streamSid": self.sid, "stop": {"accountSid": "AC0", "callSid": "CA0"}})
        await asyncio.wait_for(self.ws.wait_closed(), 15)
        await self._reader


def transcribe(audio8k: np.ndarray) -> str:
    from voices.audio_io import resample
    from voices.models import whisper

    segments, _ = whisper().transcribe(resample(audio8k, RATE, 16000), language="en", beam_size=1)
    return " ".join(s.text for s in segments).lower()


def is_hours_answer(heard: str) -> bool:
    """The caller heard "We are open from noon to ten every day.": judged on several words,
    since tiny.en on 8 kHz μ-law sometimes hears one of them wrong ("moon", "10")."""
    return sum(w in heard for w in ("open", "noon", "ten", "10", "every", "day")) >= 3


def _url(srv: LiveServer, **query: str) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{srv.ws_url}/v1/telephony/twilio" + (f"?{qs}" if qs else "")


def _token(srv: LiveServer, agent: str) -> str:
    with srv.client() as c:
        token = c.get(f"/v1/agents/{agent}").json()["telephony_token"]
    assert token.startswith("tel_")
    return str(token)


async def test_phone_call_with_telephony_token(rt_server: LiveServer, agent_id: str,
                                               speech: Callable[..., np.ndarray]) -> None:
    phone = await Phone.dial(_url(rt_server), token=_token(rt_server, agent_id), agent=agent_id)
    greeting = await phone.listen()
    assert sum(w in transcribe(greeting) for w in ("hello", "thanks", "calling")) >= 2
    assert phone.frames and all(len(f) == FRAME for f in phone.frames)  # 20 ms μ-law frames
    media = [m for m in phone.messages if m["event"] in ("media", "mark")]
    assert all(m["streamSid"] == phone.sid for m in media)
    # A mark follows the greeting's audio, so Twilio can say when it has been heard.
    assert media[-1]["event"] == "mark"

    await phone.say(np.concatenate([speech("When are you open?", RATE), np.zeros(RATE, np.float32)]))
    answer = await phone.listen()
    assert is_hours_answer(transcribe(answer))
    assert all(len(f) == FRAME for f in phone.frames)
    await phone.hang_up()


async def test_phone_barge_in_clears_twilio_buffer(rt_server: LiveServer, chatty_agent: str,
                                                   speech: Callable[..., np.ndarray]) -> None:
    phone = await Phone.dial(_url(rt_server, agent=chatty_agent, token=_token(rt_server, chatty_agent)))
    await phone.until("media")
    await phone.say(np.concatenate([speech("When are you open?", RATE), np.zeros(RATE, np.float32)]))
    await phone.until("clear", 30)
    heard_greeting = sum(len(f) for f in phone.frames) / RATE
    assert heard_greeting < 8.0  # the full greeting is ~12 s: it was cut short
    assert is_hours_answer(transcribe(await phone.listen()))  # and the question was answered
    await phone.hang_up()


async def _refused(url: str, **params: str) -> tuple[int | None, str]:
    phone = await Phone.dial(url, **params)
    await asyncio.wait_for(phone.ws.wait_closed(), 15)
    await phone._reader
    assert not phone.frames
    return phone.ws.close_code, phone.ws.close_reason


async def test_telephony_token_auth_and_rotation(rt_server: LiveServer, agent_id: str, chatty_agent: str) -> None:
    old = _token(rt_server, agent_id)
    assert old != _token(rt_server, chatty_agent)
    code, reason = await _refused(_url(rt_server, agent=agent_id), token="tel_wrong")
    assert code == 1008 and "telephony token" in reason
    code, _ = await _refused(_url(rt_server, agent=chatty_agent), token=old)  # another agent's token
    assert code == 1008
    code, reason = await _refused(_url(rt_server, agent=agent_id))
    assert code == 1008 and "telephony token" in reason
    # Only the telephony token: a full API key in the URL would end up in logs.
    code, reason = await _refused(_url(rt_server, agent=agent_id, token=rt_server.api_key))
    assert code == 1008 and "API keys are not accepted" in reason
    code, reason = await _refused(_url(rt_server), token=old)
    assert code == 1008 and "Name the agent" in reason

    with rt_server.client() as c:
        r = c.patch(f"/v1/agents/{agent_id}", json={"telephony_token": "tel_mine"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "telephony_token"
        r = c.patch(f"/v1/agents/{agent_id}", json={"telephony_token": "rotate"})
        assert r.status_code == 200
    new = r.json()["telephony_token"]
    assert new.startswith("tel_") and new != old
    code, _ = await _refused(_url(rt_server, agent=agent_id, token=old))
    assert code == 1008
    phone = await Phone.dial(_url(rt_server, agent=agent_id, token=new))
    await phone.until("media")
    await phone.hang_up()


async def test_socket_without_start_is_closed(rt_server: LiveServer) -> None:
    """An unauthenticated socket can't linger: no valid `start` within 5 s, it is closed."""
    async with websockets.connect(_url(rt_server)) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await asyncio.wait_for(ws.wait_closed(), 30)
    assert ws.close_code == 1008 and "start" in ws.close_reason
