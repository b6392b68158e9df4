"""Fit the gate's two-voice model on the tuning speakers and re-decide the corpus offline.

Usage: python bench/gate_fit.py [--corpus bench/out/gate_corpus] [--write] [--show CUE ...]

Reads the model measurements of ``bench/gate_eval.py --full`` (results_full*.jsonl: ASR,
speaker embeddings, bandwidth, clipping) and recomputes the pure-DSP ones (noise, level,
reverb) with the current code from the gate's own preprocessing (cached by
``bench/gate_cues.py``), so a DSP change does not need the models again. Then:

1. fits the two-voice logistic model (voices/gate/overlap.py) on half A only (the tuning
   speakers): positives are clips with a second real person (turns, overlap), negatives
   every single-voice clip that the earlier rules let through;
2. prints, per category and half, the distribution of the cues the rules read, so a limit
   can be placed with a margin on both sides;
3. re-decides every clip with :func:`voices.gate.judge.decide` (the production rules)
   under the fitted model and prints the report of bench/gate_eval.py, held-out half B
   first. ``--write`` prints the ``[gate]`` lines for configs/default.toml.

The decision function is the server's own, so these figures are the server's verdicts
on the cached measurements; ``bench/gate_eval.py`` reruns the whole production path.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gate_cues import prepared
from bench.gate_eval import load_results, report
from voices.gate import GateThresholds, level, noise, overlap, reverb, vad
from voices.gate.judge import decide

_WORD = re.compile(r"[A-Za-z']+")
POSITIVE = {"turns", "overlap"}
NEGATIVE = {"clean", "capture", "noise_mild", "room_mild", "synthetic_en", "non_english"}


def rows_with_measurements(corpus: Path, recompute_dsp: bool = False) -> list[dict]:
    with open(corpus / "labels.tsv") as fh:
        labels = {r["file"]: r for r in csv.DictReader(fh, delimiter="\t")}
    measured: dict[str, dict] = {}
    for path in [*sorted(corpus.glob("results.*.jsonl")), *sorted(corpus.glob("results_full*.jsonl"))]:
        for r in load_results(path):
            measured[r["file"]] = r
    seg_path = corpus / "segments.json"
    segs: dict[str, list] = json.loads(seg_path.read_text()) if seg_path.exists() else {}
    out = []
    for name, row in labels.items():
        r = measured.get(name)
        if r is None:
            continue
        q = dict(r.get("quality") or {})
        x16 = prepared(corpus / name) if q.get("speech_s") and recompute_dsp else None
        if x16 is not None and q.get("span_s", 1) is not None:
            if name not in segs:
                segs[name] = vad.measure(x16).segments
            s = [tuple(p) for p in segs[name]]
            if s:
                nz = noise.measure(x16, s)
                q["snr_db"], q["wada_snr_db"] = round(nz.snr_db, 1), round(nz.wada_snr_db, 1)
                q["floor_spread_db"] = round(nz.floor_spread_db, 2)
                q["level_spread_db"] = round(level.measure(x16, s), 1)
                q["phrase_level_spread_db"] = round(level.phrase_spread(x16, s), 1)
                rv = reverb.measure(x16)
                q["reverb_c50_db"], q["reverb_t60_s"] = round(rv.c50_db, 1), round(rv.t60_s, 2)
                q["span_s"] = round(s[-1][1] - s[0][0], 2)
        if q.get("language_confidence") is not None and q.get("asr_words_per_s") is None:
            words = _WORD.findall(r.get("transcript", ""))
            q["asr_words_per_s"] = round(len(words) / max(q.get("speech_s") or 1.0, 1.0), 2)
        out.append({**row, "quality": q, "old_got": r.get("got", "")})
    if recompute_dsp:
        seg_path.write_text(json.dumps(segs))
    return out


def verdict(q: dict, th: GateThresholds, wideband: bool) -> tuple[str, dict | None]:
    q = dict(q)
    if q.get("language_confidence") is not None:
        q["two_voice_score"] = overlap.score(q, th)
    failure, _ = decide(q, th, skip=() if wideband else ("insufficient_bandwidth",))
    return (failure.code, failure.evidence) if failure else ("ok", None)


def fit_two_voice(rows: list[dict], th: GateThresholds) -> GateThresholds:
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for r in rows:
        q = r["quality"]
        if r["half"] != "A" or q.get("language_confidence") is None:
            continue
        if r["category"] in POSITIVE:
            y = 1
        elif r["category"] in NEGATIVE:
            y = 0
        else:
            continue
        # Only clips the earlier rules let through: the model sees what it will be asked.
        pre = decide({k: v for k, v in q.items() if k not in ("language_confidence",)}, th,
                     skip=() if r["wideband"] == "1" else ("insufficient_bandwidth",))[0]
        if pre is not None:
            continue
        xs.append(overlap.features(q))
        ys.append(y)
    x, y = np.array(xs), np.array(ys)
    mean = np.nanmean(x, axis=0)
    scale = np.nanstd(x, axis=0) + 1e-6
    z = np.where(np.isnan(x), 0.0, (x - mean) / scale)
    # Clean clips outnumber second voices; weight the classes so the score is calibrated
    # for the rule's question, and a little regularisation keeps the weights modest.
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(z, y)
    print(f"two-voice fit on half A: {int(y.sum())} two-voice clips, {int((1 - y).sum())} single-voice clips")
    return dataclasses.replace(
        th, two_voice_weights=tuple(round(float(w), 4) for w in model.coef_[0]),
        two_voice_bias=round(float(model.intercept_[0]), 4),
        two_voice_mean=tuple(round(float(m), 4) for m in mean),
        two_voice_scale=tuple(round(float(s), 4) for s in scale))


def show(rows: list[dict], cues: list[str], th: GateThresholds) -> None:
    by: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        q = dict(r["quality"])
        if q.get("language_confidence") is not None:
            q["two_voice_score"] = overlap.score(q, th)
        for c in cues:
            if q.get(c) is not None:
                by[(r["category"], r["half"])][c].append(float(q[c]))
    for c in cues:
        print(f"\n{c}: min / p5 / median / p95 / max per category and half")
        for (cat, half), vals in sorted(by.items()):
            v = np.array(vals.get(c, []))
            if len(v):
                p = np.percentile(v, [0, 5, 50, 95, 100])
                print(f"  {cat:<16}{half}  n={len(v):<4}" + " ".join(f"{x:9.3f}" for x in p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    ap.add_argument("--show", nargs="*", default=[])
    ap.add_argument("--write", action="store_true", help="print the fitted [gate] lines")
    ap.add_argument("--recompute-dsp", action="store_true",
                    help="recompute noise, level and reverb with the current code (VAD cached in segments.json)")
    ap.add_argument("--no-fit", action="store_true", help="use the two-voice model in the code as it is")
    ap.add_argument("--set", nargs="*", default=[], help="key=value thresholds to try")
    args = ap.parse_args()
    rows = rows_with_measurements(args.corpus, args.recompute_dsp)
    th = GateThresholds(**{k: float(v) for k, v in (s.split("=") for s in args.set)})
    if not args.no_fit:
        th = fit_two_voice(rows, th)
    if args.show:
        show(rows, args.show, th)
    judged = []
    for r in rows:
        got, evidence = verdict(r["quality"], th, r["wideband"] == "1")
        judged.append({**r, "got": got, "evidence": evidence, "seconds": 0.0,
                       "duration": r["quality"].get("duration_s") or 0.0})
    narrow = [r for r in judged if r["wideband"] != "1" and r["quality"].get("effective_bandwidth_hz")]
    fails = sum(1 for r in narrow if r["quality"]["effective_bandwidth_hz"] < th.min_bandwidth_hz)
    print(f"\n16 kHz clips judged without the bandwidth rule: {len(narrow)}; "
          f"{fails} of them fail the bandwidth rule on its own ({100 * fails / max(1, len(narrow)):.1f} %)")
    for half, title in (("B", "HELD-OUT speakers (half B)"), ("A", "tuning speakers (half A)")):
        print(f"\n===== {title} =====")
        print(report([r for r in judged if r["half"] == half]))
    if args.write:
        print("\n[gate] two-voice model lines:")
        for k in ("two_voice_weights", "two_voice_bias", "two_voice_mean", "two_voice_scale"):
            v = getattr(th, k)
            print(f"{k} = {list(v) if isinstance(v, tuple) else v}")


if __name__ == "__main__":
    main()
