"""Clipping: the share of samples stuck on a flat top at the signal's own extremes.

Measured on the signal exactly as decoded (before any filtering), relative to its own
positive and negative peaks, so a clip that was clipped and then turned down still shows
its plateaus. A sample counts only inside a run of two or more samples at the extreme:
a natural waveform touches its peak once, a clipped one sits on it.
"""

from __future__ import annotations

import numpy as np

# Within 0.1 % of the peak: 16-bit full scale is 32767 vs -32768, and float round trips
# leave plateaus exact to ~1e-7, so this only has to absorb quantisation.
_TOLERANCE = 1e-3


def _plateau_samples(hit: np.ndarray) -> int:
    if not hit.any():
        return 0
    run_edges = np.diff(np.concatenate(([0], hit.view(np.int8), [0])))
    starts = np.flatnonzero(run_edges == 1)
    ends = np.flatnonzero(run_edges == -1)
    lengths = ends - starts
    return int(lengths[lengths >= 2].sum())


def measure(x: np.ndarray) -> float:
    """Fraction of samples on a clipped plateau (0..1)."""
    if len(x) == 0:
        return 0.0
    total = 0
    for peak, side in ((float(x.max()), x), (float(-x.min()), -x)):
        # A polarity with no real excursion (DC, silence) cannot be clipped.
        if peak < 0.05:
            continue
        total += _plateau_samples(side >= peak * (1 - _TOLERANCE))
    return total / len(x)
