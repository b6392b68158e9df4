"""Effective bandwidth: the highest frequency that carries real speech energy.

Read from the long-term spectrum of the speech frames at the clip's native rate, never
from the header. Upsampling and lossy coding both leave the same fingerprint: a cliff
where the spectrum falls tens of dB within a few hundred Hz and never comes back (the
anti-alias filter of the original capture, or the encoder's lowpass). Natural speech
rolls off gradually, by roughly 6-12 dB per octave, so it has no such cliff below the
Nyquist frequency of a genuine capture.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from voices.gate.dsp import db, frame_power

# A cliff: everything above f + guard stays this far below the level just under f. 25 dB
# is far steeper than any natural roll-off over the guard band, yet far shallower than
# resampler stop bands (60-150 dB) and MP3 lowpasses (energy removed outright).
_CLIFF_DB = 25.0
# Guard band: the transition width of a steep anti-alias filter, relative to f (typical
# resampler transitions are 5-10 % of the cutoff; 12 % leaves room).
_GUARD = 0.12
# Spectral smoothing, so single harmonics or hum lines do not make cliffs.
_SMOOTH_HZ = 250.0
# Only the loudest three quarters of the speech frames feed the spectrum: the quietest
# are mostly room noise, which is broadband and would mask the cliff. Not just the loudest
# half: those are vowels, and a voice whose vowels carry little above 5 kHz (espeak's
# Mandarin) then reads a cliff there although its fricatives, in the next quarter, reach
# 11 kHz. Every upsampled or low-bitrate clip of the gate corpus reads the same either way.
_LOUD_QUANTILE = 0.25


def long_term_spectrum(x: np.ndarray, rate: int,
                       segments: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean power spectrum (dB) of the loud speech frames, ~23 Hz resolution at 48 kHz."""
    n_fft = int(2 ** np.ceil(np.log2(rate * 0.04)))
    hop = n_fft // 2
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    n = 1 + (len(x) - n_fft) // hop
    starts = hop * np.arange(n)
    centre = (starts + n_fft / 2) / rate
    keep = np.zeros(n, dtype=bool)
    for s, e in segments:
        keep |= (centre >= s) & (centre < e)
    if not keep.any():
        keep[:] = True
    power = frame_power(x, n_fft, hop)[:n]
    level = power[keep]
    keep_idx = np.flatnonzero(keep)[level >= np.quantile(level, _LOUD_QUANTILE)]
    window = np.hanning(n_fft)
    acc = np.zeros(n_fft // 2 + 1)
    for chunk in np.array_split(keep_idx, max(1, len(keep_idx) // 256)):
        frames = x[starts[chunk, None] + np.arange(n_fft)[None, :]] * window
        acc += np.sum(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    spec = db(acc / max(1, len(keep_idx)), 1e-20)
    width = max(3, int(_SMOOTH_HZ / (freqs[1] - freqs[0])) | 1)
    return freqs, median_filter(spec, size=width, mode="nearest")


def measure(x: np.ndarray, rate: int, segments: list[tuple[float, float]]) -> float:
    """Effective bandwidth in Hz (the Nyquist frequency when there is no cliff)."""
    freqs, spec = long_term_spectrum(x, rate, segments)
    nyquist = rate / 2.0
    step = freqs[1] - freqs[0]
    below_win = max(1, int(300.0 / step))
    after_win = int(3000.0 / step)
    for i in range(int(1000.0 / step), len(freqs)):
        j = int(np.searchsorted(freqs, freqs[i] * (1 + _GUARD)))
        # Judge the 3 kHz past the guard band, not everything up to Nyquist: cheap
        # resamplers leave spectral images of the loud low band far above the cutoff
        # (~50 dB down), which must not hide the cliff.
        if j + after_win // 6 >= len(freqs):
            break
        here = float(np.median(spec[max(0, i - below_win): i + 1]))
        if np.percentile(spec[j: j + after_win], 90) < here - _CLIFF_DB:
            # Report the cliff's edge (last point within 10 dB of the passband), not the
            # start of the guard band, so a 12 kHz capture reads ~11.5 kHz, not ~10.3.
            edge = i + int(np.flatnonzero(spec[i: j + 1] >= here - 10.0).max())
            return float(freqs[edge])
    return nyquist
