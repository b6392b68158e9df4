"""Two voices at once: a calibrated logistic score over cues that summed voices move together.

When a second person talks over the first, no single measurement calls it reliably:
the speaker embeddings average the two into one (the block statistic of speakers.py only
sees turns), tiny.en follows the louder voice or neither, and the waveform of two
summed voices is more Gaussian than one (WADA-SNR falls) without being noise. Each cue
alone also moves for innocent reasons: a hard reader or an unusual name lowers the ASR
scores, a real room floor lowers WADA, a monotone voice raises the embedding
similarity. Together they separate: a logistic model (scikit-learn's LogisticRegression
fitted by ``bench/gate_fit.py`` on the tuning speakers of the gate corpus, and checked
on speakers it never saw) weighs them, and its few numbers live in the ``[gate]`` table
(``two_voice_*``), so an operator can see and change them like every other limit.

Features are standardised by the means and scales the fit stored; a missing feature
reads as its mean (no evidence either way).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from voices.gate.thresholds import GateThresholds

# The cues, in the order of GateThresholds.two_voice_weights.
FEATURES = (
    "speaker_similarity",      # lowest block-vs-rest embedding cosine (speakers.py)
    "wada_snr_db",             # waveform Gaussianity over the speech span (noise.py)
    "asr_avg_logprob",         # tiny.en's mean token log-probability (language.py)
    "asr_worst_stretch_logprob",  # its least sure 30 % run of words
    "snr_db",                  # minimum-statistics SNR: how full the pauses are
    "asr_words_per_s",         # words tiny.en wrote per second of speech
)


def features(q: dict[str, Any]) -> np.ndarray:
    return np.array([float(q[f]) if q.get(f) is not None else np.nan for f in FEATURES])


def score(q: dict[str, Any], th: GateThresholds) -> float:
    """Probability-like score (0..1) that two voices speak at once in the clip."""
    x = features(q)
    mean, scale = np.asarray(th.two_voice_mean), np.asarray(th.two_voice_scale)
    w = np.asarray(th.two_voice_weights)
    z = np.where(np.isnan(x), 0.0, (x - mean) / scale)
    logit = float(th.two_voice_bias + z @ w)
    return float(1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0))))
