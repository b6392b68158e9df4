"""Background music: steady tonal lines that outlast speech harmonics.

Music holds notes at fixed pitches for a quarter second or more; speech harmonics glide
with intonation and rarely stay within one 7.8 Hz bin for long. Spectral peaks (local
maxima standing 10 dB over the local median, 150-4000 Hz, 128 ms frames) are linked into
tracks across 32 ms hops when they stay within one bin; the score is the share of frames
that carry at least one track of 320 ms or longer. Tracks that last more than half the
clip are mains hum or a steady whistle, not music, and are ignored.

The score is taken over the frames the VAD calls non-speech (pauses, lead-in, tail):
music under speech keeps playing there, while synthetic or very steady voices (espeak,
monotone reading), whose own harmonics can form long lines, fall silent. With almost
no pauses (< 0.64 s) the few pause frames there are still decide (scoring the speech
frames made every espeak clip "music"). A frequency (+-1 bin) that holds a peak in over
half the pause frames is a steady hum or whistle, not music (notes change), and its
lines are dropped whole.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter

from voices.gate.dsp import ANALYSIS_RATE, speech_mask

_N_FFT = 2048
_HOP = 512
_PEAK_DB = 10.0
_MIN_TRACK_FRAMES = 10  # 10 hops x 32 ms = 320 ms
_F_LO, _F_HI = 150.0, 4000.0
_MIN_PAUSE_FRAMES = 20
_HUM_OCCUPANCY = 0.5


def measure(x16: np.ndarray, segments: list[tuple[float, float]]) -> float:
    """Music score 0..1 (share of frames carrying a sustained tonal line)."""
    if len(x16) < _N_FFT + _HOP * _MIN_TRACK_FRAMES:
        return 0.0
    n = 1 + (len(x16) - _N_FFT) // _HOP
    idx = np.arange(_N_FFT)[None, :] + _HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x16[idx] * np.hanning(_N_FFT), axis=1)) ** 2
    lo = int(_F_LO * _N_FFT / ANALYSIS_RATE)
    hi = int(_F_HI * _N_FFT / ANALYSIS_RATE)
    s = 10 * np.log10(spec[:, lo:hi] + 1e-12)
    # Frames near digital silence carry no tonal evidence.
    active = s.max(axis=1) > s.max() - 60.0
    local = median_filter(s, size=(1, 51), mode="nearest")
    peaks = (s >= maximum_filter1d(s, 5, axis=1)) & (s - local >= _PEAK_DB) & active[:, None]
    # A bin (+-1) holding a peak in over half the active frames is a steady hum or whistle
    # (mains, a fan, a recorder's pilot tone), not music: notes change. Drop whole bins,
    # not just the late part of such a track, which would otherwise still count.
    pauses = ~speech_mask(segments, n, _HOP / ANALYSIS_RATE, _N_FFT / ANALYSIS_RATE) & active
    ref = pauses if pauses.sum() >= _MIN_PAUSE_FRAMES else active
    if ref.any():
        occupancy = maximum_filter1d(peaks[ref].mean(axis=0), 3)
        peaks[:, occupancy > _HUM_OCCUPANCY] = False
    # A peak continues a line when the previous frame had a peak within +-1 bin.
    near = maximum_filter1d(peaks.view(np.int8), 3, axis=1).astype(bool)
    run = np.zeros_like(peaks, dtype=np.int32)
    run[0] = peaks[0]
    for t in range(1, n):
        prev = maximum_filter1d(run[t - 1], 3)
        run[t] = np.where(peaks[t] & near[t - 1], prev + 1, peaks[t].astype(np.int32))
    # Mark every frame covered by a line that reached the minimum length.
    covered = np.zeros(n, dtype=bool)
    ends = np.argwhere(run >= _MIN_TRACK_FRAMES)
    if len(ends) == 0:
        return 0.0
    longest = run.max()
    if longest > n / 2:
        run = np.where(run > n / 2, 0, run)
        ends = np.argwhere(run >= _MIN_TRACK_FRAMES)
    for t, _ in ends:
        covered[t - _MIN_TRACK_FRAMES + 1: t + 1] = True
    pauses = ~speech_mask(segments, n, _HOP / ANALYSIS_RATE, _N_FFT / ANALYSIS_RATE)
    if pauses.sum() >= _MIN_PAUSE_FRAMES:
        return float(covered[pauses].mean())
    # Too few pauses to judge: a synthetic or very steady voice (espeak) makes long lines
    # of its own, so the speech frames cannot be used; the little pause there is decides.
    return float(covered[pauses].mean()) if pauses.any() else 0.0
