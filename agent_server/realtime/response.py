"""One agent reply in flight: its queue of produced frames, what has been sent of it,
and when its next piece of work is due (the scheduler's deadline)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from agent_server.realtime.pipeline import Frame

PIECE_S = 0.04  # audio delta size
DEADLINE_MARGIN_S = 0.3  # about one sentence of TTS on two busy cores


@dataclass
class Piece:
    text: str
    samples: int
    sent: int = 0

    def add_sent(self, samples: int) -> None:
        self.sent += samples


@dataclass
class Response:
    id: str
    item_id: str
    queue: asyncio.Queue[Frame | None]
    user_item_id: str | None = None
    turn_id: int | None = None  # the VAD turn a speculative reply was started for
    producer: asyncio.Task[None] | None = None
    speaker: asyncio.Task[None] | None = None
    released_at: float | None = None
    created_sent: bool = False
    status: str = "in_progress"
    pieces: list[Piece] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    end_call: bool = False
    responder_state: object = None
    user_text: str | None = None
    heard: str | None = None  # the turn's transcript, once the ASR stage has it
    due: float = 0.0  # event-loop time the caller starts waiting for this reply
    produced_s: float = 0.0  # seconds of audio synthesized so far
    error: dict[str, str] | None = None  # why the pipeline raised (status "failed")

    def deadline(self) -> float:
        """When the next piece of work is needed: once the audio produced so far
        would have played out, counted from ``due``, less a margin for the work itself."""
        return self.due + self.produced_s - DEADLINE_MARGIN_S

    def sent_transcript(self) -> str:
        words: list[str] = []
        for p in self.pieces:
            if p.sent <= 0 or not p.text:
                continue
            if p.sent >= p.samples:
                words.extend(p.text.split())
            else:
                ws = p.text.split()
                words.extend(ws[: max(1, round(len(ws) * p.sent / max(1, p.samples)))])
        return " ".join(words)

    def full_transcript(self) -> str:
        return " ".join(p.text for p in self.pieces if p.text)
