"""Train the gate's two-voices-at-once detector (voices/gate/overlap.py) from real speakers.

Usage: python bench/train_overlap.py [--shared ../shared/data] [--examples 24000] [--epochs 8]

Only the gate corpus's tuning half A (``bench/gate_corpus.split``) is read for training:
one-second windows of one real person's speech against the same person with another
half-A person talking over them at 0 to -10 dB, both through the same ordinary captures
(real room tone, steady or drifting with breaths as close microphones hear it, pink
noise, small rooms). Held-out half B is then scored the same way
and printed first: window AUC, and the clip score (voices.gate.overlap.measure) of clean,
captured and overlapped clips of speakers the network never heard. The weights go to
voices/trained/overlap_detector.npz.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import gate_degrade as dg
from bench.gate_corpus import Speaker, load, room_tones
from voices.audio_io import resample
from voices.gate import overlap, speakers, vad
from voices.gate.dsp import ANALYSIS_RATE, to_analysis_rate

RATE = ANALYSIS_RATE
SEG = overlap.N_FFT + (overlap.WINDOW - 1) * overlap.HOP  # samples giving exactly one window


def speech_of(s: Speaker) -> np.ndarray:
    """The speaker's speech at 16 kHz, pauses cut out by the gate's own VAD."""
    parts = []
    for u in s.utts:
        x16 = to_analysis_rate(u.astype(np.float32), s.rate)
        parts.append(speakers.speech_only(x16, vad.measure(x16).segments))
    return np.concatenate(parts).astype(np.float32)


def capture(x: np.ndarray, rng: np.random.Generator, tones: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """An ordinary capture of the (mixed) speech: sometimes a small room, sometimes a floor."""
    if rng.random() < 0.3:
        x = dg.reverberate(x, RATE, float(rng.uniform(0.2, 0.6)), float(rng.uniform(0.0, 6.0)), rng)[: len(x)]
    u = rng.random()
    if u < 0.25 and tones:
        tone, tr = tones[int(rng.integers(len(tones)))]
        x = dg.room_tone(x, RATE, tone, tr, float(rng.uniform(12.0, 35.0)))
    elif u < 0.5 and tones:
        tone, tr = tones[int(rng.integers(len(tones)))]
        floor = dg.unsteady_floor(tone, tr, len(x), RATE, rng)
        x = dg.add_at_snr(x, floor, RATE, float(rng.uniform(10.0, 30.0)))
    elif u < 0.7:
        x = dg.add_at_snr(x, dg.pink(len(x), rng), RATE, float(rng.uniform(15.0, 40.0)))
    return x


def examples(streams: list[np.ndarray], tones: list[tuple[np.ndarray, int]], n: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n windows, half one voice and half two at once (label 1), as standardised spectra."""
    span = 2 * SEG

    def piece(k: int) -> np.ndarray:
        s = streams[k]
        off = int(rng.integers(0, len(s) - span))
        return s[off: off + span]

    x = np.zeros((n, overlap.N_BINS, overlap.WINDOW), np.float32)
    y = np.zeros(n, np.float32)
    for i in range(n):
        a = int(rng.integers(len(streams)))
        seg = piece(a).copy()
        if i % 2:
            b = int(rng.integers(len(streams) - 1))
            b += b >= a
            other = piece(b)
            rel = float(rng.uniform(-10.0, 0.0))
            seg += other * np.sqrt(dg.level(seg, RATE) / dg.level(other, RATE)) * 10 ** (rel / 20)
            y[i] = 1.0
        seg = capture(seg, rng, tones)
        mid = SEG // 2
        x[i] = overlap.windows(overlap.log_spectrogram(seg[mid: mid + SEG]))[0]
    return x, y


def train(x: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> overlap.nn.Sequential:
    import torch

    torch.manual_seed(seed)
    net = overlap.network()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(x[:, None]), torch.from_numpy(y)
    for epoch in range(epochs):
        t0 = time.time()
        perm = torch.randperm(len(xt))
        total = 0.0
        net.train()
        for k in range(0, len(xt), 64):
            idx = perm[k: k + 64]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx])[:, 0], yt[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        print(f"epoch {epoch + 1}: loss {total / len(xt):.4f} ({time.time() - t0:.0f} s)", flush=True)
    net.eval()
    return net


def auc(p: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def clip_scores(people: list[Speaker], by_half: list[Speaker], tones: list[tuple[np.ndarray, int]],
                net: overlap.nn.Module, rng: np.random.Generator) -> dict[str, list[float]]:
    """Clip scores as the gate computes them, for clean, captured and overlapped clips."""
    out: dict[str, list[float]] = {}
    for s in people:
        r = s.rate
        u = s.utts[0] if s.source == "train-clean-100" else dg.join(s.utts[:3], r, rng)
        x = dg.peak_norm(u[: int(13 * r)], 0.7)
        if len(x) < 6 * r:
            continue
        pool = [o for o in by_half if o.name != s.name]
        partner = pool[int(rng.integers(len(pool)))]
        p = np.concatenate([resample(v, partner.rate, r) for v in partner.utts])
        while len(p) < len(x):
            p = np.concatenate([p, p])
        variants = {"clean": x}
        tone, tr = tones[int(rng.integers(len(tones)))]
        variants["room tone 15-30 dB"] = dg.room_tone(x, r, tone, tr, float(rng.uniform(15, 30)))
        tone, tr = tones[int(rng.integers(len(tones)))]
        floor = dg.unsteady_floor(tone, tr, len(x), r, rng)
        variants["drifting floor, breaths, 12-20 dB"] = dg.add_at_snr(x, floor, r, float(rng.uniform(12, 20)))
        variants["RT60 0.35 s"] = dg.reverberate(x, r, 0.35, 1.0, rng)
        for cover in (1.0, 0.6):
            n = int(cover * len(x))
            st = int(rng.integers(0, len(x) - n + 1))
            y = x.copy()
            part = p[:n]
            y[st: st + n] += part * np.sqrt(dg.level(x, r) / dg.level(part, r)) * 10 ** (rng.uniform(-6, 0) / 20)
            variants[f"overlap {cover:.0%}, 0 to -6 dB"] = y
        for name, v in variants.items():
            x16 = to_analysis_rate(dg.peak_norm(v).astype(np.float32), r)
            speech = speakers.speech_only(x16, vad.measure(x16).segments)
            p_w = overlap.window_probabilities(speech, net)
            out.setdefault(name, []).append(float(p_w.mean()) if len(p_w) else 0.0)
    return out


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    ap.add_argument("--examples", type=int, default=24000)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", type=Path, default=overlap.WEIGHTS)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    people = load(args.shared)
    tones = room_tones(people)
    halves = {h: [s for s in people if s.half == h] for h in "AB"}
    streams = {h: [x for x in (speech_of(s) for s in halves[h]) if len(x) > 2 * SEG + 1] for h in "AB"}
    print(f"speakers: A {len(streams['A'])}, B {len(streams['B'])}", flush=True)
    xa, ya = examples(streams["A"], tones["A"], args.examples, rng)
    xb, yb = examples(streams["B"], tones["B"], 4000, rng)
    net = train(xa, ya, args.epochs, args.seed)
    with torch.inference_mode():
        pb = torch.sigmoid(net(torch.from_numpy(xb[:, None]))[:, 0]).numpy()
        pa = torch.sigmoid(net(torch.from_numpy(xa[:4000, None]))[:, 0]).numpy()
    print(f"window AUC: held-out B {auc(pb, yb):.3f}, tuning A {auc(pa, ya[:4000]):.3f}")
    scores = clip_scores(halves["B"], halves["B"], tones["B"], net, rng)
    print("\nclip score on held-out speakers (B): mean two-voice probability over speech windows")
    print(f"| {'clip':30s} | n | q05 | median | q95 | max |")
    for name, v in scores.items():
        a = np.array(v)
        print(f"| {name:30s} | {len(a)} | {np.quantile(a, .05):.3f} | {np.median(a):.3f} | "
              f"{np.quantile(a, .95):.3f} | {a.max():.3f} |")
    overlap.save(net, args.out)
    print(f"weights -> {args.out}")


if __name__ == "__main__":
    main()
