"""Synthesis speed: real-time factor and time to first chunk, base vs cloned voice.

    python bench/tts_speed.py [--runs 5] [--method meanvar+warp] [--no-http] [--bases piper,auto]

Both voices read the same texts in the same run, alternating, so a machine that gets
busier during the run slows both alike; each figure is the median over ``--runs``.
RTF = synthesis time / audio duration (whole ``synthesize_stream`` consumed), as wall
time and as this process's CPU time (the latter is what a shared, busy machine does not
distort: on 2 idle cores wall RTF is at least CPU RTF / 2); time to first chunk = call
to first yielded chunk. The load average is printed because wall figures depend on it.
The clone is enrolled from Piper speech made into another speaker with WORLD (pitch and
formants moved), so no data is needed. ``--bases`` enrolls one clone per base voice mode
(voices/base_voice.py) of a higher speaker (1.9x Piper's pitch, so ``auto`` picks a
Kokoro style), each row against the stock voice.

The HTTP table is what a client sees: a real server process, `POST /v1/audio/speech`
streaming a 2-sentence input as PCM, time from sending the request to the first audio
byte (TTFB) and to the last byte, for the stock voice and a clone enrolled over HTTP
from the demo clip (band-extended Piper speech moved to another pitch and formants).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyworld as pw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import conversion_variants

from voices.profile import VoiceProfile, build_profile
from voices.synthesis import OUTPUT_RATE, ClonedVoice, piper_audio, synthesize_stream

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


def another_speaker(text: str, pitch: float, warp: float) -> np.ndarray:
    """Piper reading ``text``, moved to another pitch and vocal-tract length with WORLD."""
    x = piper_audio(text).astype(np.float64)
    f0, t = pw.dio(x, OUTPUT_RATE)
    f0 = pw.stonemask(x, f0, t, OUTPUT_RATE)
    sp = pw.cheaptrick(x, f0, t, OUTPUT_RATE)
    ap = pw.d4c(x, f0, t, OUTPUT_RATE)
    bins = np.arange(sp.shape[1])
    sp = np.stack([np.interp(bins / warp, bins, frame) for frame in sp])
    y = pw.synthesize(f0 * pitch, sp, ap, OUTPUT_RATE)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def clone(base_voice: str = "piper", pitch: float = 1.5) -> VoiceProfile:
    return build_profile(another_speaker(ENROLL_TEXT, pitch, 1.15), OUTPUT_RATE, transcript=ENROLL_TEXT,
                         base_voice=base_voice)


# Piper reads the next piece beside the conversion, as the server's scheduler lets it.
_AHEAD = ThreadPoolExecutor(1, thread_name_prefix="piper-ahead")


def run_once(text: str, profile: ClonedVoice | None) -> tuple[float, float, float]:
    """(wall-clock RTF, CPU-time RTF, seconds to the first chunk)."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    first = None
    samples = 0
    for chunk in synthesize_stream(text, profile, ahead=_AHEAD):
        if first is None:
            first = time.perf_counter() - t0
        samples += len(chunk)
    total = time.perf_counter() - t0
    audio = samples / OUTPUT_RATE
    return total / audio, (time.process_time() - c0) / audio, first or total


HTTP_TEXT = "Your appointment is confirmed for Thursday at 2 PM. We will send you a reminder the day before."


def http_clip() -> bytes:
    from voices.audio_io import resample, wav_bytes
    from voices.demo_clip import DEMO_RATE, replicate_band

    y = another_speaker(ENROLL_TEXT + " " + TEXTS["paragraph"], 1.3, 1.1)[: 13 * OUTPUT_RATE]
    y = replicate_band(resample(y, OUTPUT_RATE, DEMO_RATE), DEMO_RATE)
    return wav_bytes((0.5 * y / np.max(np.abs(y))).astype(np.float32), DEMO_RATE)


def http_ttfb(runs: int) -> None:
    import tempfile

    import httpx

    from tests.conftest import start_server, stop_server, wait_status

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            r = httpx.post(f"{server.base_url}/v1/voice/clones", headers=server.headers,
                           data={"name": "bench"}, files={"file": ("clip.wav", http_clip())}, timeout=60)
            voice = wait_status(server, r.json()["id"])
            if voice["status"] != "ready":
                print("clone enrollment failed:", voice["failure"])
                return
            results: dict[str, list[tuple[float, float, float]]] = {"joe": [], voice["id"]: []}
            for i in range(runs + 1):
                for vid in results:
                    t0 = time.perf_counter()
                    first = None
                    size = 0
                    with httpx.stream("POST", f"{server.base_url}/v1/audio/speech", headers=server.headers,
                                      json={"input": HTTP_TEXT, "voice": vid, "response_format": "pcm"},
                                      timeout=60) as resp:
                        for chunk in resp.iter_raw():
                            if first is None:
                                first = time.perf_counter() - t0
                            size += len(chunk)
                    total = time.perf_counter() - t0
                    if i:  # the first round warms the server's caches
                        results[vid].append((first or total, total, total / (size / 2 / OUTPUT_RATE)))
        finally:
            stop_server(server)
    print(f"\nHTTP, streaming pcm, 2-sentence input, median of {runs} runs, load average {os.getloadavg()[0]:.1f}")
    print("| voice | TTFB (ms) | last byte (ms) | RTF (wall, over HTTP) |")
    print("|---|---|---|---|")
    med = {k: [statistics.median(col) for col in zip(*v, strict=True)] for k, v in results.items()}
    for vid, (ttfb, total, rtf) in med.items():
        print(f"| {'base (joe)' if vid == 'joe' else 'cloned'} | {1000 * ttfb:.0f} | {1000 * total:.0f} | {rtf:.3f} |")
    b, c = med["joe"], med[voice["id"]]
    print(f"| cloned/base | {c[0] / b[0]:.2f} | {c[1] / b[1]:.2f} | {c[2] / b[2]:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--method", default="default",
                    help="conversion method (bench/conversion_variants.py; default: the server's default)")
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP time-to-first-byte table")
    ap.add_argument("--bases", default="", help="comma-separated base voice modes, one clone each (see above)")
    args = ap.parse_args()
    modes = [m for m in args.bases.split(",") if m]
    options = conversion_variants.parse(args.method)
    profiles = {f"cloned @{m}": clone(m, 1.9) for m in modes} if modes else {"cloned": clone()}
    clones = {k: ClonedVoice(p, options) for k, p in profiles.items()}
    for text in TEXTS.values():  # warm up models and caches
        run_once(text, None)
        for profile in clones.values():
            run_once(text, profile)
    load = os.getloadavg()[0]
    print(f"tts_speed: median of {args.runs} runs, {os.cpu_count()} CPUs, load average {load:.1f}, "
          f"method {args.method}, base voices "
          + ", ".join(f"{k} {p.base_voice}" for k, p in profiles.items()))
    print("| text | voice | RTF (wall) | RTF (CPU time, all threads) | first chunk (ms) |")
    print("|---|---|---|---|---|")
    for name, text in TEXTS.items():
        res: dict[str, list[tuple[float, float, float]]] = {"base": [], **{k: [] for k in clones}}
        for _ in range(args.runs):
            res["base"].append(run_once(text, None))
            for k, profile in clones.items():
                res[k].append(run_once(text, profile))
        med = {k: [statistics.median(col) for col in zip(*v, strict=True)] for k, v in res.items()}
        for voice, (rtf, cpu, first) in med.items():
            print(f"| {name} | {voice} | {rtf:.3f} | {cpu:.3f} | {1000 * first:.0f} |")
        b = med["base"]
        for k in clones:
            c = med[k]
            print(f"| {name} | {k}/base | {c[0] / b[0]:.2f} | {c[1] / b[1]:.2f} | {c[2] / b[2]:.2f} |")
    if not args.no_http:
        http_ttfb(args.runs)


if __name__ == "__main__":
    main()
