"""Silero VAD endpointing, with an early "pause" signal for speculative replies.

Silero scores 512-sample chunks (32 ms at 16 kHz). The state machine follows silero's
own ``VADIterator``: speech starts once ``start_chunks`` chunks score at or above the
threshold, and a silence timer runs while the score stays below ``threshold - 0.15``
(the hysteresis silero recommends), reset by any chunk at or above the threshold.

Besides the turn end (the timer reaches ``silence_duration_ms``), the detector reports a
:class:`SpeechPaused` once the timer reaches ``speculate_ms``: the session starts
transcribing and answering then, and only releases the answer if the silence lasts. That
hides ASR, responder and first-sentence TTS inside the silence wait the user expects
anyway; speech resuming (:class:`SpeechResumed`) throws the speculative work away.

Silero is stateful per stream, so each session borrows an instance from a small pool
(reset on return) instead of loading its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 16000
CHUNK = 512
_CHUNK_MS = CHUNK * 1000 / RATE
# Cap on one user turn: whisper's window is 30 s; longer monologues are cut into turns.
MAX_TURN_S = 28.0


class VadPool:
    """Silero instances shared across sessions; at most ``keep`` idle ones are kept."""

    def __init__(self, keep: int = 16) -> None:
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self.keep = keep

    def acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        from voices.models import new_silero_vad

        return new_silero_vad()

    def release(self, model: Any) -> None:
        model.reset_states()
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(model)


@dataclass
class SpeechStarted:
    audio_start_ms: int


@dataclass
class SpeechPaused:
    turn_id: int
    audio: np.ndarray


@dataclass
class SpeechResumed:
    turn_id: int


@dataclass
class SpeechStopped:
    turn_id: int
    audio_end_ms: int
    audio: np.ndarray


VadEvent = SpeechStarted | SpeechPaused | SpeechResumed | SpeechStopped


class VadDetector:
    """Feed 16 kHz audio of any length; get the turn events it completes (blocking:
    run it in an executor)."""

    def __init__(self, model: Any, threshold: float = 0.5, silence_ms: int = 500,
                 prefix_padding_ms: int = 300, speculate_ms: int = 200, start_chunks: int = 2) -> None:
        import torch

        self._torch = torch
        self.model = model
        self.configure(threshold, silence_ms, prefix_padding_ms, speculate_ms)
        self.start_chunks = start_chunks
        self._pending = np.zeros(0, np.float32)
        self._history: list[np.ndarray] = []  # recent chunks, for prefix padding
        self._turn: list[np.ndarray] = []
        self.pos = 0  # samples consumed
        self.speaking = False
        self._run = 0
        self._silence_since: int | None = None
        self._paused = False
        self._pause_len = 0
        self.turn_id = 0

    def configure(self, threshold: float, silence_ms: int, prefix_padding_ms: int,
                  speculate_ms: int = 200) -> None:
        self.threshold = threshold
        self.silence = int(silence_ms * RATE / 1000)
        self.prefix = int(prefix_padding_ms * RATE / 1000)
        self.speculate = int(min(speculate_ms, max(silence_ms - 100, 50)) * RATE / 1000)

    def reset_turn(self) -> None:
        """``input_audio_buffer.clear``: forget the turn in progress."""
        self._turn = []
        self.speaking = False
        self._run = 0
        self._silence_since = None
        self._paused = False

    def take_turn(self) -> np.ndarray:
        """``input_audio_buffer.commit`` with VAD on: close the turn in progress by hand."""
        audio = np.concatenate([*self._turn, self._pending]) if (self._turn or self._pending.size) else (
            np.zeros(0, np.float32))
        self._history = []
        self._pending = np.zeros(0, np.float32)
        self.reset_turn()
        return audio

    @property
    def quiet_ms(self) -> float:
        """How long the turn in progress has been silent (0 while speech goes on)."""
        if not self.speaking or self._silence_since is None:
            return 0.0
        return (self.pos - self._silence_since) * 1000 / RATE

    def end_turn(self, turn_id: int) -> SpeechStopped | None:
        """Close turn ``turn_id`` now, before the full silence (:mod:`..endpointing`),
        if it is the turn in progress and is paused; its audio is what the pause's
        speculative reply heard."""
        if not (self.speaking and self._paused and self.turn_id == turn_id):
            return None
        ev = SpeechStopped(self.turn_id, int(self.pos * 1000 / RATE), self._audio())
        self._history = []
        self.reset_turn()
        return ev

    def _prob(self, chunk: np.ndarray) -> float:
        with self._torch.no_grad():
            return float(self.model(self._torch.from_numpy(chunk), RATE).item())

    def feed(self, audio: np.ndarray) -> list[VadEvent]:
        events: list[VadEvent] = []
        buf = np.concatenate([self._pending, audio.astype(np.float32, copy=False)])
        n = len(buf) // CHUNK
        for i in range(n):
            events.extend(self._step(buf[i * CHUNK:(i + 1) * CHUNK]))
        self._pending = buf[n * CHUNK:]
        return events

    def _step(self, chunk: np.ndarray) -> list[VadEvent]:
        p = self._prob(chunk)
        self.pos += CHUNK
        out: list[VadEvent] = []
        if not self.speaking:
            self._history.append(chunk)
            keep = max(1, self.prefix // CHUNK + self.start_chunks + 1)
            del self._history[:-keep]
            self._run = self._run + 1 if p >= self.threshold else 0
            if self._run >= self.start_chunks:
                self.speaking = True
                self.turn_id += 1
                self._turn = list(self._history)
                self._silence_since = None
                self._paused = False
                start = self.pos - self._run * CHUNK
                out.append(SpeechStarted(int(max(0, start - self.prefix) * 1000 / RATE)))
            return out
        self._turn.append(chunk)
        if p >= self.threshold:
            self._silence_since = None
            if self._paused:
                self._paused = False
                out.append(SpeechResumed(self.turn_id))
        elif p < self.threshold - 0.15 and self._silence_since is None:
            self._silence_since = self.pos - CHUNK
        quiet = self.pos - self._silence_since if self._silence_since is not None else 0
        too_long = len(self._turn) * CHUNK >= MAX_TURN_S * RATE
        if self._silence_since is not None and quiet >= self.speculate and not self._paused:
            self._paused = True
            self._pause_len = len(self._turn)
            out.append(SpeechPaused(self.turn_id, self._audio()))
        if (self._silence_since is not None and quiet >= self.silence) or too_long:
            audio = self._audio()
            out.append(SpeechStopped(self.turn_id, int(self.pos * 1000 / RATE), audio))
            self._history = []
            self.reset_turn()
        return out

    def _audio(self) -> np.ndarray:
        """The turn so far. Trailing silence past the pause point is left out, so the
        audio a speculative reply heard is exactly the audio the committed turn has."""
        if self._paused:
            return np.concatenate(self._turn[: self._pause_len])
        return np.concatenate(self._turn)
