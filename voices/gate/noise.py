"""Blind SNR: speech power against the background measured in the gaps.

The background is the 10th percentile of 20 ms frame powers over the clip (minimum
statistics, after Martin 2001): read speech is silent or nearly so for well over 10 % of
the time (pauses, stop closures), so that percentile lands on the noise floor for
stationary noise and on the troughs of babble. Speech power is the mean over VAD speech
frames, minus that floor. The estimate is capped at 60 dB: beyond that the floor is
dither or digital silence and the number means nothing.
"""

from __future__ import annotations

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE, db, frame_power, speech_mask

_FRAME_S = 0.02
_NOISE_PERCENTILE = 10
_MAX_SNR_DB = 60.0


def measure(x16: np.ndarray, segments: list[tuple[float, float]]) -> float:
    """Estimated SNR in dB."""
    power = frame_power(x16, int(_FRAME_S * ANALYSIS_RATE))
    speech = speech_mask(segments, len(power), _FRAME_S)
    if not speech.any():
        return 0.0
    noise = float(np.percentile(power, _NOISE_PERCENTILE))
    signal = float(np.mean(power[speech])) - noise
    if signal <= 0:
        return 0.0
    if noise <= 0:
        return _MAX_SNR_DB
    return float(min(_MAX_SNR_DB, db(signal) - db(noise)))
