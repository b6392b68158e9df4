"""Output level: every sentence at the same speech loudness, peaks under a cap."""

from __future__ import annotations

import numpy as np

from voices.world import RATE

# Speech RMS every output sentence is normalised to (-20 dBFS), under a peak cap.
TARGET_RMS = 0.1
PEAK = 0.97


def level_gain(x: np.ndarray) -> float:
    """The gain that brings the speech part of ``x`` to :data:`TARGET_RMS`, peaks below :data:`PEAK`.

    The RMS is taken over 20 ms blocks louder than -40 dB re the loudest, so pauses do
    not pull short and long sentences to different levels.
    """
    x = np.asarray(x, np.float32)
    if not x.size or not np.any(x):
        return 1.0
    block = RATE // 50
    n = len(x) // block
    if n >= 1:
        e = np.mean(x[: n * block].reshape(n, block) ** 2, axis=1)
        active = e[e > e.max() * 1e-4]
        rms = float(np.sqrt(active.mean()))
    else:
        rms = float(np.sqrt(np.mean(x**2)))
    return apply_gain_cap(x, TARGET_RMS / max(rms, 1e-6))


def apply_gain_cap(x: np.ndarray, gain: float) -> float:
    """``gain``, lowered if needed so that ``x * gain`` peaks at :data:`PEAK`."""
    peak = float(np.max(np.abs(x))) * gain if x.size else 0.0
    return gain * PEAK / peak if peak > PEAK else gain


def apply_gain(x: np.ndarray, gain: float) -> np.ndarray:
    """``x * gain`` as float32, the gain lowered where it would push a peak past :data:`PEAK`."""
    x = np.asarray(x, np.float32)
    return (x * apply_gain_cap(x, gain)).astype(np.float32)


def normalize_level(x: np.ndarray) -> np.ndarray:
    """Bring the speech part of ``x`` to :data:`TARGET_RMS`, peaks below :data:`PEAK`."""
    return apply_gain(x, level_gain(x))
