"""Reply text → audio in the agent's voice, piece by piece, stoppable between pieces.

Each :class:`ReplyText` is cut into sentences here (``split_sentences`` on the text as
written, so transcripts keep "7:30 PM" rather than the normalised words) and each
sentence goes through ``voices.synthesis.synthesize_stream`` (Piper, then conversion
toward a cloned voice). One :class:`ReplyAudio` per sentence, carrying that sentence's
own text, is what lets a barge-in report exactly the words that were sent: a greeting
spoken as one multi-sentence text used to be attributed wholly to its first chunk.
Every synthesis step runs in the CPU pool, so a barge-in (task cancellation) stops
synthesis after the piece in flight instead of after the whole reply.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np

from agent_server.realtime.pipeline import Frame, ReplyAudio, ReplyEnd, ReplyText, Stage

_DONE = object()
GAP_S = 0.15  # the pause synthesize_stream puts between sentences (voices.synthesis._GAP_S)


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
        from voices.text_normalize import split_sentences

        first_ms: float | None = None
        gap = np.zeros(int(GAP_S / self.speed * 24000), np.float32)
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
            for sentence in split_sentences(frame.text) or [frame.text]:
                try:
                    # Only the reply's first sentence is on the clock; later ones are
                    # made while earlier audio plays, so they need no fast start.
                    stream = synthesize_stream(sentence, self.profile, self.speed,
                                               fast_start=first_ms is None)
                except ValueError:  # nothing speakable ("...", emoji): skip the piece
                    continue
                text = sentence
                while True:
                    t0 = time.perf_counter()
                    chunk = await self.run_cpu(_next, stream)
                    if chunk is _DONE:
                        break
                    ms = (time.perf_counter() - t0) * 1000
                    if first_ms is None:
                        first_ms = ms
                    elif text:  # a pause before each later sentence, none inside one
                        chunk = np.concatenate([gap, chunk])
                    # Should synthesis cut a sentence further, the later chunks carry
                    # no text: the words are attributed to the chunk that starts them.
                    yield ReplyAudio(text, chunk, ms)
                    text = ""
