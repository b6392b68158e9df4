"""Voice conversion of the Piper base voice toward an enrolled speaker, with WORLD.

WORLD (Morise et al., 2016; ``pyworld``) splits speech into F0, a smooth spectral
envelope and band aperiodicity, each of which can be changed on its own and put back
together. The envelope is handled as WORLD's coded (mel-cepstral) envelope, where a
speaker's timbre shows as the mean and spread of each coefficient.

What is applied, all learned once at enrollment (see :mod:`voices.profile`):

- F0: log-Gaussian mapping (level and range), the standard in VC baselines.
- Envelope: per-coefficient mean/variance mapping of the mel-cepstrum, separately for
  voiced and unvoiced frames (vowels and fricatives move differently between speakers).
- Aperiodicity: the band aperiodicity's voiced-frame mean is shifted to the target's
  (breathiness).

On top of these, :func:`convert` applies what :class:`voices.conversion_options.ConversionOptions`
turns on: the frequency warp, a linear map and a per-phone correction fitted on the
enrollment's aligned frame pairs, a caricature (:mod:`voices.caricature`) and Piper's
own unvoiced samples (:mod:`voices.envelope_filter`).

The vocoder is :mod:`voices.world`, the frequency warp :mod:`voices.warp`, the output
level :mod:`voices.loudness`. Everything here is numpy/pyworld on float64 arrays at
:data:`voices.world.RATE`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyworld as pw
from scipy.ndimage import uniform_filter1d

from voices import envelope_filter
from voices import prior as voice_prior
from voices.caricature import exaggerate
from voices.conversion_options import ConversionOptions
from voices.phones import NO_PHONE, frame_labels
from voices.warp import warp_envelope
from voices.world import (
    CONVERT_DIO_SPEED,
    CONVERT_FFT,
    CONVERT_FRAME_MS,
    KNN_DIM,
    MCEP_DIM,
    RATE,
    Features,
    analyze,
    log_envelope,
    speech_frames,
    synthesize,
)

# Pairs of the same phone whose mean residual corrects a frame (map_phones).
PHONE_NEIGHBOURS = 8
DEFAULT_OPTIONS = ConversionOptions()
# First mel-cepstral coefficient whose part of the linear map gets its own ridge weight
# (``ConversionOptions.timbre_ridge``): c1-8 draw the broad envelope (the formant
# structure that tells phones apart), c9-39 its finer shape.
TIMBRE_FROM = 9


@dataclass
class Stats:
    """Statistics of one voice that the Gaussian mappings need."""

    lf0_mean: float
    lf0_std: float
    mcep_mean_v: np.ndarray
    mcep_std_v: np.ndarray
    mcep_mean_u: np.ndarray
    mcep_std_u: np.ndarray
    cap_mean_v: np.ndarray

    @classmethod
    def of(cls, feats: Features) -> Stats:
        speech = speech_frames(feats)
        v = feats.voiced & speech
        u = ~feats.voiced & speech
        if v.sum() < 20:
            raise ValueError("too little voiced speech to learn a voice from")
        if u.sum() < 10:
            u = speech
        lf0 = np.log(feats.f0[v])
        return cls(
            lf0_mean=float(lf0.mean()),
            lf0_std=float(max(lf0.std(), 1e-3)),
            mcep_mean_v=feats.mcep[v].mean(0),
            mcep_std_v=np.maximum(feats.mcep[v].std(0), 1e-4),
            mcep_mean_u=feats.mcep[u].mean(0),
            mcep_std_u=np.maximum(feats.mcep[u].std(0), 1e-4),
            cap_mean_v=feats.cap[v].mean(0),
        )

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}lf0": np.array([self.lf0_mean, self.lf0_std], np.float32),
            f"{prefix}mcep_v": np.stack([self.mcep_mean_v, self.mcep_std_v]).astype(np.float32),
            f"{prefix}mcep_u": np.stack([self.mcep_mean_u, self.mcep_std_u]).astype(np.float32),
            f"{prefix}cap_v": np.asarray(self.cap_mean_v, np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> Stats:
        lf0 = arrays[f"{prefix}lf0"].astype(np.float64)
        mv = arrays[f"{prefix}mcep_v"].astype(np.float64)
        mu = arrays[f"{prefix}mcep_u"].astype(np.float64)
        return cls(
            lf0_mean=float(lf0[0]),
            lf0_std=float(lf0[1]),
            mcep_mean_v=mv[0],
            mcep_std_v=mv[1],
            mcep_mean_u=mu[0],
            mcep_std_u=mu[1],
            cap_mean_v=arrays[f"{prefix}cap_v"].astype(np.float64),
        )


def map_f0(f0: np.ndarray, src: Stats, tgt: Stats) -> np.ndarray:
    out = np.zeros_like(f0)
    v = f0 > 0
    lf0 = (np.log(f0[v]) - src.lf0_mean) / src.lf0_std * tgt.lf0_std + tgt.lf0_mean
    out[v] = np.exp(lf0)
    return out


def map_mcep(mcep: np.ndarray, voiced: np.ndarray, src: Stats, tgt: Stats) -> np.ndarray:
    """Mean/variance mapping of coefficients 1.. (c0, the frame level, is kept)."""
    out = mcep.copy()
    for mask, (ms, ss, mt, st) in (
        (voiced, (src.mcep_mean_v, src.mcep_std_v, tgt.mcep_mean_v, tgt.mcep_std_v)),
        (~voiced, (src.mcep_mean_u, src.mcep_std_u, tgt.mcep_mean_u, tgt.mcep_std_u)),
    ):
        if mask.any():
            out[mask, 1:] = (mcep[mask, 1:] - ms[1:]) * (st[1:] / ss[1:]) + mt[1:]
    return out


def map_cap(cap: np.ndarray, voiced: np.ndarray, src: Stats, tgt: Stats) -> np.ndarray:
    out = cap.copy()
    out[voiced] = np.minimum(cap[voiced] + (tgt.cap_mean_v - src.cap_mean_v), 0.0)
    return out


def align_index(source: Features, target: Features, src: Stats, tgt: Stats) -> tuple[np.ndarray, np.ndarray]:
    """DTW-align the base voice reading the clip's transcript with the clip itself.

    The base voice is first mapped with :func:`map_mcep`, so the alignment compares
    phones rather than voices. Returns the frame indices (source, target) of the aligned
    voiced speech pairs.
    """
    import librosa

    s_keep = np.flatnonzero(speech_frames(source))
    t_keep = np.flatnonzero(speech_frames(target))
    s_m = map_mcep(source.mcep, source.voiced, src, tgt)[s_keep, 1:KNN_DIM]
    t_m = target.mcep[t_keep, 1:KNN_DIM]
    # Every other frame (10 ms) is plenty for the path and quarters the cost matrix.
    _, path = librosa.sequence.dtw(X=s_m[::2].T, Y=t_m[::2].T, metric="euclidean")
    path = path[::-1] * 2
    si, ti = s_keep[path[:, 0]], t_keep[path[:, 1]]
    both = source.voiced[si] & target.voiced[ti]
    return si[both], ti[both]


def _knn(query: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    d = (query**2).sum(1)[:, None] - 2 * query @ keys.T + (keys**2).sum(1)[None, :]
    return np.argpartition(d, min(k, keys.shape[0] - 1), axis=1)[:, :k]


def map_linear(feats: Features, mapped: np.ndarray, src: Stats, tgt: Stats,
               extras: dict[str, np.ndarray], lam: float = 3.0, lam_timbre: float | None = None) -> np.ndarray:
    """Mean/variance mapping plus a ridge-regressed linear correction (the linear map).

    The diagonal mapping moves each coefficient on its own; the speaker's timbre also
    lives in how coefficients move together (formant structure). One linear map from
    the mapped base frame (coefficients 1-24, standardised) to the residual target −
    mapped (coefficients 1-39) is fitted on the aligned enrollment pairs; ``lam`` is the
    ridge weight relative to the number of pairs. Being global, it cannot copy a
    neighbour's phone the way exemplar lookups do, which is what keeps the words
    intelligible (measured: exemplars cost 4-7 WER points). The fit is a 25x25 solve
    over the stored pairs (~1 ms), so it is made per call rather than stored. ``lam_timbre`` is the ridge weight for the
    outputs from :data:`TIMBRE_FROM` up, where a freer fit costs the words less.
    """
    v = feats.voiced
    if not v.any() or "pair_srcw" not in extras:
        return mapped
    fit = _LinearMap.fit(extras, src, tgt, lam, lam_timbre)
    out = mapped.copy()
    out[v] = fit.apply(mapped[v])
    return out


@dataclass
class _LinearMap:
    """The linear correction fitted on the aligned pairs (see :func:`map_linear`)."""

    w: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    pairs_mapped: np.ndarray  # the pairs' base frames after mean/variance mapping

    @classmethod
    def fit(cls, extras: dict[str, np.ndarray], src: Stats, tgt: Stats, lam: float,
            lam_timbre: float | None = None) -> _LinearMap:
        ps = extras["pair_srcw"].astype(np.float64)
        pt = extras["pair_tgt"].astype(np.float64)
        ps_m = map_mcep(ps, np.ones(len(ps), bool), src, tgt)
        x = ps_m[:, 1:KNN_DIM]
        mu, sd = x.mean(0), x.std(0) + 1e-6
        xs = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
        res = pt[:, 1:] - ps_m[:, 1:]
        shrink = np.eye(xs.shape[1])
        shrink[0, 0] = 0.0  # the intercept (mean residual) is not shrunk
        gram, xy = xs.T @ xs, xs.T @ res
        w = np.linalg.solve(gram + lam * len(xs) * shrink, xy)
        if lam_timbre is not None:
            t = TIMBRE_FROM - 1  # res column of coefficient TIMBRE_FROM
            w[:, t:] = np.linalg.solve(gram + lam_timbre * len(xs) * shrink, xy[:, t:])
        return cls(w, mu, sd, ps_m)

    def apply(self, mcep: np.ndarray) -> np.ndarray:
        q = np.hstack([np.ones((len(mcep), 1)), (mcep[:, 1:KNN_DIM] - self.mu) / self.sd])
        out = mcep.copy()
        out[:, 1:] = mcep[:, 1:] + q @ self.w
        return out


def map_phones(mapped: np.ndarray, labels: np.ndarray, voiced: np.ndarray, extras: dict[str, np.ndarray],
               src: Stats, tgt: Stats, lam: float, prior: float = DEFAULT_OPTIONS.phone_prior,
               k: int = PHONE_NEIGHBOURS,
               lam_timbre: float | None = None) -> np.ndarray:
    """The linear map (of the mean/variance-mapped ``mapped``) plus what the clip taught
    about each phone (``ConversionOptions.phone_correction``).

    For every phone the clip holds, the mean residual (clip − linearly mapped base
    frame) over the ``k`` aligned pairs Piper labelled with that phone nearest the frame
    (all of them when it has no more), shrunk toward zero by ``n / (n + prior)`` (a
    phone said once is trusted less than one said often); a frame of a phone the clip
    lacks keeps the plain mapping. The correction is smoothed over 30 ms so phone
    boundaries do not step the envelope. A frame only ever borrows from its own phone.
    """
    ph = extras["pair_phone"]
    fit = _LinearMap.fit(extras, src, tgt, lam, lam_timbre)
    pairs_lr = fit.apply(fit.pairs_mapped)
    res = extras["pair_tgt"].astype(np.float64)[:, 1:] - pairs_lr[:, 1:]
    keys = pairs_lr[:, 1:KNN_DIM]
    out = mapped.copy()
    out[voiced] = fit.apply(mapped[voiced])
    track = np.zeros((len(mapped), mapped.shape[1] - 1))
    for p in np.unique(labels[voiced]):
        if p == NO_PHONE:
            continue
        sel = ph == p
        n = int(sel.sum())
        rows = voiced & (labels == p)
        if n == 0:
            continue
        if n > k:
            idx = _knn(out[rows, 1:KNN_DIM], keys[sel], k)
            track[rows] = res[sel][idx].mean(1) * n / (n + prior)
        else:
            track[rows] = res[sel].mean(0) * n / (n + prior)
    track = uniform_filter1d(track, 3, axis=0, mode="nearest")
    out[voiced, 1:] += track[voiced]
    return out


def convert(x: np.ndarray, src: Stats, tgt: Stats, extras: dict[str, np.ndarray] | None = None,
            options: ConversionOptions = DEFAULT_OPTIONS, phones: np.ndarray | None = None) -> np.ndarray:
    """Convert one sentence of base-voice audio at :data:`RATE` toward ``tgt``.

    In order: the frequency warp (``options.warp``), the mean/variance mapping, the
    linear map (per phone where ``phones``, Piper's per-sample phone labels, and the
    profile's ``pair_phone`` allow), the caricature, WORLD resynthesis with the mapped F0
    and aperiodicity, and Piper's own unvoiced samples filtered (``hybrid_unvoiced``).
    What a profile lacks is skipped: one built without words (no aligned pairs, no warp)
    gets the mean/variance mapping; one from before the phone labels, the linear map.
    """
    extras = extras or {}
    warp = options.warp and "warp_alpha" in extras
    feats = analyze(x, keep_sp=warp, frame_ms=CONVERT_FRAME_MS, dio_speed=CONVERT_DIO_SPEED)
    v = feats.voiced
    plain, src_plain = feats.mcep, src
    if warp and feats.sp is not None:
        # The warped base voice has its own statistics, measured at enrollment.
        feats.mcep = pw.code_spectral_envelope(warp_envelope(feats.sp, float(extras["warp_alpha"][0])), RATE, MCEP_DIM)
        src = Stats.from_arrays(extras, "srcw_")
    mcep = map_mcep(feats.mcep, v, src, tgt)
    if options.linear_map and warp:
        lam_timbre = options.timbre_ridge if options.timbre_ridge != options.ridge else None
        if options.phone_correction and phones is not None and "pair_phone" in extras and v.any():
            labels = frame_labels(phones, RATE, CONVERT_FRAME_MS, len(v))
            mcep = map_phones(mcep, labels, v, extras, src, tgt, options.ridge, options.phone_prior,
                              lam_timbre=lam_timbre)
        else:
            mcep = map_linear(feats, mcep, src, tgt, extras, options.ridge, lam_timbre)
    if options.has_caricature:
        reference = None
        if options.caricature_from_average:
            # Caricature away from the average speaker rather than from the base voice:
            # the base frames mapped onto the population's mean statistics (below 8 kHz).
            a = voice_prior.default().average  # F0 and aperiodicity are not mapped here
            reference = map_mcep(plain, v, src_plain, Stats(0.0, 1.0, a[0], a[1], a[2], a[3], np.zeros(1)))
        mcep = exaggerate(plain, mcep, options.caricature, options.caricature_high, low_reference=reference)
    y = synthesize(map_f0(feats.f0, src, tgt), mcep, map_cap(feats.cap, v, src, tgt), CONVERT_FFT, CONVERT_FRAME_MS)
    if options.hybrid_unvoiced:
        hop = round(CONVERT_FRAME_MS * RATE / 1000)
        log_ratio = 0.5 * (log_envelope(mcep, CONVERT_FFT) - log_envelope(plain, CONVERT_FFT))
        filtered = envelope_filter.filter_envelope(np.asarray(x, np.float64), log_ratio, hop)
        y = envelope_filter.voicing_mix(y, filtered, v, hop, ramp=hop // 2)
    return y.astype(np.float32)


def convert_in_halves(x: np.ndarray, convert_fn: Callable[[slice], np.ndarray],
                      pad_s: float = 0.05, fade_s: float = 0.01) -> Iterator[np.ndarray]:
    """Convert ``x`` as two halves, yielding the first before the second is converted.

    ``convert_fn`` converts ``x[part]`` for the slice it is given (a slice, so that what
    travels with the samples, their phone labels, is cut the same way). WORLD analysis
    and the frame mappings are local (a frame sees tens of ms around it), so each half
    is converted with ``pad_s`` of context past the cut and the two are cross-faded over
    ``fade_s`` at the quietest 20 ms between 35 % and 65 % of the piece: a word gap
    where there is one. Short pieces are converted whole.
    """
    pad, half_fade = int(pad_s * RATE), int(fade_s * RATE) // 2
    block = RATE // 50
    lo, hi = int(0.35 * len(x)) // block, int(0.65 * len(x)) // block
    if len(x) < RATE or hi - lo < 2:
        yield convert_fn(slice(0, len(x)))
        return
    energy = np.mean(x[lo * block : hi * block].reshape(-1, block).astype(np.float64) ** 2, axis=1)
    cut = (lo + int(np.argmin(energy))) * block + block // 2
    head = convert_fn(slice(0, cut + pad))
    yield head[: cut - half_fade]
    tail = convert_fn(slice(cut - pad, len(x)))
    ramp = np.linspace(0.0, 1.0, 2 * half_fade, dtype=np.float32)
    a = head[cut - half_fade : cut + half_fade]
    b = tail[pad - half_fade : pad + half_fade]
    yield np.concatenate([a * (1 - ramp) + b * ramp, tail[pad + half_fade :]]).astype(np.float32)
