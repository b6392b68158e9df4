"""Re-apply thresholds offline to the measurements of `gate_eval.py --full`, for tuning.

Usage: python -m bench.gate_rejudge [--half A] [--set key=value ...]
Mirrors the order of voices/gate/judge.py (first failing check wins), so a threshold can
be tried on half A without re-running the models; the final figures always come from a
real `bench/gate_eval.py` run.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from bench.gate_eval import load_results, report
from voices.gate import GateThresholds

# bench/gate_cues.py cue name -> gate quality field it stands for.
CUE_FIELDS = {"floor_spread": "floor_spread_db", "music": "music", "level": "level_spread_db",
              "phrase_level": "phrase_level_spread_db"}


def verdict(q: dict, th: GateThresholds, got: str) -> str:
    if got in ("no_speech",) or not q or q.get("effective_bandwidth_hz") is None:
        return got  # decided before the tunable checks
    span_codes = {"clip_too_short", "clip_too_long"}
    if got in span_codes:
        return got
    checks = [
        ("insufficient_bandwidth", q["effective_bandwidth_hz"] < th.min_bandwidth_hz),
        ("clipping", q["clipped_fraction"] > th.max_clipped_fraction),
        ("long_silence", q["longest_silence_s"] > th.max_silence_s),
        ("inconsistent_level", q["phrase_level_spread_db"] > th.max_phrase_level_spread_db
         or q["level_spread_db"] > th.max_level_spread_db),
    ]
    noise_like = (q["wada_snr_db"] < th.noise_wada_snr_db
                  and q["floor_spread_db"] < th.max_noise_floor_spread_db)
    steady = q["floor_spread_db"] < th.max_steady_floor_spread_db
    c50_limit = th.min_c50_db if noise_like and steady else th.min_c50_db_clean
    checks += [
        ("too_noisy", q["snr_db"] < th.min_snr_db and steady),
        ("reverberant", q["reverb_c50_db"] < c50_limit),
        ("background_music", q["music"] > th.max_music),
        ("too_noisy", q["snr_db"] < th.min_snr_db and noise_like),
        ("multiple_speakers", q["speaker_similarity"] < th.speaker_similarity
         or (not noise_like and not steady and q["snr_db"] < th.min_floor_snr_db
             and q["reverb_c50_db"] >= th.floor_rule_min_c50_db)),
        ("multiple_speakers", q["asr_avg_logprob"] < th.overlap_max_asr_logprob
         and q["speaker_similarity"] < th.overlap_speaker_similarity),
        ("non_english", q["language_confidence"] < th.min_english_confidence),
        ("multiple_speakers", q.get("asr_worst_stretch_logprob", 0.0) < th.overlap_max_worst_stretch_logprob
         and q["wada_snr_db"] < th.overlap_max_wada_snr_db),
    ]
    return next((code for code, bad in checks if bad), "ok")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    ap.add_argument("--half")
    ap.add_argument("--set", nargs="*", default=[])
    args = ap.parse_args()
    th = GateThresholds(**{k: float(v) for k, v in (s.split("=") for s in args.set)})
    rows = load_results(args.corpus / "results_full.jsonl")
    # Measurements newer than the --full run come from bench/gate_cues.py (cues.jsonl);
    # a cue named like a gate measurement replaces it.
    cues = {r["file"]: r for r in load_results(args.corpus / "cues.jsonl")}
    for r in rows:
        for cue, field in CUE_FIELDS.items():
            if cue in cues.get(r["file"], {}):
                r["quality"][field] = cues[r["file"]][cue]
    if args.half:
        rows = [r for r in rows if r["half"] == args.half]
    for r in rows:
        r["got"] = verdict(r["quality"], th, r["got"])
    print(f"thresholds: {dataclasses.asdict(th)}")
    print(report(rows))


if __name__ == "__main__":
    main()
