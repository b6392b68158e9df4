"""Score the quality gate on the labelled corpus built by bench/gate_corpus.py.

Usage:
  python bench/gate_eval.py [--corpus bench/out/gate_corpus] [--limit N] [--only CATEGORY]
  python bench/gate_eval.py --timing 15     # median gate time over 15 s clips only

Each clip goes through the same path as an upload (file bytes -> voices.audio_io.decode
-> voices.gate.evaluate with default thresholds, stopping at the first failure). Prints
the confusion table (expected code x returned code), accuracy per category, per speaker
half (A = tuning half, B = held out), and the median gate time for clips of 14-16 s.
Per-clip results go to <corpus>/results.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from voices.audio_io import AudioTooLongError, decode
from voices.gate import GateThresholds, evaluate


def _ok(expected: str, got: str) -> bool:
    return got in expected.split("|")


def run(corpus: Path, limit: int | None, only: str | None) -> list[dict]:
    with open(corpus / "labels.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if only:
        rows = [r for r in rows if r["category"] == only]
    rows = rows[:limit] if limit else rows
    th = GateThresholds()
    # Load the models once before timing anything (the server does this at start-up).
    evaluate(*_silence(), th)
    out: list[dict] = []
    for row in rows:
        data = (corpus / row["file"]).read_bytes()
        try:
            dec = decode(data)
        except AudioTooLongError:
            out.append({**row, "got": "clip_too_long", "seconds": 0.0, "duration": 61.0, "quality": {}})
            continue
        t0 = time.perf_counter()
        rep = evaluate(dec.samples, dec.sample_rate, th)
        dt = time.perf_counter() - t0
        got = rep.failure.code if rep.failure else "ok"
        out.append({**row, "got": got, "seconds": dt, "duration": dec.duration_s, "quality": rep.quality,
                    "message": rep.failure.message if rep.failure else "", "transcript": rep.transcript})
    return out


def _silence() -> tuple:
    import numpy as np

    rng = np.random.default_rng(0)
    return (0.01 * rng.standard_normal(16000 * 12)).astype("float32"), 16000


def report(results: list[dict]) -> str:
    lines: list[str] = []
    codes = sorted({r["expected"].split("|")[0] for r in results} | {r["got"] for r in results})
    table: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        # A row is the expected code; where several are acceptable, the one returned.
        row = r["got"] if _ok(r["expected"], r["got"]) else r["expected"].split("|")[0]
        table[row][r["got"]] += 1
    short = {c: c[:10] for c in codes}
    lines.append("Confusion (rows: expected, columns: returned)")
    lines.append(" " * 24 + " ".join(f"{short[c]:>10}" for c in codes))
    for c in codes:
        if c in table:
            lines.append(f"{c:<24}" + " ".join(f"{table[c][g] or '.':>10}" for g in codes))
    lines.append("")
    by_cat: dict[str, list[bool]] = defaultdict(list)
    by_half: dict[str, list[bool]] = defaultdict(list)
    by_cat_half: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for r in results:
        hit = _ok(r["expected"], r["got"])
        by_cat[r["category"]].append(hit)
        by_half[r["half"]].append(hit)
        by_cat_half[(r["category"], r["half"])].append(hit)
    lines.append(f"{'category':<16}{'n':>5}{'acc':>8}{'A (tuned)':>12}{'B (held out)':>14}")
    for cat in sorted(by_cat):
        a, b = by_cat_half.get((cat, "A"), []), by_cat_half.get((cat, "B"), [])
        def fmt(v):
            return (f"{100 * sum(v) / len(v):.1f}%" if v else "-")
        lines.append(f"{cat:<16}{len(by_cat[cat]):>5}{fmt(by_cat[cat]):>8}{fmt(a):>12}{fmt(b):>14}")
    allhits = [h for v in by_cat.values() for h in v]
    lines.append(f"{'ALL':<16}{len(allhits):>5}{100 * sum(allhits) / len(allhits):>7.1f}%"
                 f"{100 * sum(by_half['A']) / max(1, len(by_half['A'])):>11.1f}%"
                 f"{100 * sum(by_half['B']) / max(1, len(by_half['B'])):>13.1f}%")
    clean_rejected = sum(1 for r in results if r["category"] == "clean" and r["got"] != "ok")
    lines.append(f"clean clips rejected: {clean_rejected} / {len(by_cat.get('clean', []))}")
    times = [r["seconds"] for r in results if 14.0 <= r["duration"] <= 16.0 and r["got"] == "ok"]
    if times:
        lines.append(f"gate time, passing clips of 14-16 s: median {statistics.median(times):.3f} s "
                     f"(n={len(times)}, max {max(times):.3f} s)")
    times = [r["seconds"] for r in results if r["got"] == "ok"]
    if times:
        lines.append(f"gate time, all passing clips: median {statistics.median(times):.3f} s (n={len(times)})")
    misses = [r for r in results if not _ok(r["expected"], r["got"])]
    if misses:
        lines.append("")
        lines.append("Misses:")
        for r in misses:
            q = {k: v for k, v in r["quality"].items() if v is not None and k != "duration_s"}
            lines.append(f"  {r['file']:<32} expected {r['expected']:<22} got {r['got']:<22} {r['note']} {q}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--only")
    ap.add_argument("--report-only", action="store_true", help="re-print the last results.jsonl")
    args = ap.parse_args()
    path = args.corpus / "results.jsonl"
    if args.report_only:
        results = [json.loads(line) for line in path.read_text().splitlines()]
    else:
        results = run(args.corpus, args.limit, args.only)
        with open(path, "w") as fh:
            for r in results:
                fh.write(json.dumps(r) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
