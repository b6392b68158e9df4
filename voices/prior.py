"""The average speaker, learned offline from many speakers: what the caricature is measured
from with ``ConversionOptions.caricature_from_average``.

The caricature (:mod:`voices.caricature`) carries a clone further along its conversion,
measured from the base voice. Among many speakers what tells one apart is how it differs
from the *average* voice, so that option measures the overshoot below 8 kHz from the base
voice mapped onto the average speaker's mel-cepstral statistics instead (mean and spread
per coefficient, voiced and unvoiced frames), averaged over LibriSpeech train-clean-100
speakers by ``bench/train_voice_prior.py``. Those recordings are 16 kHz, so the statistics
hold below 8 kHz only (:func:`low_band`); above it the overshoot stays measured from the
base voice. Trained on LibriSpeech (Panayotov et al., ICASSP 2015; CC BY 4.0): see
``voices/trained/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from voices.world import CONVERT_FFT, MCEP_DIM, RATE, log_envelope

DEFAULT_PATH = Path(__file__).resolve().parent / "trained" / "voice_prior.npz"
# The training recordings' band: full weight below LOW_BAND_HZ, none above it + 1 kHz.
LOW_BAND_HZ = 7000.0


@cache
def log_basis() -> np.ndarray:
    """(40, bins): the natural-log power spectrum each unit mel-cepstral coefficient adds."""
    return log_envelope(np.eye(MCEP_DIM), CONVERT_FFT) - log_envelope(np.zeros((1, MCEP_DIM)), CONVERT_FFT)


@lru_cache(maxsize=2)
def low_band(edge_hz: float = LOW_BAND_HZ) -> np.ndarray:
    """Operator (39 x 39, on c1-39 row vectors) keeping the log-spectrum below ``edge_hz``.

    The log-spectrum is linear in the mel-cepstrum: decode, weight by 1 below the edge
    and 0 from 1 kHz above it, re-code by least squares (as :mod:`voices.caricature`).
    """
    basis = log_basis()
    f = np.linspace(0.0, RATE / 2, basis.shape[1])
    w = np.clip(1.0 - (f - edge_hz) / 1000.0, 0.0, 1.0)
    return ((basis * w) @ np.linalg.pinv(basis))[1:, 1:]


@dataclass(frozen=True)
class VoicePrior:
    """The average speaker's envelope statistics over the training speakers."""

    # Rows: voiced mean, voiced spread, unvoiced mean, unvoiced spread (MCEP_DIM each).
    average: np.ndarray
    speakers: int

    @classmethod
    def train(cls, means_v: np.ndarray, stds_v: np.ndarray, means_u: np.ndarray, stds_u: np.ndarray) -> VoicePrior:
        """From per-speaker statistics (N, MCEP_DIM each): their mean over speakers."""
        average = np.stack([means_v.mean(0), stds_v.mean(0), means_u.mean(0), stds_u.mean(0)])
        return cls(average, len(means_v))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, average=self.average.astype(np.float32), speakers=np.array([self.speakers]))

    @classmethod
    def load(cls, path: Path) -> VoicePrior:
        with np.load(path, allow_pickle=False) as z:
            average = z["average"].astype(np.float64)
            speakers = int(z["speakers"][0])
        if average.shape != (4, MCEP_DIM) or not np.all(np.isfinite(average)) or np.any(average[[1, 3]] <= 0):
            raise ValueError(f"voice prior {path}: not 4 x {MCEP_DIM} finite statistics with positive spreads")
        return cls(average, speakers)


@cache
def default() -> VoicePrior:
    """The committed prior (``voices/trained/voice_prior.npz``), loaded once per process."""
    return VoicePrior.load(DEFAULT_PATH)
