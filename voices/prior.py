"""A population prior for the ``lr`` envelope map, learned offline from many speakers.

A 10 s clip holds ~1,000-2,000 aligned frame pairs for a linear map of 975 weights, so
:func:`voices.conversion.map_linear` shrinks the map hard toward zero (no correction
beyond the mean/variance mapping). Shrinking toward what the map usually looks like
across speakers instead (MAP adaptation, ``+pop``), or toward the point of a
low-dimensional space of maps that the clip's pairs place the speaker at (eigenvoices,
``+eig``), lets a short clip borrow what other speakers taught about phones it does
not hold.

The prior is trained by ``bench/train_voice_prior.py`` on LibriSpeech train-clean-100
speakers (16 kHz recordings: the maps' outputs are restricted to the envelope below
8 kHz by :func:`low_band`; above it the clip's own mapping stays). Trained on
LibriSpeech (Panayotov et al., ICASSP 2015; CC BY 4.0): see ``voices/trained/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from voices.world import CONVERT_FFT, KNN_DIM, MCEP_DIM, RATE, log_envelope

DEFAULT_PATH = Path(__file__).resolve().parent / "trained" / "voice_prior.npz"
COMPONENTS = 8
# The training recordings' band: full weight below LOW_BAND_HZ, none above it + 1 kHz.
LOW_BAND_HZ = 7000.0
SHAPE = (KNN_DIM, MCEP_DIM - 1)  # the lr map: intercept + c1-24 in, c1-39 out


@cache
def log_basis() -> np.ndarray:
    """(40, bins): the natural-log spectrum each unit mel-cepstral coefficient adds."""
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
    """Mean ``lr`` map over the training speakers and its principal directions."""

    mean: np.ndarray  # SHAPE
    components: np.ndarray  # (K, SHAPE[0] * SHAPE[1]), orthonormal rows
    scales: np.ndarray  # (K,) standard deviation of the speakers along each
    speakers: int
    explained: float  # fraction of the between-speaker variance the K directions hold
    # The average speaker's mel-cepstral statistics (rows: voiced mean, voiced spread,
    # unvoiced mean, unvoiced spread; valid below 8 kHz), for ``+exp``.
    average: np.ndarray

    @classmethod
    def train(cls, maps: np.ndarray, k: int = COMPONENTS, average: np.ndarray | None = None) -> VoicePrior:
        """From per-speaker maps (N, *SHAPE): mean and the top ``k`` principal directions;
        ``average`` (4, 40): the mean of the speakers' statistics (zeros without)."""
        flat = maps.reshape(len(maps), -1)
        mean = flat.mean(0)
        _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
        var = s**2 / max(len(maps) - 1, 1)
        avg = np.zeros((4, MCEP_DIM)) if average is None else np.asarray(average, np.float64)
        return cls(mean.reshape(SHAPE), vt[:k], np.sqrt(var[:k]), len(maps), float(var[:k].sum() / var.sum()), avg)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, mean=self.mean.astype(np.float32), components=self.components.astype(np.float32),
                            scales=self.scales.astype(np.float32), speakers=np.array([self.speakers]),
                            explained=np.array([self.explained]), average=self.average.astype(np.float32))

    @classmethod
    def load(cls, path: Path) -> VoicePrior:
        with np.load(path, allow_pickle=False) as z:
            mean = z["mean"].astype(np.float64)
            if mean.shape != SHAPE:
                raise ValueError(f"voice prior {path}: map shape {mean.shape}, expected {SHAPE}")
            return cls(mean, z["components"].astype(np.float64), z["scales"].astype(np.float64),
                       int(z["speakers"][0]), float(z["explained"][0]), z["average"].astype(np.float64))

    def place(self, xs: np.ndarray, res: np.ndarray, weight: float = 1.0) -> np.ndarray:
        """The map of the eigenvoice space nearest the clip's pairs (a prior mean, SHAPE).

        ``xs`` (n, 25) are the pairs' regressors (intercept + standardised c1-24), ``res``
        (n, 39) their residuals. Least squares over the K coordinates, each held near
        the population by its spread (``weight`` x the Gaussian prior); the residual is
        compared below 8 kHz only, where the directions live. The prior term is the
        Gaussian one: the residual's own variance over each direction's.
        """
        k = len(self.components)
        if k == 0:
            return self.mean
        comps = self.components.reshape(k, *SHAPE)
        pred = np.einsum("nd,kdo->kno", xs, comps)  # each direction's effect on the pairs
        target = res @ low_band() - xs @ self.mean
        noise = float(np.mean(target**2))
        gram = np.einsum("kno,jno->kj", pred, pred) + weight * noise * np.diag(1.0 / np.maximum(self.scales, 1e-9) ** 2)
        a = np.linalg.solve(gram, np.einsum("kno,no->k", pred, target))
        return self.mean + np.tensordot(a, comps, axes=1)


@cache
def default() -> VoicePrior:
    """The committed prior (``voices/trained/voice_prior.npz``), loaded once per process."""
    return VoicePrior.load(DEFAULT_PATH)
