"""Caricature: the clone carried further from the base voice than the mapping takes it.

Pure arrays in, arrays out, on the mel-cepstra of one sentence; :func:`voices.conversion.convert`
applies it last, after every mapping (``ConversionOptions.caricature``, ``caricature_high``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from voices.prior import low_band
from voices.world import CONVERT_FFT, MCEP_DIM, RATE, log_envelope

# Where ``beta_high`` takes over from ``beta`` (over ±500 Hz): above the first two formants.
HIGH_BAND_HZ = 2500.0


def exaggerate(plain: np.ndarray, mapped: np.ndarray, beta: float, beta_high: float | None = None,
               low_reference: np.ndarray | None = None) -> np.ndarray:
    """Carry every frame ``beta`` further along its own conversion (c0 kept).

    What the mappings cannot learn from a 10 s clip (the frame detail of phones it does
    not hold) stays the base voice's, and the Piper voice already sounds like some real
    speakers: the clone of a speaker near it is heard as that neighbour (measured:
    resemblyzer put two low-voiced speakers' clones nearest the speaker the unconverted
    base is nearest to). Overshooting the base → clone difference, a caricature in the
    sense of voice-perception studies, moves the clone away from the base voice's
    neighbourhood along directions learned from the speaker's own clip (what it buys and
    costs: docs/synthesis_bench.md).

    ``beta_high`` is the caricature above :data:`HIGH_BAND_HZ`: the first two
    formants, which carry the words, sit below it, the higher formants and the voice
    quality that tell speakers apart above it, so the overshoot can be larger there for
    the same WER. The log-spectrum is linear in the mel-cepstrum, so
    the frequency-dependent overshoot is one fixed 40x40 matrix (:func:`_band_operator`).

    ``low_reference`` (``caricature_from_average``): below 8 kHz the overshoot is
    measured from these frames (the base voice mapped onto the average speaker of
    :mod:`voices.prior`) instead of from the base voice: among many speakers, what tells one apart is how it differs
    from the average voice, not from Piper's.
    """
    diff = mapped[:, 1:] - plain[:, 1:]
    if low_reference is not None:
        low = low_band()
        diff = diff + (plain[:, 1:] - low_reference[:, 1:]) @ low
    out = mapped.copy()
    if beta_high is None or beta_high == beta:
        out[:, 1:] = mapped[:, 1:] + beta * diff
    else:
        out[:, 1:] = mapped[:, 1:] + diff @ _band_operator(beta, beta_high)[1:, 1:]
    return out


@lru_cache(maxsize=8)
def _band_operator(beta: float, beta_high: float) -> np.ndarray:
    """Mel-cepstrum → log-spectrum, scaled by β(f), → mel-cepstrum (least squares).

    β(f) is ``beta`` below :data:`HIGH_BAND_HZ` − 500 Hz, ``beta_high`` above it + 500 Hz,
    linear between.
    """
    basis = log_envelope(np.eye(MCEP_DIM), CONVERT_FFT) - log_envelope(np.zeros((1, MCEP_DIM)), CONVERT_FFT)
    f = np.linspace(0.0, RATE / 2, basis.shape[1])
    b = beta + (beta_high - beta) * np.clip((f - (HIGH_BAND_HZ - 500.0)) / 1000.0, 0.0, 1.0)
    return (basis * b) @ np.linalg.pinv(basis)
