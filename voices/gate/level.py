"""Level consistency: how far the speech level swings across the clip.

Speech level is measured per 2 s window (hop 0.5 s) over the speech frames only, as the
mean power of the loudest half of the 20 ms frames in the window (so pauses between
words do not read as level drops). The spread is the distance between the 95th and 5th
percentile window: a single utterance said much louder or softer than the rest (a level
jump, someone turning away, an automatic gain step) widens it, while the natural rise and
fall of read speech stays within ~10 dB (max 10.9 dB over the tuning half of the gate
corpus; 1 s windows were noisier, up to 15 dB on clean clips).
"""

from __future__ import annotations

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE, db, frame_power, speech_mask

_FRAME_S = 0.02
_WINDOW_FRAMES = 100
_HOP_FRAMES = 25


def measure(x16: np.ndarray, segments: list[tuple[float, float]]) -> float:
    """Level spread in dB (p95 - p5 of 2 s speech-window levels); 0 when too short."""
    frame = int(_FRAME_S * ANALYSIS_RATE)
    power = frame_power(x16, frame)
    speech = speech_mask(segments, len(power), _FRAME_S)
    levels: list[float] = []
    for start in range(0, max(1, len(power) - _WINDOW_FRAMES + 1), _HOP_FRAMES):
        sel = power[start: start + _WINDOW_FRAMES][speech[start: start + _WINDOW_FRAMES]]
        # A window needs 0.8 s of speech to have a level worth comparing.
        if len(sel) < 40:
            continue
        loud = np.sort(sel)[len(sel) // 2:]
        levels.append(float(db(np.mean(loud))))
    if len(levels) < 3:
        return 0.0
    return float(np.percentile(levels, 95) - np.percentile(levels, 5))
