"""One voice or several: speaker embeddings over sliding windows, plus an overlap cue.

Turns: resemblyzer d-vectors over 1.6 s windows of the speech-only signal are split into
two groups (2-means on cosine similarity, seeded with the two least similar windows). One
speaker yields two groups whose centroids stay close (the split only follows prosody); a
second voice gives a distinct group. Overlap: two simultaneous voices smear each other's
periodicity, so the voiced frames' normalised autocorrelation peak drops (a single voice,
even a monotone one, stays strongly periodic in its voiced frames).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE, frame_power
from voices.models import speaker_encoder


@dataclass(frozen=True)
class SpeakerMeasurement:
    speakers: int
    split_similarity: float  # cosine between the two group centroids (1.0 = one group)
    minority_share: float  # share of windows in the smaller group
    periodicity: float  # median autocorrelation peak of the louder voiced frames


def _speech_only(x16: np.ndarray, segments: list[tuple[float, float]]) -> np.ndarray:
    parts = [x16[int(s * ANALYSIS_RATE): int(e * ANALYSIS_RATE)] for s, e in segments]
    return np.concatenate(parts) if parts else x16


def _two_groups(emb: np.ndarray) -> tuple[float, float]:
    sim = emb @ emb.T
    a, b = np.unravel_index(np.argmin(sim), sim.shape)
    centres = emb[[a, b]]
    labels = np.zeros(len(emb), dtype=int)
    for _ in range(10):
        labels = np.argmax(emb @ centres.T, axis=1)
        if labels.min() == labels.max():
            return 1.0, 0.0
        centres = np.stack([emb[labels == k].mean(axis=0) for k in (0, 1)])
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    share = float(min(np.mean(labels == 0), np.mean(labels == 1)))
    return float(centres[0] @ centres[1]), share


def periodicity(x16: np.ndarray) -> float:
    """Median normalised autocorrelation peak (lag 2.5-12.5 ms) of loud 40 ms frames."""
    frame, hop = 640, 320
    if len(x16) < frame * 4:
        return 1.0
    power = frame_power(x16, frame, hop)
    loud = np.flatnonzero(power >= np.quantile(power, 0.6))
    lo, hi = 40, 200
    peaks = []
    for i in loud:
        f = x16[i * hop: i * hop + frame].astype(np.float64)
        f = f - f.mean()
        spec = np.fft.rfft(f, 2 * frame)
        ac = np.fft.irfft(np.abs(spec) ** 2)[: hi + 1]
        if ac[0] <= 0:
            continue
        # Normalise by the energy of the overlapping parts so long lags are not penalised.
        lags = np.arange(lo, hi + 1)
        e = np.cumsum(f**2)
        norm = np.sqrt(e[frame - 1 - lags] * (e[-1] - e[lags - 1]))
        peaks.append(float(np.max(ac[lo: hi + 1] / np.maximum(norm, 1e-12))))
    return float(np.median(peaks)) if peaks else 1.0


def measure(x16: np.ndarray, segments: list[tuple[float, float]],
            split_threshold: float = 0.75, min_share: float = 0.15) -> SpeakerMeasurement:
    speech = _speech_only(x16, segments)
    per = periodicity(speech)
    if len(speech) < int(1.6 * ANALYSIS_RATE):
        return SpeakerMeasurement(1, 1.0, 0.0, per)
    _, partials, _ = speaker_encoder().embed_utterance(
        speech.astype(np.float32), return_partials=True, rate=2.5, min_coverage=0.5,
    )
    emb = partials / np.linalg.norm(partials, axis=1, keepdims=True)
    if len(emb) < 4:
        return SpeakerMeasurement(1, 1.0, 0.0, per)
    sim, share = _two_groups(emb)
    two = sim < split_threshold and share >= min_share
    return SpeakerMeasurement(2 if two else 1, sim, share, per)
