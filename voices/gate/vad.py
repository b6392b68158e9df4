"""Where the speech is: silero-vad segments, the trimmed span and the pauses inside it."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE
from voices.models import silero_vad

# The shared silero model keeps recurrent state between chunks, so two gate calls from
# different executor threads must not interleave on it.
_lock = threading.Lock()


@dataclass(frozen=True)
class SpeechMeasurement:
    segments: list[tuple[float, float]]  # seconds, in clip time
    speech_s: float
    start_s: float
    end_s: float
    longest_silence_s: float

    @property
    def span_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


def measure(x16: np.ndarray) -> SpeechMeasurement:
    """Speech segments at 16 kHz.

    silero's defaults (threshold 0.5) are kept; pauses shorter than 250 ms are merged so
    that `longest_silence_s` means a pause a listener notices, not a stop consonant, and
    250 ms minimum speech drops clicks and breaths that would stretch the span.
    """
    import torch
    from silero_vad import get_speech_timestamps

    if len(x16) < ANALYSIS_RATE // 10:
        return SpeechMeasurement([], 0.0, 0.0, 0.0, 0.0)
    with _lock, torch.inference_mode():
        stamps = get_speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(x16, dtype=np.float32)), silero_vad(),
            sampling_rate=ANALYSIS_RATE, threshold=0.5, min_speech_duration_ms=250,
            min_silence_duration_ms=250, speech_pad_ms=30,
        )
    segs = [(s["start"] / ANALYSIS_RATE, s["end"] / ANALYSIS_RATE) for s in stamps]
    if not segs:
        return SpeechMeasurement([], 0.0, 0.0, 0.0, 0.0)
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(segs)]
    return SpeechMeasurement(
        segments=segs,
        speech_s=float(sum(e - s for s, e in segs)),
        start_s=segs[0][0],
        end_s=segs[-1][1],
        longest_silence_s=float(max(gaps, default=0.0)),
    )
