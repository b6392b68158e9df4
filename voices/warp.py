"""Frequency warping of the spectral envelope (vocal-tract length) and its fit at enrollment."""

from __future__ import annotations

import numpy as np
import pyworld as pw

from voices.world import KNN_DIM, MCEP_DIM, RATE


def warp_envelope(sp: np.ndarray, alpha: float) -> np.ndarray:
    """Scale the envelope's frequency axis by ``alpha`` (> 1 moves formants up).

    A proportional warp is the first-order model of a longer or shorter vocal tract
    (e.g. Sundermann & Ney, VTLN-based voice conversion, 2003): it moves every formant
    together, so the phone stays recognisable while the speaker's formant scale changes.
    Interpolation is done on the log envelope.
    """
    if abs(alpha - 1.0) < 1e-3:
        return np.ascontiguousarray(sp)
    return _read_at(sp, np.arange(sp.shape[1]) / alpha)


def _read_at(sp: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The envelope read at fractional source bins ``pos`` (linear on the log envelope)."""
    n = sp.shape[1]
    pos = np.clip(pos, 0, n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    log_sp = np.log(np.maximum(sp, 1e-16))
    return np.ascontiguousarray(np.exp(log_sp[:, lo] * (1 - frac) + log_sp[:, hi] * frac))


def _warp_distance(sp: np.ndarray, tgt: np.ndarray, tm: np.ndarray, ts: np.ndarray, alpha: float) -> float:
    m = pw.code_spectral_envelope(warp_envelope(sp, alpha), RATE, MCEP_DIM)[:, 1:KNN_DIM]
    mapped = (m - m.mean(0)) / (m.std(0) + 1e-4) * ts + tm
    return float(np.sqrt(((mapped - tgt) ** 2).sum(1)).mean())


# 0.78..1.30 covers adult speakers relative to the (male) base voice: female vocal
# tracts are ~15-20% shorter, so their formants sit ~1.2x higher.
WARP_GRID = np.round(np.arange(0.78, 1.3001, 0.02), 3)


def fit_warp(pair_src: np.ndarray, pair_tgt: np.ndarray, fft_size: int) -> tuple[float, np.ndarray]:
    """Choose the warp factor that, followed by mean/variance mapping, brings the
    aligned base-voice frames closest to the speaker's (mel-cepstral distance).

    Returns the factor and the distance at each grid point (for diagnostics).
    """
    sp = pw.decode_spectral_envelope(np.ascontiguousarray(pair_src, dtype=np.float64), RATE, fft_size)
    tgt = pair_tgt[:, 1:KNN_DIM].astype(np.float64)
    tm, ts = tgt.mean(0), tgt.std(0) + 1e-4
    d = np.array([_warp_distance(sp, tgt, tm, ts, float(a)) for a in WARP_GRID])
    return float(WARP_GRID[int(np.argmin(d))]), d
