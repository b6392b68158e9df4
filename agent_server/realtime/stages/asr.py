"""User turn audio → its transcript, with whichever :class:`SpeechToText` engine the
server runs (:mod:`agent_server.realtime.engines`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from agent_server.realtime.engines import RunCpu, SpeechToText
from agent_server.realtime.pipeline import Frame, Stage, Transcript, UserAudio


class AsrStage(Stage):
    """:class:`UserAudio` → :class:`Transcript`; everything else passes through."""

    name = "asr"

    def __init__(self, engine: SpeechToText, run_cpu: RunCpu) -> None:
        self.engine = engine
        self.run_cpu = run_cpu

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        async for frame in frames:
            if isinstance(frame, UserAudio):
                t0 = time.perf_counter()
                text = await self.run_cpu(self.engine.transcribe, frame.audio)
                yield Transcript(text, (time.perf_counter() - t0) * 1000)
            else:
                yield frame
