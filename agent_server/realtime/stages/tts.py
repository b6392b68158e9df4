"""Reply text → audio in the agent's voice, piece by piece, stoppable between pieces.

Each :class:`ReplyText` is cut into sentences here (``split_sentences`` on the text as
written, so transcripts keep "7:30 PM" rather than the normalised words) and all of
them are given to the :class:`TextToSpeech` engine at once
(:mod:`agent_server.realtime.engines`), so it can read the next sentence while this one
is still being made. One :class:`ReplyAudio` per sentence, carrying that sentence's own text, is
what lets a barge-in report exactly the words that were sent: a greeting spoken as one
multi-sentence text used to be attributed wholly to its first chunk. Every synthesis
step is a job of the CPU scheduler, so a barge-in (task cancellation) stops synthesis
after the piece in flight instead of after the whole reply.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

import numpy as np

from agent_server.realtime.engines import RunCpu, TextToSpeech
from agent_server.realtime.pipeline import Frame, ReplyAudio, ReplyEnd, ReplyText, Stage


class TtsStage(Stage):
    name = "tts"

    def __init__(self, engine: TextToSpeech, run_cpu: RunCpu) -> None:
        self.engine = engine
        self.run_cpu = run_cpu

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        from voices.text_normalize import split_sentences

        first_ms: float | None = None
        pause = self.engine.pause()
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
            chunks = self.engine.speak(sentences, self.run_cpu, fast_start=first_ms is None)
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
