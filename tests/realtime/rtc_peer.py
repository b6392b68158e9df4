"""An aiortc peer for the tests: a microphone track that plays given speech (silence
otherwise, 20 ms frames at real time like a browser), the agent's track recorded with
arrival times, and the `oai-events` channel collected."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from typing import Any

import av
import httpx
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

RATE = 48000
FRAME = 960


class Mic(MediaStreamTrack):
    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._buf = np.zeros(0, np.int16)
        self._start: float | None = None
        self._pts = 0

    def say(self, audio48k: np.ndarray) -> None:
        self._buf = np.concatenate([self._buf, (np.clip(audio48k, -1, 1) * 32767).astype(np.int16)])

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        samples, self._buf = self._buf[:FRAME], self._buf[FRAME:]
        samples = np.concatenate([samples, np.zeros(FRAME - len(samples), np.int16)])
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


class Peer:
    def __init__(self, with_mic: bool = True) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = self.pc.createDataChannel("oai-events")
        self.mic = Mic() if with_mic else None
        if self.mic is not None:
            self.pc.addTrack(self.mic)
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.events: list[dict[str, Any]] = []
        self.heard: list[tuple[float, float]] = []  # (arrival time, peak |s16|) per frame
        self.closed = asyncio.Event()
        self._new = asyncio.Event()
        self._tasks: list[asyncio.Future[Any]] = []
        self.call_id = ""

        @self.channel.on("message")
        def on_message(msg: str) -> None:
            ev = json.loads(msg)
            ev["_t"] = time.monotonic()
            self.events.append(ev)
            self._new.set()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._listen(track)))

        @self.pc.on("connectionstatechange")
        def on_state() -> None:
            if self.pc.connectionState in ("closed", "failed"):
                self.closed.set()

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.heard.append((time.monotonic(), float(np.abs(frame.to_ndarray()).max())))

    async def call(self, base_url: str, agent: str, key: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{base_url}/v1/realtime/calls", params={"agent": agent},
                                content=self.pc.localDescription.sdp,
                                headers={"authorization": f"Bearer {key}", "content-type": "application/sdp"})
        assert r.status_code == 201, r.text
        self.call_id = r.headers["location"].rsplit("/", 1)[-1]
        await self.pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))

    async def until(self, type_: str, timeout: float = 60, after: int = 0, **match: Any) -> dict[str, Any]:
        """The first event of ``type_`` at index ``after`` or later whose fields match
        (for ``response.done``, the fields of its ``response``)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for ev in self.events[after:]:
                fields = ev.get("response", ev) if type_ == "response.done" else ev
                if ev["type"] == type_ and all(fields.get(k) == v for k, v in match.items()):
                    return ev
            self._new.clear()
            await asyncio.wait_for(self._new.wait(), max(0.05, end - loop.time()))

    def send(self, type_: str, **fields: Any) -> None:
        self.channel.send(json.dumps({"type": type_, **fields}))

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.pc.close()
