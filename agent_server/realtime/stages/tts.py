"""Reply text → audio in the agent's voice, piece by piece, stoppable between pieces.

Each :class:`ReplyText` is cut into sentences here (``split_sentences`` on the text as
written, so transcripts keep "7:30 PM" rather than the normalised words) and all of
them are spoken in one :func:`agent_server.speech_stream.speak` (Piper, then
conversion toward a cloned voice), so Piper reads the next sentence while this one is
converted. One :class:`ReplyAudio` per sentence, carrying that sentence's own text, is
what lets a barge-in report exactly the words that were sent: a greeting spoken as one
multi-sentence text used to be attributed wholly to its first chunk. Every synthesis
step is a job of the CPU scheduler, so a barge-in (task cancellation) stops synthesis
after the piece in flight instead of after the whole reply.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from agent_server.realtime.pipeline import Frame, ReplyAudio, ReplyEnd, ReplyText, Stage
from agent_server.speech_stream import plan, speak
from voices.synthesis import gap


class TtsStage(Stage):
    name = "tts"

    def __init__(self, profile: Any, run_cpu: Any, speed: float = 1.0) -> None:
        self.profile = profile
        self.run_cpu = run_cpu
        self.speed = speed

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        from voices.text_normalize import split_sentences

        first_ms: float | None = None
        pause = gap(self.speed)
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
            sentences = split_sentences(frame.text) or [frame.text]
            # Only the reply's first piece is on the clock; later ones are made while
            # earlier audio plays, so they need no fast start.
            chunks = speak(plan(sentences, self.speed), self.profile, self.speed, self.run_cpu,
                           fast_start=first_ms is None)
            said: set[int] = set()
            async with contextlib.aclosing(chunks):
                t0 = time.perf_counter()
                async for owner, chunk in chunks:
                    ms = (time.perf_counter() - t0) * 1000
                    text = "" if owner in said else sentences[owner]
                    if first_ms is None:
                        first_ms = ms
                    elif not said:
                        # A pause before each later ReplyText (speak puts those inside one).
                        chunk = np.concatenate([pause, chunk])
                    said.add(owner)
                    # Should synthesis cut a sentence further, the later chunks carry
                    # no text: the words are attributed to the chunk that starts them.
                    yield ReplyAudio(text, chunk, ms)
                    t0 = time.perf_counter()
