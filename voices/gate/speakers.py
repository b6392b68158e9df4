"""One voice or several: speaker embeddings over sliding windows, change detection.

resemblyzer d-vectors are taken over 1.6 s windows of the speech-only signal (2.5 windows
per second). A second voice taking a turn occupies a contiguous stretch of windows, so
the statistic is the lowest cosine similarity between the mean embedding of any
contiguous block (>= 4 windows, ~2.8 s of speech) and the mean of all the other windows.
One speaker, even a monotone one, stays self-similar (>= 0.81 on the tuning half of the
gate corpus); a turn by another person drops it to 0.54-0.70. Unlike free clustering,
a block split cannot latch onto prosody scattered across the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE
from voices.models import speaker_encoder

_MIN_BLOCK = 4
_WINDOWS_PER_S = 2.5


@dataclass(frozen=True)
class SpeakerMeasurement:
    speakers: int
    block_similarity: float  # lowest block-vs-rest cosine (1.0 = nothing to compare)
    coherence: float = 1.0  # mean cosine of the windows to their centroid


def speech_only(x16: np.ndarray, segments: list[tuple[float, float]]) -> np.ndarray:
    parts = [x16[int(s * ANALYSIS_RATE): int(e * ANALYSIS_RATE)] for s, e in segments]
    return np.concatenate(parts) if parts else x16


def block_similarity(emb: np.ndarray, min_block: int = _MIN_BLOCK) -> float:
    n = len(emb)
    if n < 2 * min_block:
        return 1.0
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    cum = np.vstack([np.zeros(emb.shape[1]), np.cumsum(emb, axis=0)])
    total = cum[-1]
    i, j = np.triu_indices(n + 1, k=min_block)
    keep = (n - (j - i)) >= min_block
    block = cum[j[keep]] - cum[i[keep]]
    rest = total - block
    cos = np.sum(block * rest, axis=1) / (np.linalg.norm(block, axis=1) * np.linalg.norm(rest, axis=1))
    return float(cos.min())


def coherence(emb: np.ndarray) -> float:
    """How alike the windows are overall: a voice that changes from window to window (two
    people at once, the louder one changing) lowers it where no one block stands out."""
    if len(emb) < 2:
        return 1.0
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    centre = emb.mean(axis=0)
    return float(np.mean(emb @ (centre / np.linalg.norm(centre))))


def measure(x16: np.ndarray, segments: list[tuple[float, float]],
            threshold: float = 0.76) -> SpeakerMeasurement:
    speech = speech_only(x16, segments)
    if len(speech) < int(1.6 * ANALYSIS_RATE):
        return SpeakerMeasurement(1, 1.0)
    _, partials, _ = speaker_encoder().embed_utterance(
        speech.astype(np.float32), return_partials=True, rate=_WINDOWS_PER_S, min_coverage=0.5,
    )
    emb = np.asarray(partials, dtype=np.float64)
    sim = block_similarity(emb)
    return SpeakerMeasurement(2 if sim < threshold else 1, sim, coherence(emb))
