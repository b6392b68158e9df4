"""Fit the gate's two logistic models on the tuning speakers and re-decide the corpus offline.

Usage: python bench/gate_fit.py [--corpus bench/out/gate_corpus] [--apply] [--write] [--show CUE ...]
                                [--set key=value ...] [--no-fit] [--recompute-dsp]

Reads the measurements of ``bench/gate_eval.py --full`` runs (results*.jsonl in the corpus
folder; where two runs measured a clip, the fuller record wins). Then:

1. fits the two-voice and the not-English models (voices/gate/logistic.py) on half A only
   (the tuning speakers), on the clips the earlier rules let through: two-voice positives
   are clips with a second real person (turns, overlap), negatives every single-voice clip
   (English and not); not-English positives are the non-English clips, negatives every
   English clip. Each limit sits clear of the tuning negatives (their 99th percentile plus
   half the distance to certainty), so a clean clip is the last thing they reject;
2. ``--show`` prints, per category and half, the distribution of the named cues, so a hand
   limit can be placed with a margin on both sides (from half A);
3. re-decides every clip with :func:`voices.gate.judge.decide` (the server's own rules, so
   these are the server's verdicts on the cached measurements) and prints the report of
   bench/gate_eval.py, held-out half B first. ``--apply`` writes the fitted numbers into
   voices/gate/thresholds.py and configs/default.toml; ``--write`` prints them.

``--recompute-dsp`` recomputes noise, level and reverb from the gate's own preprocessing
(cached by bench/gate_cues.py), for measurements made before a DSP change;
``--recompute-overlap`` rescores the overlap detector with the weights in
voices/trained/ (after ``bench/train_overlap.py``), so the slow cues (embeddings, ASR)
measured under the previous weights need not be measured again.
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
from bench.gate_eval import held_out_first, load_results
from voices.gate import GateThresholds, level, logistic, noise, overlap, reverb, speakers, vad
from voices.gate.judge import decide, scores

_WORD = re.compile(r"[A-Za-z']+")
POSITIVE = {"turns", "overlap"}
SINGLE = {"clean", "capture", "noise_mild", "room_mild", "synthetic_en"}


def _tokens_per_word(words: list[str]) -> float:
    """As language.measure computes it, for runs that did not store it."""
    if not words:
        return 5.0
    from voices.models import whisper

    tok = whisper().hf_tokenizer.encode(" " + " ".join(words), add_special_tokens=False)
    return len(tok.ids) / len(words)


def rows_with_measurements(corpus: Path, recompute_dsp: bool = False, recompute_overlap: bool = False) -> list[dict]:
    with open(corpus / "labels.tsv") as fh:
        labels = {r["file"]: r for r in csv.DictReader(fh, delimiter="\t")}
    measured: dict[str, dict] = {}
    for path in [*sorted(corpus.glob("results.*.jsonl")), *sorted(corpus.glob("results_full*.jsonl"))]:
        for r in load_results(path):
            # Where two runs judged a clip, keep the one that measured more.
            old = measured.get(r["file"])
            if old is None or _measured(r) >= _measured(old):
                measured[r["file"]] = r
    seg_path = corpus / "segments.json"
    segs: dict[str, list] = json.loads(seg_path.read_text()) if seg_path.exists() else {}

    def segments(name: str, x16: np.ndarray) -> list[tuple[float, float]]:
        """The clip's VAD segments, measured once and cached in segments.json."""
        if name not in segs:
            segs[name] = vad.measure(x16).segments
        return [tuple(p) for p in segs[name]]  # type: ignore[misc]

    out = []
    for name, row in labels.items():
        r = measured.get(name)
        if r is None:
            continue
        q = dict(r.get("quality") or {})
        x16 = prepared(corpus / name) if q.get("speech_s") and recompute_dsp else None
        if x16 is not None and q.get("span_s", 1) is not None:
            s = segments(name, x16)
            if s:
                nz = noise.measure(x16, s)
                q["snr_db"], q["wada_snr_db"] = round(nz.snr_db, 1), round(nz.wada_snr_db, 1)
                q["floor_spread_db"] = round(nz.floor_spread_db, 2)
                q["level_spread_db"] = round(level.measure(x16, s), 1)
                q["phrase_level_spread_db"] = round(level.phrase_spread(x16, s), 1)
                rv = reverb.measure(x16)
                q["reverb_c50_db"], q["reverb_t60_s"] = round(rv.c50_db, 1), round(rv.t60_s, 2)
                q["span_s"] = round(s[-1][1] - s[0][0], 2)
        if recompute_overlap and q.get("overlap_score") is not None:
            x16 = x16 if x16 is not None else prepared(corpus / name)
            if x16 is not None:
                q["overlap_score"] = round(overlap.measure(speakers.speech_only(x16, segments(name, x16))), 3)
        if q.get("asr_avg_logprob") is not None:
            words = _WORD.findall(r.get("transcript", ""))
            if q.get("asr_words_per_s") is None:
                q["asr_words_per_s"] = round(len(words) / max(q.get("speech_s") or 1.0, 1.0), 2)
            if q.get("asr_tokens_per_word") is None:
                q["asr_tokens_per_word"] = round(_tokens_per_word(words), 3)
        out.append({**row, "quality": q, "old_got": r.get("got", "")})
    if recompute_dsp or recompute_overlap:
        seg_path.write_text(json.dumps(segs))
    return out


def _measured(r: dict) -> int:
    return sum(v is not None for v in (r.get("quality") or {}).values())


def verdict(q: dict, th: GateThresholds, wideband: bool) -> tuple[str, dict | None]:
    q = dict(q)
    if q.get("asr_avg_logprob") is not None:
        scores(q, th)
    failure, _ = decide(q, th, skip=() if wideband else ("insufficient_bandwidth",))
    return (failure.code, failure.evidence) if failure else ("ok", None)


def _passes_early_rules(r: dict, th: GateThresholds) -> bool:
    """The clip gets past every rule before the late, model-based ones (the turn rule aside,
    so every kind of second voice teaches the two-voice model)."""
    late = ("speaker_similarity", "two_voice_score", "language_confidence")
    q = {k: v for k, v in r["quality"].items() if k not in late}
    return decide(q, th, skip=() if r["wideband"] == "1" else ("insufficient_bandwidth",))[0] is None


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, ...], float, tuple[float, ...], tuple[float, ...]]:
    from sklearn.linear_model import LogisticRegression

    mean = np.nanmean(x, axis=0)
    scale = np.nanstd(x, axis=0) + 1e-6
    z = np.where(np.isnan(x), 0.0, (x - mean) / scale)
    # Classes weighted equally (clean clips outnumber the others), mild regularisation.
    m = LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000).fit(z, y)
    return (tuple(round(float(w), 4) for w in m.coef_[0]), round(float(m.intercept_[0]), 4),
            tuple(round(float(v), 4) for v in mean), tuple(round(float(v), 4) for v in scale))


def _limit(negative_scores: list[float], floor: float) -> float:
    """A limit clear of the tuning negatives: their 99th percentile plus half the distance
    to 1, never below `floor`."""
    p99 = float(np.percentile(negative_scores, 99)) if negative_scores else 0.0
    return round(max(floor, p99 + 0.5 * (1.0 - p99)), 3)


def fit_models(rows: list[dict], th: GateThresholds) -> GateThresholds:
    """Both logistic models and their limits, from half A only."""
    tune = [r for r in rows if r["half"] == "A" and r["quality"].get("asr_avg_logprob") is not None
            and _passes_early_rules(r, th)]
    two = [r for r in tune if r["category"] in POSITIVE | SINGLE | {"non_english"}]
    x = np.array([logistic.features(r["quality"], logistic.TWO_VOICE_FEATURES) for r in two])
    y = np.array([r["category"] in POSITIVE for r in two], int)
    w, b, m, sc = _fit(x, y)
    th = dataclasses.replace(th, two_voice_weights=w, two_voice_bias=b, two_voice_mean=m, two_voice_scale=sc)
    neg = [logistic.two_voice_score(r["quality"], th) for r in two if r["category"] in SINGLE]
    th = dataclasses.replace(th, max_two_voice_score=_limit(neg, 0.5))
    print(f"two-voice model on half A: {int(y.sum())} two-voice, {int((1 - y).sum())} single-voice clips; "
          f"limit {th.max_two_voice_score}")
    fo = [r for r in tune if r["category"] in SINGLE | {"non_english"} | POSITIVE]
    x = np.array([logistic.features(r["quality"], logistic.FOREIGN_FEATURES) for r in fo])
    y = np.array([r["category"] == "non_english" for r in fo], int)
    w, b, m, sc = _fit(x, y)
    th = dataclasses.replace(th, foreign_weights=w, foreign_bias=b, foreign_mean=m, foreign_scale=sc)
    neg = [logistic.foreign_score(r["quality"], th) for r in fo if r["category"] in SINGLE]
    th = dataclasses.replace(th, min_english_confidence=round(1.0 - _limit(neg, 0.5), 3))
    print(f"foreign model on half A: {int(y.sum())} non-English, {int((1 - y).sum())} English clips; "
          f"min English confidence {th.min_english_confidence}")
    return th


FITTED = ("max_two_voice_score", "two_voice_weights", "two_voice_bias", "two_voice_mean", "two_voice_scale",
          "foreign_weights", "foreign_bias", "foreign_mean", "foreign_scale", "min_english_confidence")


def apply(th: GateThresholds) -> None:
    """Rewrite the fitted numbers in place (the code's defaults and the operators' file agree)."""
    root = Path(__file__).resolve().parents[1]
    code, toml = root / "voices/gate/thresholds.py", root / "configs/default.toml"
    src, cfg = code.read_text(), toml.read_text()
    for name in FITTED:
        v = getattr(th, name)
        py = f"({', '.join(str(x) for x in v)})" if isinstance(v, tuple) else str(v)
        tm = f"[{', '.join(str(x) for x in v)}]" if isinstance(v, tuple) else str(v)
        src = re.sub(rf"^(    {name}: [^=]+= ).*$", lambda m, py=py: m.group(1) + py, src, flags=re.M)
        cfg = re.sub(rf"^({name} = )[^#\n]*", lambda m, tm=tm: m.group(1) + tm, cfg, flags=re.M)
    code.write_text(src)
    toml.write_text(cfg)
    print(f"wrote {', '.join(FITTED)} to {code.name} and {toml.name}")


def show(rows: list[dict], cues: list[str], th: GateThresholds) -> None:
    by: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        q = dict(r["quality"])
        if q.get("asr_avg_logprob") is not None:
            scores(q, th)
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
    ap.add_argument("--apply", action="store_true",
                    help="write the fitted model numbers into voices/gate/thresholds.py and configs/default.toml")
    ap.add_argument("--recompute-dsp", action="store_true",
                    help="recompute noise, level and reverb with the current code (VAD cached in segments.json)")
    ap.add_argument("--recompute-overlap", action="store_true",
                    help="rescore the overlap detector with the committed weights (after retraining it)")
    ap.add_argument("--no-fit", action="store_true", help="use the two-voice model in the code as it is")
    ap.add_argument("--set", nargs="*", default=[], help="key=value thresholds to try")
    args = ap.parse_args()
    rows = rows_with_measurements(args.corpus, args.recompute_dsp, args.recompute_overlap)
    th = GateThresholds(**{k: float(v) for k, v in (s.split("=") for s in args.set)})
    if not args.no_fit:
        th = fit_models(rows, th)
    if args.show:
        show(rows, args.show, th)
    judged = []
    for r in rows:
        got, evidence = verdict(r["quality"], th, r["wideband"] == "1")
        judged.append({**r, "got": got, "evidence": evidence, "seconds": 0.0,
                       "duration": r["quality"].get("duration_s") or 0.0})
    print(held_out_first(judged))
    if args.apply:
        apply(th)
    if args.write:
        print("\n[gate] two-voice model lines:")
        for k in ("max_two_voice_score", "two_voice_weights", "two_voice_bias", "two_voice_mean",
                  "two_voice_scale", "foreign_weights", "foreign_bias", "foreign_mean", "foreign_scale",
                  "min_english_confidence"):
            v = getattr(th, k)
            print(f"{k} = {list(v) if isinstance(v, tuple) else v}")


if __name__ == "__main__":
    main()
