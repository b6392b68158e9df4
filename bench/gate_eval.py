"""Score the quality gate on the labelled corpus built by bench/gate_corpus.py.

Usage:
  python bench/gate_eval.py [--corpus bench/out/gate_corpus] [--limit N] [--only CATEGORY]
  python bench/gate_eval.py --report-only   # re-print from <corpus>/results.jsonl
  python bench/gate_eval.py --full          # every measurement (no early stop) -> results_full.jsonl
  python bench/gate_eval.py --timing 15     # gate time on 15 s passing clips (median, n=10)

Each clip goes through the same path as an upload (file bytes -> voices.audio_io.decode
-> voices.gate.evaluate with default thresholds, stopping at the first failure). Prints
the confusion table (expected code x returned code), accuracy per category, per speaker
half (A = tuning half, B = held out), and the median gate time for clips of 14-16 s.

Per-clip results are appended to <corpus>/results.jsonl as each clip finishes, tagged
with a hash of the gate's code (voices/gate/*.py); a rerun resumes where a killed run
stopped and re-does only clips judged by a different revision of the gate (--fresh
starts over). Run it in the background and poll:
  nohup python bench/gate_eval.py > bench/out/gate_eval.log 2>&1 &
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import json
import os
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from voices.audio_io import AudioTooLongError, decode
from voices.gate import GateThresholds, evaluate


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _ok(expected: str, got: str) -> bool:
    return got in expected.split("|")


def gate_revision() -> str:
    """Hash of the gate's source and trained weights: results from another revision are not resumed."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1] / "voices"
    for path in [*sorted((root / "gate").glob("*.py")), root / "trained/overlap_detector.npz"]:
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def load_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a killed run
            continue
    return out


def run(corpus: Path, limit: int | None, only: str | None, path: Path, *, full: bool = False,
        fresh: bool = False, shard: str = "", first: frozenset[str] = frozenset(),
        skip_first: bool = False, dsp_only: bool = False) -> list[dict]:
    with open(corpus / "labels.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if only:
        rows = [r for r in rows if r["category"] in only.split(",")
                or any(fnmatch.fnmatch(r["file"], g) for g in only.split(","))]
    rows = rows[:limit] if limit else rows
    if first:
        # Clips of these categories first (and fully measured with --full): the ones the
        # late, model-based rules decide; the rest stop at their first failure.
        # Shuffled (fixed seed) so a run stopped early still covers every category and half.
        import random

        order = random.Random(0).sample(rows, len(rows))
        rows = [r for r in order if r["category"] in first] + [r for r in order if r["category"] not in first]
        if skip_first:
            rows = [r for r in rows if r["category"] not in first]
    if shard:
        k, n = (int(v) for v in shard.split("/"))
        rows = rows[k::n]
        path = path.with_name(f"{path.stem}.{k}of{n}{'.' + only if only else ''}{path.suffix}")
    rev = gate_revision()
    wanted = {r["file"] for r in rows}
    done = {} if fresh else {r["file"]: r for r in load_results(path) if r.get("gate_rev") == rev}
    todo = [r for r in rows if r["file"] not in done]
    print(f"gate {rev}: {len(rows)} clips, {len(rows) - len(todo)} already judged, {len(todo)} to go",
          flush=True)
    # Rewrite the file with what is kept (same revision), then append clip by clip.
    with open(path, "w") as fh:
        for r in done.values():
            fh.write(json.dumps(r) + "\n")
    th = GateThresholds()
    # Load the models once before timing anything (the server does this at start-up).
    evaluate(*_silence(), th)
    for k, row in enumerate(todo):
        data = (corpus / row["file"]).read_bytes()
        try:
            dec = decode(data)
        except AudioTooLongError:
            res = {**row, "got": "clip_too_long", "seconds": 0.0, "duration": 61.0, "quality": {}}
        else:
            t0 = time.perf_counter()
            in_first = not first or row["category"] in first or dsp_only
            # 16 kHz corpus clips fail the bandwidth rule by design: judged without it.
            skip = () if row.get("wideband", "1") == "1" else ("insufficient_bandwidth",)
            rep = evaluate(dec.samples, dec.sample_rate, th, full=full and in_first, models=not dsp_only, skip=skip)
            dt = time.perf_counter() - t0
            res = {**row, "got": rep.failure.code if rep.failure else "ok", "seconds": dt,
                   "duration": dec.duration_s, "quality": rep.quality,
                   "message": rep.failure.message if rep.failure else "", "transcript": rep.transcript}
        res["gate_rev"] = rev
        res["load1"] = os.getloadavg()[0]
        done[row["file"]] = res
        with open(path, "a") as fh:
            fh.write(json.dumps(res) + "\n")
        if k % 25 == 0:
            print(f"{k + 1}/{len(todo)} {row['file']} -> {res['got']} ({res['seconds']:.2f} s, "
                  f"load {res['load1']:.1f})", flush=True)
    return [done[r["file"]] for r in rows if r["file"] in wanted]


def timing(corpus: Path, seconds: float, n: int = 10) -> str:
    """Gate time (production path) on passing clips of exactly `seconds`: two clean clips of
    one speaker joined with a 0.4 s pause and cut to length."""
    import numpy as np

    with open(corpus / "labels.tsv") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t")
                if r["category"] == "clean" and r["file"].endswith("_clean.wav")]
    by_spk: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_spk[r["speaker"]].append(r)
    th = GateThresholds()
    times, codes, loads = [], Counter(), []
    for spk in sorted(by_spk):
        pair = by_spk[spk][:2]
        if len(pair) < 2:
            continue
        a, b = (decode((corpus / r["file"]).read_bytes()) for r in pair)
        rate = a.sample_rate
        # The corpus peak-normalises each clip to a random level: match b to a, or the
        # join is a level jump.
        bs = b.samples * float(np.sqrt(np.mean(a.samples**2) / max(1e-12, np.mean(b.samples**2))))
        gap = np.full(int(0.4 * rate), 0.0, np.float32) + (1e-4 * np.random.default_rng(0).standard_normal(
            int(0.4 * rate))).astype(np.float32)
        x = np.concatenate([a.samples, gap, np.clip(bs, -1, 1)])[: int(seconds * rate)]
        if not codes:
            evaluate(x, rate, th)  # loads every model (the server does this at start-up)
        for _ in range(max(1, n // len(by_spk))):
            loads.append(os.getloadavg()[0])
            t0 = time.perf_counter()
            rep = evaluate(x, rate, th)
            dt = time.perf_counter() - t0
            code = rep.failure.code if rep.failure else "ok"
            codes[code] += 1
            if code in ("ok", "non_english"):  # went through every check, ASR included
                times.append(dt)
    if not times:
        return f"no clip went through every check: verdicts {dict(codes)}"
    return (f"gate time, {seconds:.0f} s clips through every check (production path, incl. ASR): median "
            f"{statistics.median(times):.3f} s, max {max(times):.3f} s, n={len(times)}, verdicts {dict(codes)}, "
            f"load average (1 min) {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores")


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
    must_pass = [r for r in results if r["category"] in ("clean", "capture", "floor_unsteady")]
    rejected = sum(1 for r in must_pass if not _ok(r["expected"], r["got"]))
    lo, hi = wilson(rejected, len(must_pass))
    lines.append(f"clean clips rejected (clean + ordinary captures + unsteady floors): {rejected} / {len(must_pass)} = "
                 f"{100 * rejected / max(1, len(must_pass)):.2f} % (95 % interval {100 * lo:.2f}-{100 * hi:.2f} %)")
    paused = [r for r in must_pass if r["expected"] != "ok"]
    if paused:
        lines.append(f"  of them {len(paused)} from recordings that pause > 2.5 s on their own (pass or long_silence): "
                     f"{sum(r['got'] == 'ok' for r in paused)} passed")
    worst = min(by_cat, key=lambda c: sum(by_cat[c]) / len(by_cat[c])) if by_cat else ""
    if worst:
        lines.append(f"lowest category: {worst} {100 * sum(by_cat[worst]) / len(by_cat[worst]):.1f} %")
    times = [r["seconds"] for r in results if 14.0 <= r["duration"] <= 16.0 and r["got"] == "ok"]
    if times:
        lines.append(f"gate time, passing clips of 14-16 s: median {statistics.median(times):.3f} s "
                     f"(n={len(times)}, max {max(times):.3f} s)")
    times = [r["seconds"] for r in results if r["got"] == "ok"]
    if times:
        lines.append(f"gate time, all passing clips: median {statistics.median(times):.3f} s (n={len(times)})")
    loads = [r["load1"] for r in results if "load1" in r]
    if loads:
        lines.append(f"load average (1 min) while judging: median {statistics.median(loads):.1f} "
                     f"(range {min(loads):.1f}-{max(loads):.1f})")
    misses = [r for r in results if not _ok(r["expected"], r["got"])]
    if misses:
        lines.append("")
        lines.append("Misses:")
        for r in misses:
            ev = r.get("evidence") or {}
            lines.append(f"  {r['file']:<32} expected {r['expected']:<22} got {r['got']:<22} {r['note']} "
                         f"{ev.get('measure', '')}={ev.get('value', '')} (limit {ev.get('limit', '')})")
    return "\n".join(lines)


def held_out_first(results: list[dict]) -> str:
    """The report on the held-out speakers (half B) first, then on the tuning speakers (A);
    the 16 kHz clips, judged without the bandwidth rule, are counted apart for that rule."""
    narrow = [r for r in results if r.get("wideband", "1") != "1"
              and (r.get("quality") or {}).get("effective_bandwidth_hz") is not None]
    bw_fail = sum(1 for r in narrow if r["quality"]["effective_bandwidth_hz"] < GateThresholds().min_bandwidth_hz)
    parts = [f"16 kHz clips (judged without the bandwidth rule): {len(narrow)}, of which {bw_fail} fail "
             "the bandwidth rule on its own, as they must"]
    for half, title in (("B", "HELD-OUT speakers (half B)"), ("A", "tuning speakers (half A)")):
        parts.append(f"\n===== {title} =====\n" + report([r for r in results if r.get("half") == half]))
    return "\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--only", help="comma-separated categories or file-name patterns")
    ap.add_argument("--report-only", action="store_true", help="re-print the last results.jsonl")
    ap.add_argument("--full", action="store_true", help="measure everything (results_full.jsonl)")
    ap.add_argument("--fresh", action="store_true", help="ignore earlier results, start over")
    ap.add_argument("--first", default="", help="comma-separated categories to judge first (and alone in full)")
    ap.add_argument("--skip-first", action="store_true", help="judge only the categories not in --first")
    ap.add_argument("--dsp-only", action="store_true",
                    help="stop before the embeddings and ASR (for clips a DSP rule must reject)")
    ap.add_argument("--shard", default="", help="k/n: judge every n-th clip from the k-th (parallel runs)")
    ap.add_argument("--timing", type=float, help="only time the gate on passing clips of this length")
    args = ap.parse_args()
    if args.timing:
        print(timing(args.corpus, args.timing))
        return
    path = args.corpus / ("results_full.jsonl" if args.full else "results.jsonl")
    if args.report_only:
        results = load_results(path)
    else:
        results = run(args.corpus, args.limit, args.only, path, full=args.full, fresh=args.fresh, shard=args.shard,
                      first=frozenset(c for c in args.first.split(",") if c), skip_first=args.skip_first,
                      dsp_only=args.dsp_only)
    print(held_out_first(results))


if __name__ == "__main__":
    main()
