"""A minimal realtime client over plain websockets, for the tests."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import numpy as np
import websockets


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, url: str, key: str, **kw: Any) -> Client:
        ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {key}"},
                                      max_size=None, **kw)
        return cls(ws)

    async def send(self, type_: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"type": type_, **fields}))

    async def recv(self, timeout: float = 60) -> dict[str, Any]:
        ev = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.events.append(ev)
        return ev

    async def until(self, type_: str, timeout: float = 60) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            ev = await self.recv(max(0.1, end - loop.time()))
            if ev["type"] == type_:
                return ev

    def audio(self, response_id: str | None = None) -> bytes:
        return b"".join(base64.b64decode(e["delta"]) for e in self.events
                        if e["type"] == "response.output_audio.delta"
                        and (response_id is None or e["response_id"] == response_id))

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    async def stream(self, audio: np.ndarray, rate: int = 24000, frame_ms: int = 20, realtime: bool = True,
                     encode: Any = None) -> None:
        """Send audio in 20 ms appends; ``realtime`` paces them like a microphone."""
        step = rate * frame_ms // 1000
        for i in range(0, len(audio), step):
            chunk = audio[i:i + step]
            data = encode(chunk) if encode else (np.clip(chunk, -1, 1) * 32767).astype("<i2").tobytes()
            await self.send("input_audio_buffer.append", audio=base64.b64encode(data).decode())
            if realtime:
                await asyncio.sleep(frame_ms / 1000)

    async def close(self) -> None:
        await self.ws.close()


def silence(seconds: float, rate: int = 24000) -> np.ndarray:
    return np.zeros(int(seconds * rate), np.float32)


def ulaw_encode(x: np.ndarray) -> bytes:
    """G.711 μ-law on 14-bit samples (the reference ``linear2ulaw`` form), written out
    here rather than taken from the server so the tests check its codec against the
    standard."""
    s = np.clip(np.round(np.asarray(x, np.float64) * 32767), -32768, 32767).astype(np.int32) >> 2
    mag = np.minimum(np.abs(s), 8159) + 0x21
    seg = np.maximum(np.floor(np.log2(mag)).astype(np.int32) - 5, 0)
    code = np.where(seg > 7, 0x7F, (np.minimum(seg, 7) << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0x0F))
    return (np.where(s < 0, code ^ 0x7F, code ^ 0xFF) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    """G.711 μ-law bytes → float32 in [-1, 1]."""
    b = ~np.frombuffer(data, np.uint8).astype(np.int32) & 0xFF
    exponent = (b >> 4) & 0x07
    mag = (((b & 0x0F) << 3) + 0x84 << exponent) - 0x84
    return (np.where(b & 0x80, -mag, mag) / 32768.0).astype(np.float32)
