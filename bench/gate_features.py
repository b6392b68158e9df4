"""Dump every gate measurement (full=True: no early stop) for each corpus clip, for tuning.

Usage: python bench/gate_features.py [--corpus bench/out/gate_corpus] [--half A]
Writes <corpus>/features.jsonl; thresholds are then chosen on half A only.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from voices.audio_io import AudioTooLongError, decode
from voices.gate import evaluate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    ap.add_argument("--half")
    ap.add_argument("--only")
    args = ap.parse_args()
    with open(args.corpus / "labels.tsv") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t")
                if (not args.half or r["half"] == args.half) and (not args.only or args.only in r["category"])]
    with open(args.corpus / "features.jsonl", "w") as out:
        for row in rows:
            try:
                dec = decode((args.corpus / row["file"]).read_bytes())
            except AudioTooLongError:
                continue
            rep = evaluate(dec.samples, dec.sample_rate, full=True)
            out.write(json.dumps({**row, "got": rep.failure.code if rep.failure else "ok",
                                  "quality": rep.quality, "transcript": rep.transcript}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
