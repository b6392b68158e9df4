"""Reverberation: a blind decay-rate estimate of T60, reported as C50.

After Wen, Habets & Naylor (2008), "Blind estimation of reverberation time based on the
distribution of signal decay rates": whenever speech stops, the sound field decays no
faster than the room lets it, so the steepest decays observed in the clip bound the
room's decay rate. Log-energy envelopes (10 ms hop) in four octave bands (0.5-4 kHz) are
searched for free-decay stretches; a least-squares slope is fitted over each 100 ms
stretch that starts at least 15 dB above the band's floor and falls throughout. T60 is
-60 dB over the 10th-percentile (steepest) slope.

C50 is derived from T60 with the exponential (Sabine) decay model,
C50 = 10 log10(exp(13.8 * 0.05 / T60) - 1); ignoring the direct sound makes it a
conservative (low) estimate, which is the honest side for a "too reverberant" rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from voices.gate.dsp import ANALYSIS_RATE, db, frame_power, live

_HOP_S = 0.01
_FIT_FRAMES = 10
_MIN_HEADROOM_DB = 15.0
_BANDS_HZ = (500.0, 1000.0, 2000.0, 4000.0)
# Dry speech offsets in a booth reach -300 dB/s and steeper; anything past this bound is
# limited by the 100 ms fit window rather than the room, so T60 is floored at 0.1 s.
_MIN_T60_S = 0.1
_MAX_T60_S = 3.0


@dataclass(frozen=True)
class ReverbMeasurement:
    t60_s: float
    c50_db: float


def c50_from_t60(t60: float) -> float:
    return float(10.0 * np.log10(np.expm1(13.8155 * 0.05 / t60)))


def _decay_slopes(power: np.ndarray, sound: np.ndarray) -> list[float]:
    # Noise compensation: the floor (10th percentile) is subtracted in the power domain
    # first, so a stationary noise floor does not read as a slow decay; fits must also
    # end 5 dB clear of the floor, where the subtraction bends the slope by < 1.2 dB.
    # A fall into digital silence is an edit, not the room: only frames with sound count.
    floor = float(np.percentile(power[sound], 10)) if sound.any() else 0.0
    comp = db(np.maximum(power - floor, floor * 1e-3))
    floor_db = float(db(max(floor, 1e-12)))
    t = np.arange(_FIT_FRAMES) * _HOP_S
    t = t - t.mean()
    denom = float(np.sum(t**2))
    out: list[float] = []
    falling = np.diff(comp) < 0.5  # allow small ripple within a decay
    i = 0
    n = len(comp)
    while i + _FIT_FRAMES < n:
        seg = comp[i: i + _FIT_FRAMES]
        if (seg[0] - floor_db >= _MIN_HEADROOM_DB and seg[-1] - floor_db >= 5.0
                and falling[i: i + _FIT_FRAMES - 1].all() and sound[i: i + _FIT_FRAMES].all()):
            slope = float(np.sum(t * (seg - seg.mean())) / denom)
            if slope < 0:
                out.append(slope)
                i += _FIT_FRAMES // 2
                continue
        i += 1
    return out


def measure(x16: np.ndarray) -> ReverbMeasurement:
    hop = int(_HOP_S * ANALYSIS_RATE)
    slopes: list[float] = []
    sound = live(frame_power(x16, 2 * hop, hop))
    for centre in _BANDS_HZ:
        lo, hi = centre / np.sqrt(2), min(centre * np.sqrt(2), ANALYSIS_RATE / 2 - 100)
        sos = butter(4, [lo, hi], btype="band", fs=ANALYSIS_RATE, output="sos")
        band = sosfiltfilt(sos, x16)
        slopes += _decay_slopes(frame_power(band, 2 * hop, hop), sound)
    if len(slopes) < 5:
        t60 = _MIN_T60_S
    else:
        steepest = float(np.percentile(slopes, 10))
        t60 = float(np.clip(-60.0 / steepest, _MIN_T60_S, _MAX_T60_S))
    return ReverbMeasurement(t60_s=t60, c50_db=c50_from_t60(t60))
