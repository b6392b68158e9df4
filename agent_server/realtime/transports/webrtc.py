"""The WebRTC transport (aiortc): Opus audio on the tracks, events on ``oai-events``.

``POST /v1/realtime/calls`` takes the browser's SDP offer and answers with ours; the
session then lives on in the background until the peer connection closes or the call
is hung up. Our outgoing track is paced by aiortc itself (one 20 ms frame per ``recv``),
so a barge-in only has to empty the track's buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import time
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from agent_server.ids import new_id
from agent_server.realtime.audio import IN_RATE, OUT_RATE, to_s16
from agent_server.realtime.opening import Opened
from agent_server.realtime.outbound import AudioOut
from agent_server.realtime.session import RealtimeSession
from agent_server.realtime.transports.base import Transport
from agent_server.realtime.transports.lifecycle import new_session, serve

log = logging.getLogger("agent_server.realtime")
RTC_RATE = 48000
FRAME = 960  # 20 ms at 48 kHz


class AgentAudioTrack(MediaStreamTrack):
    """Plays whatever the session pushes; silence in between."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._buf = np.zeros(0, np.int16)
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RTC_RATE)
        self._start: float | None = None
        self._pts = 0

    def push(self, audio24k: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(to_s16(audio24k)[None, :], format="s16", layout="mono")
        frame.sample_rate = OUT_RATE
        for f in self._resampler.resample(frame):
            self._buf = np.concatenate([self._buf, f.to_ndarray().reshape(-1).astype(np.int16)])

    def clear(self) -> None:
        self._buf = np.zeros(0, np.int16)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RTC_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        samples = self._buf[:FRAME]
        self._buf = self._buf[FRAME:]
        if len(samples) < FRAME:
            samples = np.concatenate([samples, np.zeros(FRAME - len(samples), np.int16)])
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = RTC_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RTC_RATE)
        self._pts += FRAME
        return frame


class WebRTCTransport(Transport):
    """Events on the ``oai-events`` data channel (held until it opens); reply audio
    pushed into our track, which aiortc paces out itself."""

    def __init__(self, pc: RTCPeerConnection, track: AgentAudioTrack) -> None:
        super().__init__()
        self.pc = pc
        self.track = track
        self.channel: Any = None
        self._backlog: list[str] = []
        self._close: asyncio.Future[None] | None = None

    def attach(self, channel: Any) -> None:
        self.channel = channel
        for msg in self._backlog:
            channel.send(msg)
        self._backlog = []

    async def write_event(self, event: dict[str, Any]) -> None:
        msg = json.dumps(event, separators=(",", ":"))
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(msg)
        else:
            self._backlog.append(msg)

    async def write_audio(self, msg: AudioOut) -> None:
        self.track.push(msg.audio)

    async def clear_playback(self) -> bool:
        self.track.clear()
        return True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        # One close, shielded: the peer connection reports "closed" halfway through its
        # close, which ends the call and cancels the writer that may be the one closing
        # it; a close cut off there would never finish, and later ones wait for it.
        if self._close is None:
            self._close = asyncio.ensure_future(self.pc.close())
        with contextlib.suppress(Exception):
            await asyncio.shield(self._close)


class Call:
    """One WebRTC call: the peer connection and its session, run by
    :func:`..lifecycle.serve` from the answer until the peer leaves or hangs up."""

    def __init__(self, opened: Opened, pc: RTCPeerConnection, session: RealtimeSession) -> None:
        self.id = new_id("rtc")
        self.opened = opened
        self.pc = pc
        self.session = session
        self.connected = asyncio.Event()
        self.ended = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []  # the peer's audio and events, fed to the session
        self.task: asyncio.Task[None] | None = None

    async def _wait_connected(self, timeout_s: float) -> bool:
        # A peer that never connects (an offer without candidates, a browser that went
        # away) must not keep its session slot: nothing else would ever end the call.
        waits = [asyncio.ensure_future(self.connected.wait()), asyncio.ensure_future(self.ended.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if not self.connected.is_set() and not self.ended.is_set():
            log.info("call %s: no connection within %.0f s, dropped", self.id, timeout_s)
        return self.connected.is_set() and not self.ended.is_set()

    async def _until_ended(self, session: RealtimeSession) -> None:
        await self.ended.wait()

    async def run(self, timeout_s: float) -> None:
        try:
            await serve(self.opened, self.session.transport, self._until_ended,
                        accept=lambda: self._wait_connected(timeout_s), session=self.session)
        finally:
            for t in self.tasks:
                t.cancel()
            self.opened.ctx.extras.get("realtime_calls", {}).pop(self.id, None)

    async def end(self) -> None:
        """Hang up; returns once the session is closed and its slot given back."""
        self.ended.set()
        if self.task is not None and self.task is not asyncio.current_task():
            await asyncio.shield(self.task)


async def _consume(track: MediaStreamTrack, session: RealtimeSession) -> None:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=IN_RATE)
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if not isinstance(frame, av.AudioFrame):
            continue
        frame.pts = None
        for f in resampler.resample(frame):
            session.push_audio(f.to_ndarray().reshape(-1).astype(np.float32))


async def answer_call(opened: Opened, offer_sdp: str) -> tuple[Call, str]:
    """Set up the peer connection and session; return the call and our SDP answer."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = AgentAudioTrack()
    transport = WebRTCTransport(pc, track)
    session = new_session(opened, transport)
    call = Call(opened, pc, session)

    @pc.on("datachannel")
    def on_channel(channel: Any) -> None:
        if channel.label != "oai-events":
            return
        transport.attach(channel)

        @channel.on("message")
        def on_message(msg: Any) -> None:
            call.tasks.append(asyncio.ensure_future(session.handle_event(msg)))

    @pc.on("track")
    def on_track(remote: MediaStreamTrack) -> None:
        if remote.kind == "audio":
            call.tasks.append(asyncio.ensure_future(_consume(remote, session)))

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState == "connected":
            call.connected.set()
        elif pc.connectionState in ("failed", "closed"):
            call.ended.set()

    try:
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        # addTrack reuses the offer's audio transceiver (making it sendrecv).
        pc.addTrack(track)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
    except BaseException:
        await transport.close()
        raise
    opened.ctx.extras.setdefault("realtime_calls", {})[call.id] = call
    call.task = asyncio.ensure_future(call.run(opened.ctx.settings.realtime.connect_timeout_s))
    return call, pc.localDescription.sdp
