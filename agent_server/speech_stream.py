"""Speech synthesis as scheduler jobs: the server's way of running ``voices.synthesis``.

:func:`voices.synthesis.synthesize_stream` is one blocking generator. Here each of its
steps is a job of the CPU scheduler (:mod:`agent_server.cpu`): Piper reading a piece,
converting it (half by half for a fast start), and Piper reading the next piece as a
job of its own beside that conversion (ONNX Runtime releases the GIL, WORLD does not,
so on two cores the two overlap). The read-ahead spans the sentences of everything
given at once, and every thread the server uses for speech is one the scheduler
admitted, at the deadline the caller's runner gives each job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from agent_server.cpu import CpuScheduler, Due
from voices import synthesis

if TYPE_CHECKING:
    from voices.synthesis import ClonedVoice

RunCpu = Callable[..., Awaitable[Any]]
_DONE = object()


def _next(it: Iterator[np.ndarray]) -> Any:
    return next(it, _DONE)


def plan(texts: list[str], speed: float = 1.0) -> list[tuple[int, str]]:
    """The pieces to read, each with the index of the text it comes from; texts with
    nothing speakable ("...", an emoji) are left out. Raises ``ValueError`` for a bad
    speed."""
    synthesis.validate_speed(speed)
    pieces: list[tuple[int, str]] = []
    for i, text in enumerate(texts):
        try:
            pieces.extend((i, p) for p in synthesis.plan(text, speed))
        except ValueError:
            continue
    return pieces


async def speak(pieces: list[tuple[int, str]], voice: ClonedVoice | None, speed: float, run: RunCpu,
                *, fast_start: bool = True) -> AsyncGenerator[tuple[int, np.ndarray], None]:
    """Yield ``(text index, float32 chunk at 24 kHz)`` for :func:`plan`'s pieces, the
    same audio ``synthesize_stream`` makes of them; a pause leads the first chunk of
    every piece that starts a new text or sentence. Each step is ``await run(fn,
    *args)``; closing the iterator (or cancelling its consumer) drops the read-ahead."""
    pause = synthesis.gap(speed)

    def read(i: int) -> asyncio.Future[tuple[np.ndarray, np.ndarray]]:
        return asyncio.ensure_future(run(synthesis.read, pieces[i][1], voice, speed))

    reading: asyncio.Future[tuple[np.ndarray, np.ndarray]] | None = read(0) if pieces else None
    try:
        for i, (owner, _) in enumerate(pieces):
            assert reading is not None
            audio, labels = await reading
            reading = None
            prev = pieces[i - 1] if i else None
            lead = prev is not None and (prev[0] != owner or prev[1][-1] in ".!?")
            parts = synthesis.voiced(audio, labels, voice, split=fast_start and i == 0)
            while (part := await run(_next, parts)) is not _DONE:
                yield owner, (np.concatenate([pause, part]) if lead else part)
                lead = False
                if reading is None and i + 1 < len(pieces):
                    # Only once this piece's first audio is out, so the first byte never
                    # waits behind the next piece's Piper run.
                    reading = read(i + 1)
            if reading is None and i + 1 < len(pieces):  # an empty piece yields nothing
                reading = read(i + 1)
    finally:
        if reading is not None:
            reading.cancel()


class SpeechClock:
    """Deadlines of one HTTP speech stream's jobs (the speech classes of :class:`Due`):
    the first chunk is due shortly after the request; later ones when the audio
    already sent would have played out, with the grace an HTTP client's buffer gives."""

    def __init__(self, sched: CpuScheduler, tenant: str | None = None, asked: float | None = None) -> None:
        self.sched = sched
        self.tenant = tenant
        self.asked = sched.now() if asked is None else asked  # a wait in the tenant's queue counts
        self.first_at: float | None = None
        self.sent_s = 0.0

    def sent(self, chunk: np.ndarray) -> None:
        if self.first_at is None:
            self.first_at = self.sched.now()
        self.sent_s += len(chunk) / synthesis.OUTPUT_RATE

    def deadline(self) -> float:
        if self.first_at is None:
            return self.asked + Due.SPEECH_FIRST_S
        return self.first_at + self.sent_s + Due.SPEECH_GRACE_S

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.sched.run(self.deadline(), "tts", fn, *args, tenant=self.tenant)
