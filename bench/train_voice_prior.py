"""Rebuild the average speaker of ``voices.prior`` (``voices/trained/voice_prior.npz``) and the
neighbour speakers' bank of ``voices.neighbours`` (``voices/trained/neighbour_phones.npz``).

    python bench/train_voice_prior.py [--data ../shared/data/librispeech261] [--limit N] [--extract-only]
                                      [--cached] [--validate] [--out FILE] [--bank-out FILE]

Reads only the *training* speakers of ``../shared/data/librispeech261`` (train-clean-100,
speaker-disjoint from the impostors and from every judged speaker: ``bench/population.py``).
For each one, as enrollment does for a clip: the bundled ASR transcribes the utterance,
Piper reads the transcript, the two are DTW-aligned (``build_profile``, without the speaker
encoder) and the aligned pairs and statistics are kept (cached per speaker under
``bench/out/voice_prior/``, so a stopped run resumes). The average speaker is the mean over
speakers of each one's mel-cepstral statistics (per coefficient, voiced and unvoiced frames;
valid below 8 kHz, the recordings' band); the bank holds each speaker's acoustic key and mean
residual per phone from its own linear map. ``--validate`` prints the speaker-disjoint check
the neighbour constants were chosen by (:func:`validate`).

Trained on LibriSpeech (Panayotov et al., ICASSP 2015; CC BY 4.0).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import population

from voices import conversion, models, neighbours, prior
from voices.conversion_options import ConversionOptions
from voices.profile import build_profile

CACHE = Path(__file__).resolve().parent / "out" / "voice_prior"
KEEP = ("pair_srcw", "pair_tgt", "pair_phone", "srcw_lf0", "srcw_mcep_v", "srcw_mcep_u", "srcw_cap_v")


def transcribe(x16: np.ndarray) -> str:
    segments, _ = models.whisper().transcribe(x16, language="en", beam_size=5)
    return " ".join(s.text for s in segments).strip()


def extract(utt: population.Utterance) -> Path | None:
    """The speaker's aligned pairs and statistics, cached per speaker so an interrupted
    run resumes where it stopped (None: too little to align, remembered too)."""
    out = CACHE / f"{utt.speaker}.npz"
    failed = CACHE / f"{utt.speaker}.failed"
    if out.exists():
        return out
    if failed.exists():  # tried before: too few words or voiced frames
        return None
    x16 = population.read(utt.path, 16000)
    text = transcribe(x16)
    prof = None
    if len(text) >= 20:
        try:
            prof = build_profile(x16, 16000, transcript=text, embed=False)
        except ValueError:
            prof = None
    if prof is None or "pair_srcw" not in prof.extras:
        CACHE.mkdir(parents=True, exist_ok=True)
        failed.write_text(text)
        return None
    arrays = {k: prof.extras[k] for k in KEEP if k in prof.extras}
    arrays.update(prof.target.to_arrays("tgt_"))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out.with_suffix(".tmp.npz"), **arrays)
    out.with_suffix(".tmp.npz").rename(out)
    (CACHE / f"{utt.speaker}.txt").write_text(json.dumps({"text": text, "sex": utt.sex}))
    return out


def _load(path: Path) -> tuple[dict[str, np.ndarray], conversion.Stats, conversion.Stats]:
    with np.load(path) as z:
        extras = {k: z[k] for k in z.files}
    return extras, conversion.Stats.from_arrays(extras, "srcw_"), conversion.Stats.from_arrays(extras, "tgt_")


def _residuals(extras: dict[str, np.ndarray], src: conversion.Stats,
               tgt: conversion.Stats) -> tuple[np.ndarray, np.ndarray]:
    """The pairs' residuals from the speaker's own linear map (the default's ridges), c1-39."""
    o = ConversionOptions()
    fit = conversion._LinearMap.fit(extras, src, tgt, o.ridge, o.timbre_ridge)
    return extras["pair_phone"], extras["pair_tgt"].astype(np.float64)[:, 1:] - fit.apply(fit.pairs_mapped)[:, 1:]


def train_bank(paths: list[Path]) -> neighbours.NeighbourBank:
    keys, phone_lists, residuals = [], [], []
    for path in paths:
        extras, src, tgt = _load(path)
        ph, res = _residuals(extras, src, tgt)
        keys.append(neighbours.acoustic_key(extras["pair_tgt"], (tgt.lf0_mean, tgt.lf0_std)))
        phone_lists.append(ph)
        residuals.append(res)
    return neighbours.NeighbourBank.train(keys, phone_lists, residuals)


# (label, K nearest, loan weight, shrink held phones toward the loan, weight of the residual
# distance against the key's: 0 key only, -1 eigenvoices of the residuals, K of them); K 0: no loans.
CONFIGS = [("none (default)", 0, 0.0, False, 0.0)] + [
    (f"K {k}, w {w:g}, held, key", k, w, True, 0.0) for k in (16, 32, 64) for w in (0.5, 1.0)] + [
    ("K 32, w 1, held, key+1 res", 32, 1.0, True, 1.0), ("K 32, w 1, missing only, key", 32, 1.0, False, 0.0),
    ("all speakers, w 1, held", 999, 1.0, True, 0.0), ("K 32 random, w 1, held", -32, 1.0, True, 0.0),
    ("eigen 8, w 1, held", 8, 1.0, True, -1.0),
    ("linear map only (no phk)", 0, 0.0, False, 0.0), ("oracle: own held-back phone means", 0, 1.0, False, 0.0)]


def _predict(bank: neighbours.NeighbourBank, key: np.ndarray, a: dict[str, np.ndarray], src: conversion.Stats,
             tgt: conversion.Stats, b_mapped: np.ndarray, b_ph: np.ndarray, k: int, w: float, held: bool,
             rw: float, same_fold: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The default's envelope for the held-back frames, fitted on ``a``, with loans of ``k`` neighbours."""
    lender = None
    if rw < 0:  # eigenvoices of the phone residuals: the clip's own phones place it
        space = _eigen_space(bank, same_fold)
        lender = lambda ph, res: _eigen_loans(space, bank.clip_phones(ph, res), k, bank.phone_ids)  # noqa: E731
    elif k < 0:  # a control: -k speakers drawn at random from the other fold
        pick = rng.choice(np.flatnonzero(~same_fold), min(-k, int((~same_fold).sum())), replace=False)
        exclude = ~np.isin(np.arange(len(same_fold)), pick)
        lender = lambda ph, res: bank.lend(key, -k, exclude)  # noqa: E731
    elif k:
        lender = lambda ph, res: bank.lend(key, k, same_fold, bank.clip_phones(ph, res), rw)  # noqa: E731
    o = ConversionOptions()
    return conversion.map_phones(b_mapped, b_ph, np.ones(len(b_ph), bool), a, src, tgt, o.ridge, o.phone_prior,
                                 lam_timbre=o.timbre_ridge, lender=lender, loan_weight=w, loan_held=held)


_spaces: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}


def _eigen_space(bank: neighbours.NeighbourBank, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lending speakers' mean phone residuals and principal directions (scaled) of
    their phone-residual supervectors (a phone a speaker lacks counts as the mean)."""
    tag = exclude.tobytes()
    if tag not in _spaces:
        res, n = bank.residuals[~exclude], bank.counts[~exclude]
        mu = np.einsum("sp,spd->pd", n, res) / np.maximum(n.sum(0), 1)[:, None]
        x = ((res - mu) * (n > 0)[..., None]).reshape(len(res), -1)
        _, sv, vt = np.linalg.svd(x, full_matrices=False)
        _spaces[tag] = (mu, (vt.T * sv / np.sqrt(len(res))).reshape(mu.shape[0], mu.shape[1], -1))
    return _spaces[tag]


def _eigen_loans(space: tuple[np.ndarray, np.ndarray], clip: tuple[np.ndarray, np.ndarray], m: int,
                 ids: np.ndarray, phone_prior: float = 16.0) -> conversion.Loans:
    mu, v = space
    v = v[:, :, :m]
    means, counts = clip
    obs = counts > 0
    w = counts[obs] / (counts[obs] + phone_prior)
    a, y = v[obs], means[obs] - mu[obs]
    gram = np.einsum("o,odm,odn->mn", w, a, a) + np.eye(m)
    z = np.linalg.solve(gram, np.einsum("o,odm,od->m", w, a, y))
    pred = mu + v @ z
    return {int(p): (pred[j], 1.0) for j, p in enumerate(ids)}


def _oracle(a: dict[str, np.ndarray], src: conversion.Stats, tgt: conversion.Stats, b_mapped: np.ndarray,
            b_tgt: np.ndarray, b_ph: np.ndarray) -> np.ndarray:
    """The first half's linear map plus the held-back frames' own phone means: the most a
    per-phone loan could give."""
    o = ConversionOptions()
    fit = conversion._LinearMap.fit(a, src, tgt, o.ridge, o.timbre_ridge)
    pred = fit.apply(b_mapped)
    res = b_tgt[:, 1:] - pred[:, 1:]
    for p in np.unique(b_ph[b_ph >= 0]):
        pred[b_ph == p, 1:] += res[b_ph == p].mean(0)
    return pred


def _rms(err: np.ndarray) -> float:
    return float(np.sqrt(err.mean())) if err.size else np.nan


def validate(paths: list[Path], sexes: list[str]) -> None:
    """Held-back envelope error on the training speakers themselves (no judged speaker).

    Two folds of speakers (sexes mixed): each speaker of one fold fits its map and
    per-phone correction on the first half of its aligned pairs (a shorter clip's
    worth: it lacks more phones), borrows from the other fold's bank, and predicts the
    second half's real frames. Printed: RMS log-spectral error below 7 kHz (dB) on the
    held-back frames whose phone the first half lacks, and on all of them.
    """
    bank = train_bank(paths)
    basis = prior.log_basis()
    f = np.linspace(0.0, 12000.0, basis.shape[1])
    low = basis[1:, f < prior.LOW_BAND_HZ]
    folds = (np.arange(len(paths)) // 2) % 2
    rng = np.random.default_rng(0)
    rows: dict[str, list[tuple[float, float, str, float]]] = {c[0]: [] for c in CONFIGS}
    for i, path in enumerate(paths):
        extras, src, tgt = _load(path)
        n = len(extras["pair_tgt"])
        a = {k: (v[: n // 2] if k.startswith("pair_") else v) for k, v in extras.items()}
        b_src = extras["pair_srcw"][n // 2:].astype(np.float64)
        b_tgt = extras["pair_tgt"][n // 2:].astype(np.float64)
        b_ph = extras["pair_phone"][n // 2:]
        missing = ~np.isin(b_ph, a["pair_phone"]) & (b_ph >= 0)
        b_mapped = conversion.map_mcep(b_src, np.ones(len(b_src), bool), src, tgt)
        key = neighbours.acoustic_key(a["pair_tgt"], (tgt.lf0_mean, tgt.lf0_std))
        same_fold = folds == folds[i]
        for label, k, w, held, rw in CONFIGS:
            if label.startswith("oracle"):
                pred = _oracle(a, src, tgt, b_mapped, b_tgt, b_ph)
            elif label.startswith("linear"):
                o = ConversionOptions()
                pred = conversion._LinearMap.fit(a, src, tgt, o.ridge, o.timbre_ridge).apply(b_mapped)
            else:
                pred = _predict(bank, key, a, src, tgt, b_mapped, b_ph, k, w, held, rw, same_fold, rng)
            err = ((pred[:, 1:] - b_tgt[:, 1:]) @ low) ** 2 * (10 / np.log(10)) ** 2
            rows[label].append((_rms(err[missing]), _rms(err), sexes[i], _rms(err[~missing])))
    ref = rows[CONFIGS[0][0]]
    print(f"{len(paths)} training speakers, two folds; held-back frames of phones the first half lacks: "
          f"{np.mean([r[0] == r[0] for r in ref]):.0%} of speakers have some")
    print("| loans | missing phones, dB | vs none | all frames, dB | vs none | female, all | male, all | held phones |")
    print("|---|---|---|---|---|---|---|---|")
    for label, errs in rows.items():
        m = np.array([e[0] for e in errs])
        al = np.array([e[1] for e in errs])
        d_m, d_a = m - np.array([r[0] for r in ref]), al - np.array([r[1] for r in ref])
        by = {s: np.nanmean([d for d, e in zip(d_a, errs, strict=True) if e[2] == s]) for s in ("F", "M")}
        held_d = np.nanmean([e[3] - r[3] for e, r in zip(errs, ref, strict=True)])
        print(f"| {label} | {np.nanmean(m):.3f} | {np.nanmean(d_m):+.3f} | {al.mean():.3f} | {d_a.mean():+.3f} | "
              f"{by['F']:+.3f} | {by['M']:+.3f} | {held_d:+.3f} |")


def _target_stats(path: Path) -> conversion.Stats:
    return _load(path)[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(population.LIBRISPEECH), help="the librispeech261 folder")
    ap.add_argument("--limit", type=int, default=0, help="at most this many training speakers (0: all)")
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--cached", action="store_true", help="use only the speakers already extracted")
    ap.add_argument("--out", default=str(prior.DEFAULT_PATH))
    ap.add_argument("--bank-out", default=str(neighbours.DEFAULT_PATH), help="the neighbour speakers' bank")
    ap.add_argument("--validate", action="store_true", help="print the held-back envelope error per loan setting")
    args = ap.parse_args()
    train = population.split(Path(args.data))["training"]
    # Alternate the sexes so a partial run is balanced.
    by_sex = [[u for u in train if u.sex == s] for s in ("F", "M")]
    order = [u for pair in zip(*by_sex, strict=False) for u in pair]
    order += [u for group in by_sex for u in group[len(order) // 2:]]
    if args.limit:
        order = order[: args.limit]
    t0 = time.time()
    paths = []
    for k, utt in enumerate(order):
        if args.cached and not (CACHE / f"{utt.speaker}.txt").exists():
            continue
        p = extract(utt)
        if p is not None:
            paths.append(p)
        if k % 10 == 0:
            print(f"{k + 1}/{len(order)} speakers, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    if args.extract_only:
        return
    if args.validate:
        validate(paths, [json.loads(p.with_suffix(".txt").read_text())["sex"] for p in paths])
    stats = [_target_stats(p) for p in paths]
    model = prior.VoicePrior.train(*(np.stack([getattr(t, f) for t in stats])
                                     for f in ("mcep_mean_v", "mcep_std_v", "mcep_mean_u", "mcep_std_u")))
    model.save(Path(args.out))
    print(f"{len(paths)} training speakers; wrote {args.out} ({Path(args.out).stat().st_size} bytes)")
    train_bank(paths).save(Path(args.bank_out))
    print(f"wrote {args.bank_out} ({Path(args.bank_out).stat().st_size} bytes)")

if __name__ == "__main__":
    main()
