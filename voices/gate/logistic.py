"""Two calibrated scores the late rules read: two voices at once, and speech that is not English.

No single measurement calls either reliably. When a second person talks over the first,
the speaker embeddings average the two into one (speakers.py's block statistic only sees
turns), tiny.en follows the louder voice or neither, and the waveform of two summed voices
is more Gaussian than one (WADA-SNR falls) without being noise. Foreign speech also makes
tiny.en unsure, but it is one voice (embeddings self-similar, WADA high), and what tiny.en
writes is not English: rare spellings cut into many word pieces, no English rhythm of
words. A hard English reader lowers the ASR scores too, but writes English words. Each
cue alone moves for innocent reasons; weighed together they separate.

Each score is a logistic model (scikit-learn's LogisticRegression, fitted by
``bench/gate_fit.py`` on the tuning speakers of the gate corpus and checked on speakers it
never saw) over standardised cues; its few numbers live in the ``[gate]`` table
(``two_voice_*``, ``foreign_*``), where an operator can read and change them like every
other limit. A cue not measured reads as its corpus mean: no evidence either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from voices.gate.thresholds import GateThresholds

# The cues, in the order of GateThresholds.two_voice_weights.
TWO_VOICE_FEATURES = (
    "speaker_similarity",         # lowest block-vs-rest embedding cosine (speakers.py)
    "wada_snr_db",                # waveform Gaussianity over the speech span (noise.py)
    "snr_db",                     # minimum-statistics SNR: how full the pauses are
    "asr_avg_logprob",            # tiny.en's mean token log-probability (language.py)
    "asr_worst_stretch_logprob",  # its least sure 30 % run of words
    "asr_tokens_per_word",        # word pieces per word it wrote (foreign speech: many)
    "overlap_score",              # the two-harmonic-combs detector's mean over the speech (overlap.py)
    "speaker_coherence",          # mean embedding cosine of the windows to their centroid
)
# The cues, in the order of GateThresholds.foreign_weights: tiny.en's alone, so that what
# the corpus's synthetic foreign voices have in common (espeak-ng is unnaturally steady)
# cannot stand in for the language.
FOREIGN_FEATURES = (
    "asr_avg_logprob",
    "asr_worst_stretch_logprob",
    "asr_compression_ratio",      # Whisper's own loop criterion
    "asr_words_per_s",            # words written per second of speech
    "asr_tokens_per_word",
)


def features(q: dict[str, Any], names: Sequence[str]) -> np.ndarray:
    return np.array([float(q[f]) if q.get(f) is not None else np.nan for f in names])


def _score(x: np.ndarray, weights: Sequence[float], bias: float, mean: Sequence[float],
           scale: Sequence[float]) -> float:
    z = np.where(np.isnan(x), 0.0, (x - np.asarray(mean)) / np.asarray(scale))
    logit = float(bias + z @ np.asarray(weights))
    return float(1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0))))


def two_voice_score(q: dict[str, Any], th: GateThresholds) -> float:
    """Probability-like score (0..1) that two voices speak at once in the clip."""
    return _score(features(q, TWO_VOICE_FEATURES), th.two_voice_weights, th.two_voice_bias,
                  th.two_voice_mean, th.two_voice_scale)


def foreign_score(q: dict[str, Any], th: GateThresholds) -> float:
    """Probability-like score (0..1) that the speech is not English."""
    return _score(features(q, FOREIGN_FEATURES), th.foreign_weights, th.foreign_bias,
                  th.foreign_mean, th.foreign_scale)
