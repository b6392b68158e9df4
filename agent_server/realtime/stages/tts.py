"""Reply text → audio in the agent's voice, piece by piece, stoppable between pieces.

Each :class:`ReplyText` goes through ``voices.synthesis.synthesize_stream`` (Piper, then
conversion toward a cloned voice), which itself yields sentence/clause pieces; every
step of that generator runs in the CPU pool, so a barge-in (task cancellation) stops
synthesis after the piece in flight instead of after the whole reply.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np

from agent_server.realtime.pipeline import Frame, ReplyAudio, ReplyEnd, ReplyText, Stage

_DONE = object()


def _next(it: Iterator[np.ndarray]) -> Any:
    return next(it, _DONE)


class TtsStage(Stage):
    name = "tts"

    def __init__(self, profile: Any, run_cpu: Any, speed: float = 1.0) -> None:
        self.profile = profile
        self.run_cpu = run_cpu
        self.speed = speed

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        from voices.synthesis import synthesize_stream

        first_ms: float | None = None
        async for frame in frames:
            if isinstance(frame, ReplyEnd):
                if first_ms is not None:
                    frame.timings["tts_first_chunk_ms"] = first_ms
                first_ms = None
                yield frame
                continue
            if not isinstance(frame, ReplyText):
                yield frame
                continue
            try:
                stream = synthesize_stream(frame.text, self.profile, self.speed)
            except ValueError:  # nothing speakable ("...", emoji): skip the piece
                continue
            text = frame.text
            while True:
                t0 = time.perf_counter()
                chunk = await self.run_cpu(_next, stream)
                if chunk is _DONE:
                    break
                ms = (time.perf_counter() - t0) * 1000
                if first_ms is None:
                    first_ms = ms
                # Later pieces of the same text carry no text: the transcript is
                # attributed to the piece that starts it.
                yield ReplyAudio(text, chunk, ms)
                text = ""
