"""Frames and stages: the shape of the realtime path.

Audio enters through a transport and runs through the VAD (:mod:`.stages.vad`) chunk by
chunk; when the VAD closes (or is about to close) a user turn, the turn is pushed
through a reply :class:`Pipeline` — ASR → responder → TTS — whose output frames the
session speaks back through the transport.

Every stage is an async generator transform (frames in, frames out, one way), so a
stage can emit many frames per input (the responder's sentences) and the pipeline is
just their composition. Cancellation is the pipeline's interruption mechanism: the
task that consumes a pipeline is cancelled on barge-in, ``CancelledError`` unwinds
through every stage's ``finally`` at its current ``await``, and blocking work
submitted to the CPU pool is abandoned at the next step boundary (one TTS sentence
piece at most). A new ASR or TTS engine is one new stage; nothing else changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

import numpy as np


class Frame:
    """Base of everything that flows through a pipeline."""


@dataclass
class UserAudio(Frame):
    """A closed user turn, float32 mono 16 kHz."""

    audio: np.ndarray


@dataclass
class UserText(Frame):
    """A user turn that arrived as text (``conversation.item.create``) or was transcribed."""

    text: str


@dataclass
class Transcript(Frame):
    text: str
    asr_ms: float = 0.0


@dataclass
class ReplyText(Frame):
    """One speakable piece of the reply (a sentence or a clause)."""

    text: str


@dataclass
class ReplyAudio(Frame):
    """The audio of one :class:`ReplyText`, float32 mono 24 kHz."""

    text: str
    audio: np.ndarray
    synth_ms: float = 0.0


@dataclass
class ReplyEnd(Frame):
    """The reply is complete; ``end_call``: hang up once it has been heard."""

    end_call: bool = False
    timings: dict[str, float] = field(default_factory=dict)


class Stage(ABC):
    """One processing step. Frames it doesn't handle must be passed on unchanged."""

    name = "stage"

    @abstractmethod
    def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        """Consume upstream frames, yield downstream frames."""


async def _source(frames: Iterable[Frame]) -> AsyncIterator[Frame]:
    for frame in frames:
        yield frame


class Pipeline:
    """Stages composed in order; :meth:`run` yields what the last stage emits."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def run(self, *frames: Frame) -> AsyncIterator[Frame]:
        stream: AsyncIterator[Frame] = _source(frames)
        for stage in self.stages:
            stream = stage.process(stream)
        return stream
