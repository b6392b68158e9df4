"""Rebuild the average speaker of ``voices.prior`` (``voices/trained/voice_prior.npz``).

    python bench/train_voice_prior.py [--data ../shared/data/librispeech261] [--limit N] [--extract-only]
                                      [--cached] [--out FILE]

Reads only the *training* speakers of ``../shared/data/librispeech261`` (train-clean-100,
speaker-disjoint from the impostors and from every judged speaker: ``bench/population.py``).
For each one, as enrollment does for a clip: the bundled ASR transcribes the utterance,
Piper reads the transcript, the two are DTW-aligned (``build_profile``, without the speaker
encoder) and the aligned pairs and statistics are kept (cached per speaker under
``bench/out/voice_prior/``, so a stopped run resumes). The average speaker is the mean over
speakers of each one's mel-cepstral statistics (per coefficient, voiced and unvoiced frames;
valid below 8 kHz, the recordings' band).

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


def _target_stats(path: Path) -> conversion.Stats:
    return _load(path)[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(population.LIBRISPEECH), help="the librispeech261 folder")
    ap.add_argument("--limit", type=int, default=0, help="at most this many training speakers (0: all)")
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--cached", action="store_true", help="use only the speakers already extracted")
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
    stats = [_target_stats(p) for p in paths]
    model = prior.VoicePrior.train(*(np.stack([getattr(t, f) for t in stats])
                                     for f in ("mcep_mean_v", "mcep_std_v", "mcep_mean_u", "mcep_std_u")))
    model.save(Path(args.out))
    print(f"{len(paths)} training speakers; wrote {args.out} ({Path(args.out).stat().st_size} bytes)")

if __name__ == "__main__":
    main()
