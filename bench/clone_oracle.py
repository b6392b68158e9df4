"""Where a clone's likeness is lost: swap one WORLD stream at a time for the real speaker's.

    python bench/clone_oracle.py [DATA] [--speakers spk0,spk2,spk6,spk7] [--utts 4] [--detail]

For each held-out utterance, Piper reads its ASR transcript and the enrolled profile
converts it; then F0, aperiodicity or the spectral envelope of that conversion is replaced
by the real utterance's (DTW-aligned on mel-cepstra), and resemblyzer scores each variant
against the speakers' held-out centroids (the centroids include the utterance itself: this
is a diagnostic of which stream carries identity, not an accuracy figure). A second table
checks that WORLD analysis/resynthesis of the real utterances keeps them identified (the
vocoder is not the limit). Same data and enrollment as ``bench/clone_quality.py``.

``--detail`` asks which part of the real envelope carries the identity instead: the real
envelope only on the frames of phones the clip holds (>= 8 aligned pairs) or only on the
others; only in a band of mel-cepstral coefficients; the real − converted residual
smoothed over 100 ms or 300 ms; or reduced to one mean per phone (Piper's labels), as a
per-phone correction could at best learn it with every phone covered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import clone_quality as cq

from voices import conversion as C
from voices import world
from voices.phones import NO_PHONE, frame_labels
from voices.profile import build_profile, speaker_embedding
from voices.synthesis import OUTPUT_RATE, piper_reading
from voices.text_normalize import normalize

VARIANTS = ["converted", "+ real F0", "+ real aperiodicity", "+ real envelope", "+ real envelope & F0"]
DETAIL = ["converted", "real env.", "real on clip's phones", "real on other phones", "real c1-8", "real c9-24",
          "real c25-39", "residual 100 ms", "residual 300 ms", "residual per phone"]


def _aligned(conv: np.ndarray, x: np.ndarray) -> tuple[world.Features, world.Features, np.ndarray]:
    """WORLD features of the conversion and the real utterance, and the real frame for
    each converted frame (DTW on mel-cepstra)."""
    import librosa

    fc, fr = world.analyze(conv), world.analyze(x)
    _, path = librosa.sequence.dtw(X=fc.mcep[:, 1:25].T, Y=fr.mcep[:, 1:25].T, metric="euclidean")
    m = np.zeros(len(fc.f0), int)
    m[path[::-1, 0]] = path[::-1, 1]
    return fc, fr, m


def detail(x: np.ndarray, conv: np.ndarray, phones: np.ndarray, pair_phone: np.ndarray) -> dict[str, np.ndarray]:
    from scipy.ndimage import uniform_filter1d

    fc, fr, m = _aligned(conv, x)
    real, own = fr.mcep[m], fc.mcep
    v = fc.voiced
    labels = frame_labels(phones, world.RATE, world.FRAME_MS, len(v))
    held, counts = np.unique(pair_phone, return_counts=True)
    covered = v & np.isin(labels, held[counts >= 8])

    def syn(mcep: np.ndarray) -> np.ndarray:
        return world.synthesize(fc.f0, mcep, fc.cap, fc.fft_size).astype(np.float32)

    def real_where(rows: np.ndarray | slice, cols: slice = slice(None)) -> np.ndarray:
        out = own.copy()
        out[rows, cols] = real[rows, cols]
        return out

    def smoothed(frames: int) -> np.ndarray:
        out = own.copy()
        out[:, 1:] += uniform_filter1d(real[:, 1:] - own[:, 1:], frames, axis=0)
        return out

    per_phone = own.copy()
    for p in np.unique(labels[v]):
        rows = v & (labels == p)
        if p != NO_PHONE:
            per_phone[rows, 1:] += (real[rows, 1:] - own[rows, 1:]).mean(0)
    return dict(zip(DETAIL, [
        conv, syn(real), syn(real_where(covered)), syn(real_where(v & ~covered)),
        syn(real_where(slice(None), slice(1, 9))), syn(real_where(slice(None), slice(9, 25))),
        syn(real_where(slice(None), slice(25, None))), syn(smoothed(21)), syn(smoothed(61)), syn(per_phone),
    ], strict=True))


def variants(x: np.ndarray, conv: np.ndarray, target_lf0: float) -> dict[str, np.ndarray]:
    fc, fr, m = _aligned(conv, x)
    real_f0 = np.where(fc.f0 > 0, np.where(fr.f0[m] > 0, fr.f0[m], np.exp(target_lf0)), 0.0)

    def syn(f0: np.ndarray, mcep: np.ndarray, cap: np.ndarray) -> np.ndarray:
        return world.synthesize(f0, mcep, cap, fc.fft_size).astype(np.float32)

    return dict(zip(VARIANTS, [
        conv, syn(real_f0, fc.mcep, fc.cap), syn(fc.f0, fc.mcep, fr.cap[m]),
        syn(fc.f0, fr.mcep[m], fc.cap), syn(real_f0, fr.mcep[m], fc.cap),
    ], strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parent.parent.parent / "shared/data/libritts8"
    ap.add_argument("data", nargs="?", default=str(default_data))
    ap.add_argument("--speakers", default="spk0,spk2,spk6,spk7")
    ap.add_argument("--utts", type=int, default=4)
    ap.add_argument("--detail", action="store_true", help="which part of the real envelope identifies (see above)")
    args = ap.parse_args()
    speakers = cq.load(Path(args.data))
    names = [s.name for s in speakers]
    cent = np.stack([c / np.linalg.norm(c) for c in (
        np.mean([speaker_embedding(x, OUTPUT_RATE) for x in s.held_out], 0) for s in speakers)])
    columns = DETAIL if args.detail else [*VARIANTS, "real, WORLD resynthesis"]
    print("| speaker | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for si, s in enumerate(speakers):
        if s.name not in args.speakers.split(","):
            continue
        prof = build_profile(s.enroll, OUTPUT_RATE, transcript=cq.transcribe(s.enroll))
        scores: dict[str, list[tuple[float, bool]]] = {k: [] for k in columns}
        for x in s.held_out[: args.utts]:
            text = cq.transcribe(x)
            if len(text) < 20:
                continue
            reading, phones = piper_reading(normalize(text))
            conv = C.convert(reading, prof.source, prof.target, prof.extras, C.DEFAULT_OPTIONS, phones=phones)
            if args.detail:
                outs = detail(x, conv, phones, prof.extras["pair_phone"])
            else:
                fr = world.analyze(x)
                outs = {**variants(x, conv, prof.target.lf0_mean),
                        "real, WORLD resynthesis": world.synthesize(fr.f0, fr.mcep, fr.cap, fr.fft_size)
                        .astype(np.float32)}
            for k, y in outs.items():
                sims = cent @ speaker_embedding(y, OUTPUT_RATE)
                scores[k].append((float(sims[si]), int(np.argmax(sims)) == si))
        cells = [f"{np.mean([a for a, _ in v]):.3f} ({sum(b for _, b in v)}/{len(v)})" for v in scores.values()]
        print(f"| {s.name} | " + " | ".join(cells) + " |", flush=True)
    print(f"(the default conversion options; mean target similarity, identified/utterances; speakers {names})")


if __name__ == "__main__":
    main()
