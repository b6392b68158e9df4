"""Rebuild the population prior of the ``lr`` envelope map (``voices/trained/voice_prior.npz``).

    python bench/train_voice_prior.py [--data ../shared/data/librispeech261] [--limit N] [--extract-only]
                                      [--out voices/trained/voice_prior.npz]

Reads only the *training* speakers of ``../shared/data/librispeech261`` (train-clean-100,
speaker-disjoint from the impostors and from every judged speaker: ``bench/population.py``).
For each one, as enrollment does for a clip: the bundled ASR transcribes the utterance,
Piper reads the transcript, the two are DTW-aligned (``build_profile``, without the speaker
encoder) and the aligned pairs are kept (cached under ``bench/out/voice_prior/``). Then per
speaker the ``lr`` correction (``voices.conversion``) is fitted with a light ridge, its
outputs restricted to the band the 16 kHz recordings hold (:func:`voices.prior.low_band`),
and the population's mean map and its principal directions (eigenvoices) are stored.

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

from voices import conversion, models, prior
from voices.profile import build_profile

CACHE = Path(__file__).resolve().parent / "out" / "voice_prior"
KEEP = ("pair_srcw", "pair_tgt", "pair_phone", "srcw_lf0", "srcw_mcep_v", "srcw_mcep_u", "srcw_cap_v")
# Ridge weight of each training speaker's own fit: light (one utterance holds ~1,000-2,500
# pairs for 975 weights), enough to keep a short utterance's map finite.
TRAIN_RIDGE = 0.1


def transcribe(x16: np.ndarray) -> str:
    segments, _ = models.whisper().transcribe(x16, language="en", beam_size=5)
    return " ".join(s.text for s in segments).strip()


def extract(utt: population.Utterance) -> Path | None:
    """The speaker's aligned pairs and statistics, cached (None: too little to align)."""
    out = CACHE / f"{utt.speaker}.npz"
    if out.exists():
        return out
    x16 = population.read(utt.path, 16000)
    text = transcribe(x16)
    if len(text) < 20:
        return None
    try:
        prof = build_profile(x16, 16000, transcript=text, embed=False)
    except ValueError:
        return None
    if "pair_srcw" not in prof.extras:
        return None
    arrays = {k: prof.extras[k] for k in KEEP if k in prof.extras}
    arrays.update(prof.target.to_arrays("tgt_"))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out.with_suffix(".tmp.npz"), **arrays)
    out.with_suffix(".tmp.npz").rename(out)
    (CACHE / f"{utt.speaker}.txt").write_text(json.dumps({"text": text, "sex": utt.sex}))
    return out


def speaker_map(path: Path) -> np.ndarray:
    """One training speaker's ``lr`` map (weights, 25 x 39), outputs below 8 kHz only."""
    extras, src, tgt = _load(path)
    fit = conversion._LinearMap.fit(extras, src, tgt, TRAIN_RIDGE)
    return fit.w @ prior.low_band()


def _load(path: Path) -> tuple[dict[str, np.ndarray], conversion.Stats, conversion.Stats]:
    with np.load(path) as z:
        extras = {k: z[k] for k in z.files}
    return extras, conversion.Stats.from_arrays(extras, "srcw_"), conversion.Stats.from_arrays(extras, "tgt_")


# (label, lam, population, components): the default's ridge (lr3 + lrh1) toward no
# correction, toward the population mean, toward the clip's eigenvoice point.
CONFIGS = [("no prior (lr3+lrh1)", 3.0, "", 0), ("pop lr1", 1.0, "pop", 0), ("pop lr3", 3.0, "pop", 0),
           ("pop lr10", 10.0, "pop", 0), ("eig4 lr3", 3.0, "eig", 4), ("eig8 lr3", 3.0, "eig", 8),
           ("eig16 lr3", 3.0, "eig", 16), ("eig8 lr10", 10.0, "eig", 8)]


def validate(paths: list[Path], maps: np.ndarray) -> None:
    """Held-out envelope error on the training speakers themselves (no judged speaker).

    Two folds of speakers: the prior is trained on one, and each speaker of the other
    fits its map on the first half of its pairs (a shorter clip's worth) and predicts
    the second half's real frames. Printed: RMS log-spectral error below 7 kHz (dB).
    """
    basis = prior.log_basis()
    f = np.linspace(0.0, 12000.0, basis.shape[1])
    low = basis[1:, f < prior.LOW_BAND_HZ]
    rows: dict[str, list[float]] = {label: [] for label, *_ in CONFIGS}
    folds = np.arange(len(paths)) % 2
    for fold in (0, 1):
        models_k = {k: prior.VoicePrior.train(maps[folds != fold], k) for k in {c[3] for c in CONFIGS}}
        for i in np.flatnonzero(folds == fold):
            extras, src, tgt = _load(paths[i])
            n = len(extras["pair_tgt"])
            a = {k: (v[: n // 2] if k.startswith("pair_") else v) for k, v in extras.items()}
            b_src = extras["pair_srcw"][n // 2:].astype(np.float64)
            b_tgt = extras["pair_tgt"][n // 2:].astype(np.float64)
            b_mapped = conversion.map_mcep(b_src, np.ones(len(b_src), bool), src, tgt)
            for label, lam, pop, k in CONFIGS:
                fit = conversion._LinearMap.fit(a, src, tgt, lam, 1.0, pop, models_k[k])
                err = (fit.apply(b_mapped)[:, 1:] - b_tgt[:, 1:]) @ low
                rows[label].append(float(np.sqrt(np.mean(err**2))) * 10 / np.log(10))  # power, ln -> dB
    print("| map prior | log-spectral error < 7 kHz, dB (mean over speakers) | vs no prior |")
    print("|---|---|---|")
    ref = np.array(rows[CONFIGS[0][0]])
    for label, errs in rows.items():
        print(f"| {label} | {np.mean(errs):.3f} | {np.mean(np.array(errs) - ref):+.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(population.LIBRISPEECH), help="the librispeech261 folder")
    ap.add_argument("--limit", type=int, default=0, help="at most this many training speakers (0: all)")
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--cached", action="store_true", help="use only the speakers already extracted")
    ap.add_argument("--validate", action="store_true", help="print the held-out envelope error per prior setting")
    ap.add_argument("--components", type=int, default=prior.COMPONENTS)
    ap.add_argument("--out", default=str(prior.DEFAULT_PATH))
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
    maps = np.stack([speaker_map(p) for p in paths])
    if args.validate:
        validate(paths, maps)
    stats = [_load(p)[2] for p in paths]
    average = np.stack([np.mean([getattr(t, f) for t in stats], axis=0)
                        for f in ("mcep_mean_v", "mcep_std_v", "mcep_mean_u", "mcep_std_u")])
    model = prior.VoicePrior.train(maps, args.components, average)
    model.save(Path(args.out))
    print(f"{len(paths)} training speakers; mean map norm {np.linalg.norm(model.mean):.3f}; "
          f"variance explained by {args.components} components "
          f"{model.explained:.2f}; wrote {args.out} ({Path(args.out).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
