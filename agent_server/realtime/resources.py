"""What all realtime sessions of one server share: the speech engines, the VAD pool,
the server's CPU scheduler, and the session count behind the configured limit.

VAD steps (1 ms per 32 ms chunk) are the scheduler's light jobs, with a thread of their
own beside the model jobs: queued behind a 100 ms ASR call they would delay barge-in
detection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from agent_server.context import ServerContext
from agent_server.cpu import CpuScheduler
from agent_server.realtime import engines
from agent_server.realtime.endpointing import TurnEndPredictor
from agent_server.realtime.engines import SpeechToText, TextToSpeech
from agent_server.realtime.stages.vad import VadPool

T = TypeVar("T")


class SessionLimit(Exception):
    pass


class SessionResources(Protocol):
    """What one session uses of the server's shared parts."""

    sched: CpuScheduler
    vad_pool: VadPool
    idle_timeout_s: float
    turn_end: TurnEndPredictor | None  # None: every turn waits out the full silence

    @property
    def stt(self) -> SpeechToText: ...

    def tts_for(self, profile: Any) -> TextToSpeech: ...

    async def run_vad(self, fn: Callable[..., T], *args: Any) -> T: ...


class RealtimeResources:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.vad_pool = VadPool()
        # Realtime model work enters the server's one pool here, earliest deadline first.
        self.sched = ctx.sched
        self._stt: SpeechToText | None = None
        self._stt_lock = asyncio.Lock()
        self._count = 0
        self._count_lock = threading.Lock()
        self.limit = ctx.settings.limits.max_realtime_sessions
        # A session with no client event and no audio packet for this long is ended:
        # a vanished WebSocket peer or a data-channel-only WebRTC client must not hold
        # one of the limited session slots forever. Browsers and Twilio send audio
        # frames continuously (silence included), so live calls never reach it.
        self.idle_timeout_s = ctx.settings.realtime.idle_timeout_s
        rt = ctx.settings.realtime
        self.turn_end = TurnEndPredictor(rt.early_turn_end_silence_ms) if rt.early_turn_end else None

    @property
    def stt(self) -> SpeechToText:
        assert self._stt is not None, "call ensure_stt() first"
        return self._stt

    async def ensure_stt(self) -> SpeechToText:
        if self._stt is None:
            async with self._stt_lock:
                if self._stt is None:
                    s = self.ctx.settings
                    self._stt = await self.ctx.run_cpu(engines.load_stt, s.realtime.stt_engine, s.models)
        return self._stt

    def tts_for(self, profile: Any) -> TextToSpeech:
        return engines.tts_for(self.ctx.settings.realtime.tts_engine, profile)

    async def run_vad(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.sched.run(self.sched.now(), "vad", fn, *args)

    def acquire_slot(self) -> None:
        with self._count_lock:
            if self._count >= self.limit:
                raise SessionLimit(f"This server is at its limit of {self.limit} concurrent realtime sessions; "
                                   "try again shortly.")
            self._count += 1
            self.ctx.metrics.realtime_sessions.set(self._count)

    def release_slot(self) -> None:
        with self._count_lock:
            self._count = max(0, self._count - 1)
            self.ctx.metrics.realtime_sessions.set(self._count)

    @property
    def active(self) -> int:
        return self._count



def resources(ctx: ServerContext) -> RealtimeResources:
    res = ctx.extras.get("realtime")
    if res is None:
        res = RealtimeResources(ctx)
        ctx.extras["realtime"] = res
    return res
