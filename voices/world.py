"""WORLD analysis and synthesis at the conversion rate: the vocoder under cloned voices.

WORLD (Morise et al., 2016; ``pyworld``) splits speech into F0, a smooth spectral
envelope (kept as its coded, mel-cepstral form) and band aperiodicity, each of which can
be changed on its own and put back together. Enrollment analyses at :data:`FRAME_MS`;
each request at the cheaper :data:`CONVERT_FRAME_MS` / :data:`CONVERT_FFT`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyworld as pw

RATE = 24000
KNN_DIM = 25  # coefficients 1..24 carry the envelope shape that identifies a phone
FRAME_MS = 5.0  # analysis at enrollment: statistics, alignment, warp fit
# Per request: 10 ms frames and 512-point pulses halve the WORLD cost of a sentence
# (docs/synthesis_bench.md, "Speed"): the output differs from 5 ms / 1024 by less
# (log-spectral distance ~2 dB) than moving the same analysis by a fraction of a frame
# does (~5 dB), and likeness and WER stay within run-to-run noise.
CONVERT_FRAME_MS = 10.0
CONVERT_FFT = 512
# DIO on a 3x decimated signal (its ``speed`` option), StoneMask refining on the full one:
# DIO at full rate was the costliest step of a conversion (87 of ~240 ms for a 4.6 s
# sentence on the reference machine, 14 ms decimated); the refined F0 stays within 2
# cents (p95) and 98 % of frames keep their voicing decision (docs/synthesis_bench.md).
CONVERT_DIO_SPEED = 3
MCEP_DIM = 40
F0_FLOOR = 60.0
F0_CEIL = 500.0
AP_MS = 20.0  # D4C every 20 ms (see coarse_aperiodicity)


@dataclass
class Features:
    """WORLD parameters of one signal, frame-synchronous (``FRAME_MS``)."""

    f0: np.ndarray  # (T,) Hz, 0 where unvoiced
    mcep: np.ndarray  # (T, MCEP_DIM) coded spectral envelope
    cap: np.ndarray  # (T, bands) coded aperiodicity (dB)
    fft_size: int
    sp: np.ndarray | None = None  # (T, fft_size // 2 + 1) power envelope, when kept

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0


def analyze(x: np.ndarray, *, accurate_f0: bool = False, keep_sp: bool = False,
            frame_ms: float = FRAME_MS, dio_speed: int = 1) -> Features:
    """WORLD analysis at :data:`RATE`.

    ``accurate_f0`` uses Harvest (slow, robust on real recordings: enrollment) instead
    of DIO + StoneMask (fast, fine on clean synthetic speech: per-request).
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if accurate_f0:
        f0, t = pw.harvest(x, RATE, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=frame_ms)
    else:
        f0, t = pw.dio(x, RATE, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=frame_ms, speed=dio_speed)
        f0 = pw.stonemask(x, f0, t, RATE)
    sp = pw.cheaptrick(x, f0, t, RATE)
    fft_size = (sp.shape[1] - 1) * 2
    return Features(
        f0=f0,
        mcep=pw.code_spectral_envelope(sp, RATE, MCEP_DIM),
        cap=coarse_aperiodicity(x, f0, t, max(1, round(AP_MS / frame_ms))),
        fft_size=fft_size,
        sp=sp if keep_sp else None,
    )


def coarse_aperiodicity(x: np.ndarray, f0: np.ndarray, t: np.ndarray, step: int = 2) -> np.ndarray:
    """Coded band aperiodicity (dB) from D4C run on every ``step``-th frame only.

    D4C is the costliest WORLD analysis (about 40 % of a conversion), and band
    aperiodicity moves slowly: D4C every 10 ms / 20 ms, interpolated, differs from a 5 ms
    analysis by ~0.3 / ~0.7 dB against a 1.3-2.2 dB spread over voiced speech. Frames
    that are unvoiced at full rate are set fully aperiodic (0 dB), as D4C itself does, so
    a voicing edge never borrows periodicity from its neighbour.
    """
    if step <= 1 or len(f0) < 2 * step:
        return pw.code_aperiodicity(pw.d4c(x, f0, t, RATE), RATE)
    cap = pw.code_aperiodicity(
        pw.d4c(x, np.ascontiguousarray(f0[::step]), np.ascontiguousarray(t[::step]), RATE), RATE
    )
    full = np.stack([np.interp(t, t[::step], cap[:, k]) for k in range(cap.shape[1])], axis=1)
    full[f0 <= 0] = 0.0
    return np.ascontiguousarray(full)


def synthesize(f0: np.ndarray, mcep: np.ndarray, cap: np.ndarray, fft_size: int,
               frame_ms: float = FRAME_MS) -> np.ndarray:
    sp = pw.decode_spectral_envelope(np.ascontiguousarray(mcep), RATE, fft_size)
    ap = pw.decode_aperiodicity(np.ascontiguousarray(cap), RATE, fft_size)
    return pw.synthesize(np.ascontiguousarray(f0), sp, ap, RATE, frame_ms)


def log_envelope(mcep: np.ndarray, fft_size: int) -> np.ndarray:
    """The natural-log spectral envelope coded by ``mcep`` (linear in ``mcep``)."""
    return np.log(pw.decode_spectral_envelope(np.ascontiguousarray(mcep), RATE, fft_size))


def speech_frames(feats: Features, floor_db: float = 35.0) -> np.ndarray:
    """Frames within ``floor_db`` of the loud end of the clip (not silence)."""
    energy = feats.mcep[:, 0]
    top = np.percentile(energy, 95) if len(energy) else 0.0
    # c0 of WORLD's coded envelope is a natural-log-ish level; 35 dB ~ 8 nepers.
    return energy > top - floor_db / 8.686 * 2
