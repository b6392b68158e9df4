"""Neighbour speakers: what a clip's acoustically nearest corpus speakers lend it for the
phones it does not hold (``ConversionOptions.neighbour_phones``).

The per-phone correction (:func:`voices.conversion.map_phones`) adds, to the linear map,
what the clip showed of each phone; a 10 s clip holds only some of a language's phones,
and the rest keep the plain linear map. Corpus speakers whose envelope statistics are
close to the clip's tend to differ from their own linear map in the same way on the same
phones, so for every phone the :data:`K` nearest training speakers (by the acoustic key of
:func:`acoustic_key`: the low-band log-spectrum's mean and spread per band over the aligned
frames, and the F0 level and range; no speaker encoder) lend the mean of their own
residuals of that phone, count-weighted. The clip's own residual of a phone it holds is
shrunk toward that loan instead of toward zero.

The bank is learned offline by ``bench/train_voice_prior.py`` from LibriSpeech
train-clean-100 speakers (16 kHz), so loans are kept below 8 kHz (:func:`voices.prior.low_band`);
trained on LibriSpeech (Panayotov et al., ICASSP 2015; CC BY 4.0): ``voices/trained/README.md``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from voices.prior import LOW_BAND_HZ, log_basis, low_band
from voices.world import MCEP_DIM, RATE

DEFAULT_PATH = Path(__file__).resolve().parent / "trained" / "neighbour_phones.npz"
# Key bands: equal steps on the mel scale from 100 Hz to the training band's edge.
KEY_BANDS = 16
# Weight of the F0 part (level, range) against the 2 x KEY_BANDS spectral columns.
F0_WEIGHT = 4.0


@cache
def band_basis() -> np.ndarray:
    """(MCEP_DIM - 1, KEY_BANDS): coefficients c1-39 → mean natural-log power per band."""
    basis = log_basis()[1:]
    f = np.linspace(0.0, RATE / 2, basis.shape[1])
    mel = 2595.0 * np.log10(1.0 + np.array([100.0, LOW_BAND_HZ]) / 700.0)
    edges = 700.0 * (10 ** (np.linspace(mel[0], mel[1], KEY_BANDS + 1) / 2595.0) - 1.0)
    cols = [basis[:, (f >= lo) & (f < hi)].mean(1) for lo, hi in itertools.pairwise(edges)]
    return np.stack(cols, axis=1)


def acoustic_key(pair_tgt: np.ndarray, lf0: tuple[float, float]) -> np.ndarray:
    """What neighbours are chosen by: per band below 7 kHz, the mean and spread of the
    speaker's log-spectrum over its aligned voiced frames, then log-F0 mean and spread.

    Computed in bands of the low band only, so a 24 kHz clip and a 16 kHz corpus
    speaker are compared on the band both hold; c0 (the level) is left out.
    """
    bands = np.asarray(pair_tgt, np.float64)[:, 1:] @ band_basis()
    return np.concatenate([bands.mean(0), bands.std(0), [lf0[0], lf0[1]]])


@dataclass(frozen=True)
class NeighbourBank:
    """Per training speaker: its acoustic key and its mean residual (clip − own linear
    map, c1-39, low band) and pair count for each phone."""

    keys: np.ndarray  # (S, 2 * KEY_BANDS + 2)
    phone_ids: np.ndarray  # (P,) Piper phoneme ids
    residuals: np.ndarray  # (S, P, MCEP_DIM - 1), zero where the speaker lacks the phone
    counts: np.ndarray  # (S, P) aligned pairs of that phone

    @classmethod
    def train(cls, keys: list[np.ndarray], phones: list[np.ndarray], residuals: list[np.ndarray]) -> NeighbourBank:
        """From per speaker: its key, its pairs' phone ids and their residuals (n, 39)."""
        ids = np.unique(np.concatenate(phones))
        ids = ids[ids >= 0]
        res = np.zeros((len(keys), len(ids), MCEP_DIM - 1))
        counts = np.zeros((len(keys), len(ids)))
        low = low_band()
        for s, (ph, r) in enumerate(zip(phones, residuals, strict=True)):
            for j, p in enumerate(ids):
                sel = ph == p
                if sel.any():
                    res[s, j] = r[sel].mean(0) @ low
                    counts[s, j] = sel.sum()
        return cls(np.stack(keys), ids.astype(np.int16), res, counts)

    def scale(self) -> np.ndarray:
        """Per key column, the spread across the bank's speakers (the F0 part weighted)."""
        sd = self.keys.std(0) + 1e-9
        w = np.ones_like(sd)
        w[-2:] = np.sqrt(F0_WEIGHT * KEY_BANDS)  # two F0 columns weigh like F0_WEIGHT bands
        return sd / w

    def clip_phones(self, phones: np.ndarray, residuals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A clip's mean residual (low band) and pair count per phone of the bank, (P, 39), (P,)."""
        means = np.zeros((len(self.phone_ids), MCEP_DIM - 1))
        counts = np.zeros(len(self.phone_ids))
        for j, p in enumerate(self.phone_ids):
            sel = phones == p
            if sel.any():
                means[j] = residuals[sel].mean(0) @ low_band()
                counts[j] = sel.sum()
        return means, counts

    def distances(self, key: np.ndarray, clip: tuple[np.ndarray, np.ndarray] | None = None,
                  residual_weight: float = 0.0) -> np.ndarray:
        """(S,) how far each speaker is from the clip: the standardised key distance and,
        with ``clip`` (:meth:`clip_phones`), ``residual_weight`` x how far its residuals
        are on the phones both hold (count-weighted), each over its median."""
        d = (((self.keys - key) / self.scale()) ** 2).mean(1)
        d = d / max(float(np.median(d)), 1e-12)
        if clip is None or residual_weight <= 0:
            return d
        means, counts = clip
        w = counts * self.counts / np.maximum(counts + self.counts, 1e-9)  # (S, P)
        diff = ((self.residuals - means) ** 2).sum(-1)
        r = (w * diff).sum(1) / np.maximum(w.sum(1), 1e-9)
        r = np.where(w.sum(1) > 0, r, np.max(r))
        r = r / max(float(np.median(r)), 1e-12)
        if not np.isfinite(residual_weight):
            return r
        return d + residual_weight * r

    def lend(self, key: np.ndarray, k: int, exclude: np.ndarray | None = None,
             clip: tuple[np.ndarray, np.ndarray] | None = None,
             residual_weight: float = 0.0) -> dict[int, tuple[np.ndarray, float]]:
        """Phone id → (the ``k`` nearest speakers' count-weighted mean residual, their
        pairs of it), for every phone at least one of them holds (``exclude``: speakers
        not to lend)."""
        order = np.argsort(self.distances(key, clip, residual_weight))
        if exclude is not None:
            order = order[~exclude[order]]
        idx = order[:k]
        n = self.counts[idx]  # (k, P)
        total = n.sum(0)
        mean = np.einsum("kp,kpd->pd", n, self.residuals[idx]) / np.maximum(total, 1)[:, None]
        return {int(p): (mean[j], float(total[j])) for j, p in enumerate(self.phone_ids) if total[j] > 0}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, keys=self.keys.astype(np.float32), phone_ids=self.phone_ids,
                            residuals=self.residuals.astype(np.float16), counts=self.counts.astype(np.int16))

    @classmethod
    def load(cls, path: Path) -> NeighbourBank:
        with np.load(path, allow_pickle=False) as z:
            keys, ids = z["keys"].astype(np.float64), z["phone_ids"].astype(np.int16)
            res, counts = z["residuals"].astype(np.float64), z["counts"].astype(np.float64)
        s, p = len(keys), len(ids)
        if (keys.shape != (s, 2 * KEY_BANDS + 2) or res.shape != (s, p, MCEP_DIM - 1) or counts.shape != (s, p)
                or not (np.all(np.isfinite(keys)) and np.all(np.isfinite(res))) or s < 2):
            raise ValueError(f"neighbour bank {path}: arrays of inconsistent shapes or not finite")
        return cls(keys, ids, res, counts)


@cache
def default() -> NeighbourBank:
    """The committed bank (``voices/trained/neighbour_phones.npz``), loaded once per process."""
    return NeighbourBank.load(DEFAULT_PATH)
