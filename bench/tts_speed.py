"""Synthesis speed: real-time factor and time to first chunk, base vs cloned voice.

    python bench/tts_speed.py [--runs 5] [--method meanvar]

Both voices read the same texts in the same run, alternating, so a machine that gets
busier during the run slows both alike; each figure is the median over ``--runs``.
RTF = synthesis time / audio duration (whole ``synthesize_stream`` consumed), as wall
time and as this process's CPU time (the latter is what a shared, busy machine does not
distort: on 2 idle cores wall RTF is at least CPU RTF / 2); time to first chunk = call
to first yielded chunk. The load average is printed because wall figures depend on it.
The clone is enrolled from Piper speech made into another speaker with WORLD (pitch and
formants moved), so no data is needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyworld as pw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voices.profile import VoiceProfile, build_profile
from voices.synthesis import OUTPUT_RATE, piper_audio, synthesize_stream

TEXTS = {
    "short": "Your appointment is confirmed for Thursday at 2 PM.",
    "paragraph": (
        "Thanks for calling. Your order shipped this morning and should arrive on Friday. "
        "If you need to change the delivery address, reply to the confirmation email, or call "
        "us back at any time. Is there anything else I can help you with today?"
    ),
}
ENROLL_TEXT = (
    "Please call Stella and ask her to bring these things with her from the store: six spoons "
    "of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob."
)


def clone() -> VoiceProfile:
    x = piper_audio(ENROLL_TEXT).astype(np.float64)
    f0, t = pw.dio(x, OUTPUT_RATE)
    f0 = pw.stonemask(x, f0, t, OUTPUT_RATE)
    sp = pw.cheaptrick(x, f0, t, OUTPUT_RATE)
    ap = pw.d4c(x, f0, t, OUTPUT_RATE)
    bins = np.arange(sp.shape[1])
    sp = np.stack([np.interp(bins / 1.15, bins, frame) for frame in sp])
    y = pw.synthesize(f0 * 1.5, sp, ap, OUTPUT_RATE)
    return build_profile((0.3 * y / np.max(np.abs(y))).astype(np.float32), OUTPUT_RATE, transcript=ENROLL_TEXT)


def run_once(text: str, profile: VoiceProfile | None) -> tuple[float, float, float]:
    """(wall-clock RTF, CPU-time RTF, seconds to the first chunk)."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    first = None
    samples = 0
    for chunk in synthesize_stream(text, profile):
        if first is None:
            first = time.perf_counter() - t0
        samples += len(chunk)
    total = time.perf_counter() - t0
    audio = samples / OUTPUT_RATE
    return total / audio, (time.process_time() - c0) / audio, first or total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--method", default="", help="conversion method (default: the profile's)")
    args = ap.parse_args()
    profile = clone()
    if args.method:
        profile.method = args.method
    for text in TEXTS.values():  # warm up models and caches
        run_once(text, None)
        run_once(text, profile)
    load = os.getloadavg()[0]
    print(f"tts_speed: median of {args.runs} runs, {os.cpu_count()} CPUs, load average {load:.1f}, "
          f"method {profile.method}")
    print("| text | voice | RTF (wall) | RTF (CPU time, all threads) | first chunk (ms) |")
    print("|---|---|---|---|---|")
    for name, text in TEXTS.items():
        res: dict[str, list[tuple[float, float, float]]] = {"base": [], "cloned": []}
        for _ in range(args.runs):
            res["base"].append(run_once(text, None))
            res["cloned"].append(run_once(text, profile))
        med = {k: [statistics.median(col) for col in zip(*v, strict=True)] for k, v in res.items()}
        for voice, (rtf, cpu, first) in med.items():
            print(f"| {name} | {voice} | {rtf:.3f} | {cpu:.3f} | {1000 * first:.0f} |")
        b, c = med["base"], med["cloned"]
        print(f"| {name} | cloned/base | {c[0] / b[0]:.2f} | {c[1] / b[1]:.2f} | {c[2] / b[2]:.2f} |")


if __name__ == "__main__":
    main()
