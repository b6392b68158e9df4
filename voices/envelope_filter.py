"""A converted envelope applied to the base voice's own waveform, as a filter.

WORLD rebuilds unvoiced sounds from shaped noise on a frame grid, which smears the
short bursts of stops ("walked", "had a bright") that carry word endings; the bundled
ASR then drops them. Where Piper is unvoiced there is no pitch to change, so the
conversion can instead filter Piper's own waveform by the ratio of converted to
original envelope (differential filtering, Kobayashi et al., 2016), keeping every burst
where Piper put it.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import istft, stft

# Largest boost or cut (dB) the filter applies, so a near-silent bin of the base voice
# is never blown up into noise.
MAX_GAIN_DB = 24.0


def filter_envelope(x: np.ndarray, log_ratio: np.ndarray, hop: int) -> np.ndarray:
    """``x`` through a per-frame amplitude gain ``exp(log_ratio)`` (frames x bins).

    Frame t of ``log_ratio`` is centred on sample t * hop (WORLD's convention) and has
    ``n_fft // 2 + 1`` bins; zero-phase gains on overlapping windows, which is enough
    for gains as smooth across frequency as an envelope ratio.
    """
    n_fft = (log_ratio.shape[1] - 1) * 2
    _, _, spec = stft(x, nperseg=n_fft, noverlap=n_fft - hop, boundary="zeros", padded=True)
    g = log_ratio[np.minimum(np.arange(spec.shape[1]), len(log_ratio) - 1)]
    g = np.clip(g, -MAX_GAIN_DB / 8.686, MAX_GAIN_DB / 8.686)
    _, y = istft(spec * np.exp(g).T, nperseg=n_fft, noverlap=n_fft - hop, boundary=True)
    y = np.asarray(y, np.float64)[: len(x)]
    return np.pad(y, (0, len(x) - len(y)))


def voicing_mix(vocoded: np.ndarray, filtered: np.ndarray, voiced: np.ndarray, hop: int,
                ramp: int) -> np.ndarray:
    """``vocoded`` where frames are voiced, ``filtered`` elsewhere, cross-faded over
    ``ramp`` samples at each voicing edge."""
    n = min(len(vocoded), len(filtered))
    frame = np.minimum((np.arange(n) + hop // 2) // hop, len(voiced) - 1)
    w = uniform_filter1d(voiced[frame].astype(np.float64), max(1, ramp), mode="nearest")
    return w * vocoded[:n] + (1.0 - w) * filtered[:n]
