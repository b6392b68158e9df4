"""The speech engines a session speaks through: :class:`SpeechToText` for the user's
turns, :class:`TextToSpeech` for the agent's replies, each chosen by name in
``[realtime]`` (``stt_engine``, ``tts_engine``).

A new engine is one new module here with a factory, and its name in :data:`STT_ENGINES`
or :data:`TTS_ENGINES`; the stages (:mod:`..stages.asr`, :mod:`..stages.tts`), the
scheduler and the session take any engine that keeps the protocol. Engines do their
blocking work only inside the callables they hand to ``run`` (the CPU scheduler), so
every model step is admitted and stoppable between steps.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol

import numpy as np

from agent_server.config import ModelSettings, RealtimeSettings

RunCpu = Callable[..., Awaitable[Any]]


class SpeechToText(Protocol):
    def transcribe(self, audio: np.ndarray) -> str:
        """Blocking (run it as a scheduler job): float32 mono 16 kHz in, the words
        out ('' when there are none)."""
        ...


class TextToSpeech(Protocol):
    def pause(self) -> np.ndarray:
        """The silence put between two reply pieces, float32 mono 24 kHz."""
        ...

    def speak(self, texts: list[str], run: RunCpu, *, fast_start: bool) -> AsyncGenerator[tuple[int, np.ndarray], None]:
        """``(index into texts, float32 mono 24 kHz chunk)`` in order, each blocking
        step through ``run``; ``fast_start``: cut the first chunk short, for a reply
        someone is waiting on. Closing the iterator drops the work ahead."""
        ...


# name -> "module:factory". STT factories take the model settings and may block (they
# load a model); TTS factories take the agent's voice profile and are cheap.
STT_ENGINES = {"whisper": "agent_server.realtime.engines.whisper:load"}
TTS_ENGINES = {"voices": "agent_server.realtime.engines.voices_tts:for_voice"}


def check(settings: RealtimeSettings) -> None:
    """Refuse unknown engine names when the server starts, not at the first call."""
    for kind, name, table in (("stt_engine", settings.stt_engine, STT_ENGINES),
                              ("tts_engine", settings.tts_engine, TTS_ENGINES)):
        if name not in table:
            raise ValueError(f"[realtime] {kind} = {name!r} is not an engine; choose one of {sorted(table)}")


def _factory(table: dict[str, str], name: str) -> Callable[..., Any]:
    module, attr = table[name].split(":")
    factory: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return factory


def load_stt(name: str, models: ModelSettings) -> SpeechToText:
    """Blocking: the named speech-to-text engine, loaded once per process."""
    engine: SpeechToText = _factory(STT_ENGINES, name)(models)
    return engine


def tts_for(name: str, profile: Any) -> TextToSpeech:
    """The named text-to-speech engine speaking with ``profile`` (None: the base voice)."""
    engine: TextToSpeech = _factory(TTS_ENGINES, name)(profile)
    return engine
