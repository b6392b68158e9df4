"""Compute candidate DSP cues per corpus clip, for choosing new gate rules on half A.

Usage: python bench/gate_cues.py [--corpus bench/out/gate_corpus] [--only CAT] [--cue NAME ...]

The gate's own preprocessing is replayed (decode -> prepare -> high-pass -> 16 kHz) and
the VAD segments are cached in <corpus>/segments.json (the VAD is the only model needed),
so a cue can be changed and recomputed over all clips in a minute. Each cue is a pure
function (x16, segments) -> float registered in CUES; results go to <corpus>/cues.jsonl
keyed by file name, merged with what is already there.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from voices.audio_io import AudioTooLongError, decode
from voices.gate import level, music, noise, vad
from voices.gate.dsp import to_analysis_rate
from voices.gate.judge import _highpass, _prepare

Cue = Callable[[np.ndarray, list[tuple[float, float]]], float]


def _cues() -> dict[str, Cue]:
    out: dict[str, Cue] = {
        "music": music.measure,
        "level": level.measure,
        "phrase_level": level.phrase_spread,
        "snr": lambda x, s: noise.measure(x, s).snr_db,
        "wada": lambda x, s: noise.measure(x, s).wada_snr_db,
        "floor_spread": lambda x, s: noise.measure(x, s).floor_spread_db,
    }
    return out


def prepared(path: Path) -> np.ndarray | None:
    """The 16 kHz signal the gate's checks see (cached next to the clip as .x16.npy)."""
    cache = path.with_suffix(".x16.npy")
    if cache.exists():
        return np.load(cache)
    try:
        dec = decode(path.read_bytes())
    except AudioTooLongError:
        return None
    raw, rate = _prepare(dec.samples, dec.sample_rate)
    if rate < 1000 or len(raw) < rate // 10:
        return None
    x16 = to_analysis_rate(_highpass(raw, rate), rate).astype(np.float32)
    np.save(cache, x16)
    return x16


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    ap.add_argument("--only")
    ap.add_argument("--cue", nargs="*")
    args = ap.parse_args()
    with open(args.corpus / "labels.tsv") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if not args.only or r["category"] == args.only]
    seg_path = args.corpus / "segments.json"
    segs: dict[str, list] = json.loads(seg_path.read_text()) if seg_path.exists() else {}
    cue_path = args.corpus / "cues.jsonl"
    old = {}
    if cue_path.exists():
        for line in cue_path.read_text().splitlines():
            r = json.loads(line)
            old[r["file"]] = r
    cues = {k: v for k, v in _cues().items() if not args.cue or k in args.cue}
    for row in rows:
        x16 = prepared(args.corpus / row["file"])
        if x16 is None:
            continue
        if row["file"] not in segs:
            segs[row["file"]] = vad.measure(x16).segments
        s = [tuple(p) for p in segs[row["file"]]]
        if not s:
            continue
        rec = old.get(row["file"], {**row})
        for name, fn in cues.items():
            rec[name] = round(float(fn(x16, s)), 4)
        old[row["file"]] = rec
    seg_path.write_text(json.dumps(segs))
    with open(cue_path, "w") as fh:
        for r in old.values():
            fh.write(json.dumps(r) + "\n")
    print(f"{len(rows)} clips, cues {sorted(cues)} -> {cue_path}")


if __name__ == "__main__":
    main()
