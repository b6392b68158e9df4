"""Background music: steady tonal lines that outlast speech harmonics.

Music holds notes at fixed pitches for a quarter second or more; speech harmonics glide
with intonation and rarely stay within one 7.8 Hz bin for long. Spectral peaks (local
maxima standing 10 dB over the local median, 150-4000 Hz, 128 ms frames) are linked into
tracks across 32 ms hops when they stay within one bin; the score is the share of frames
that carry at least three tracks of 320 ms or longer at once. Music is chords: several
notes, each with harmonics, held together; a stray tonal line in a pause (a whistle, a
squeak) is one or two. (One line was enough before: a clean recording whose pauses held
two short whistle lines read 0.38, over the 0.3 limit; on the tuning half, music beds
with pauses read >= 0.76 and every clip without music <= 0.1, reverberant ones <= 0.35.)
Tracks that last more than half the clip are mains hum or a steady whistle, not music,
and are ignored.

The score is taken over the frames the VAD calls non-speech (pauses, lead-in, tail):
music under speech keeps playing there, while synthetic or very steady voices (espeak,
monotone reading), whose own harmonics can form long lines, fall silent. With almost no
pause (< 0.26 s) the whole clip is scored: with one line enough that made every espeak
clip "music", but one voice seldom holds three lines at once.

A frequency (+-1 bin) that holds a peak in over half the pause frames is a steady hum or
whistle, not music, and its lines are dropped whole, but only when there are at most
four such lines: a hum or whistle is one tone and a few harmonics, while a chord held
through short pauses makes many at once (on the tuning half: recorder whistles 1-3
lines, music beds 7-20). Counting lines rather than requiring long pauses lets the hum
rule work over a single 0.25 s pause without taking a held chord for a hum.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import label, maximum_filter1d

from voices.gate.dsp import ANALYSIS_RATE, speech_mask

_N_FFT = 2048
_HOP = 512
_PEAK_DB = 10.0
_MIN_TRACK_FRAMES = 10  # 10 hops x 32 ms = 320 ms
_F_LO, _F_HI = 150.0, 4000.0
_MIN_PAUSE_FRAMES = 8  # 0.26 s: less pause than this and the whole clip is scored
_HUM_OCCUPANCY = 0.5
_MAX_HUM_LINES = 4
_MIN_LINES = 3


def local_median(s: np.ndarray, width: int, step: int = 8) -> np.ndarray:
    """Median of each frame's spectrum over `width` bins around every bin, taken every
    `step` bins and interpolated between: the background a peak must stand out from
    varies slowly across frequency, and a full sliding median cost a fifth of the gate."""
    half = width // 2
    padded = np.pad(s, ((0, 0), (half, half)), mode="edge")
    centres = np.arange(0, s.shape[1], step)
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)[:, centres]
    coarse = np.median(windows, axis=2)
    bins = np.arange(s.shape[1])
    pos = np.clip(np.searchsorted(centres, bins, side="right") - 1, 0, len(centres) - 1)
    nxt = np.minimum(pos + 1, len(centres) - 1)
    span = np.maximum(centres[nxt] - centres[pos], 1)
    frac = np.clip((bins - centres[pos]) / span, 0.0, 1.0)
    return coarse[:, pos] * (1 - frac) + coarse[:, nxt] * frac


def hum_bins(peaks: np.ndarray) -> np.ndarray:
    """Bins of a steady hum or whistle, from a (frames x bins) peak map of the pauses.

    A bin (+-1) that holds a peak in over half the frames is steady; a few such lines
    (<= _MAX_HUM_LINES) are a hum with its harmonics, more are a held chord (music), so
    then nothing is a hum. Returns a boolean mask over bins."""
    if len(peaks) == 0:
        return np.zeros(peaks.shape[1], dtype=bool)
    steady = maximum_filter1d(peaks.mean(axis=0), 3) > _HUM_OCCUPANCY
    _, lines = label(steady)
    return steady if lines <= _MAX_HUM_LINES else np.zeros_like(steady)


def line_lengths(peaks: np.ndarray) -> np.ndarray:
    """Length in frames of the tonal line through each peak of a (frames x bins) map.

    A peak continues a line when the neighbouring frame has a peak within +-1 bin; the
    length through a peak is the longest chain reaching it from the past plus the longest
    leaving it into the future."""

    def runs(p: np.ndarray) -> np.ndarray:
        near = maximum_filter1d(p.view(np.int8), 3, axis=1).astype(bool)
        run = np.zeros(p.shape, dtype=np.int32)
        run[0] = p[0]
        for t in range(1, len(p)):
            prev = maximum_filter1d(run[t - 1], 3)
            run[t] = np.where(p[t] & near[t - 1], prev + 1, p[t].astype(np.int32))
        return run

    if len(peaks) == 0:
        return np.zeros(peaks.shape, dtype=np.int32)
    return np.where(peaks, runs(peaks) + runs(peaks[::-1])[::-1] - 1, 0)


def measure(x16: np.ndarray, segments: list[tuple[float, float]]) -> float:
    """Music score 0..1: share of pause frames carrying a chord (>= 3 held lines at once)."""
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
    local = local_median(s, 51)
    peaks = (s >= maximum_filter1d(s, 5, axis=1)) & (s - local >= _PEAK_DB) & active[:, None]
    # A bin (+-1) holding a peak in over half the pause frames is a steady hum or whistle
    # (mains, a fan, a recorder's pilot tone), not music: notes change. Drop whole bins,
    # not just the late part of such a track, which would otherwise still count.
    pauses = ~speech_mask(segments, n, _HOP / ANALYSIS_RATE, _N_FFT / ANALYSIS_RATE) & active
    ref = pauses if pauses.sum() >= _MIN_PAUSE_FRAMES else active
    if ref.any():
        peaks[:, hum_bins(peaks[ref])] = False
    length = line_lengths(peaks)
    # Lines longer than half the clip are a hum or a steady whistle the rule above missed.
    held = peaks & (length >= _MIN_TRACK_FRAMES) & (length <= n / 2)
    chord = held.sum(axis=1) >= _MIN_LINES
    # With under 0.26 s of pause (a loud bed can leave the VAD no pause at all) the whole
    # clip is scored: one voice, even espeak's monotone, rarely holds three lines at once
    # (<= 0.18 over such clips of the gate corpus), music beds then read 0.40-0.71.
    # Digitally silent pause frames count, as frames without a chord.
    silent_too = ~speech_mask(segments, n, _HOP / ANALYSIS_RATE, _N_FFT / ANALYSIS_RATE)
    judged = silent_too if silent_too.sum() >= _MIN_PAUSE_FRAMES else active
    return float(chord[judged].mean()) if judged.any() else 0.0
