"""Cloned-voice likeness among many speakers, on speakers no model or constant was chosen on.

    python bench/clone_population.py [--data ../shared/data] [--methods M1,M2] [--sentences 5]
                                     [--speakers spk0,367] [--enroll-seconds 10]
                                     [--bases piper,auto] [--latency 2] [--prior old=FILE]

Enrolled and judged: the eight libritts8 speakers (24 kHz) and the ten LibriSpeech
``test-other`` speakers (16 kHz, resampled); each gets one clip joined from its own
utterances (``--enroll-seconds``, 14 s at most), the rest are held out. The
identification set adds the ``train-clean-100`` impostors of ``bench/population.py``
(one utterance each), which are disjoint from the speakers ``bench/train_voice_prior.py``
trains on: 18 + 51 = 69 speakers. Every output is scored by

- resemblyzer: cosine to each speaker's centroid of held-out utterances (target
  similarity, best other, identification = the target is nearest);
- the MFCC-GMM judge of ``bench/clone_quality.py`` (one GMM per speaker on the same
  held-out audio): identification;
- WER of the bundled ASR against the sentence. The base voice is read anew for every
  output slot (speaker x sentence), so its WER rests on as many Piper readings as each
  method's; methods convert one shared reading per slot (paired, as clone_quality).

``--bases`` enrolls every speaker once per base voice mode (``voices/base_voice.py``:
Piper, or a Kokoro style chosen from the clip's median F0) and converts every method from
each (rows ``METHOD @mode``, beside the unconverted ``base @mode``), all against Piper's
base WER; ``--latency N`` times a clone's first chunk on N sentences per speaker and mode
(fresh readings). ``--prior NAME=FILE`` loads another average speaker (``voices.prior``) for
the methods written ``METHOD~NAME`` (a prior retrained on other speakers, side by side with
the committed one). Female and male speakers are reported apart (libritts8's sex by the clip's median F0,
LibriSpeech's from its manifest). Speaker encoders only score; the conversion never sees
them. Held-out embeddings, the judge's models and the clips' transcripts are cached in
``bench/out/population/`` (delete it after changing the data or the judges).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import clone_quality as cq
import conversion_variants
import population

from voices import base_voice, loudness, prior, synthesis
from voices.profile import build_profile, speaker_embedding
from voices.synthesis import OUTPUT_RATE, ClonedVoice, synthesize

CACHE = Path(__file__).resolve().parent / "out" / "population"
BASE = "base (joe, unconverted)"
# Median F0 below which a libritts8 clip is counted male (its manifest has no sex).
MALE_BELOW_HZ = 165.0


class CpuReading:
    """Base-voice readings kept per speaker, as :class:`clone_quality.SameReading` keeps
    Piper's (every method converts the same audio), for any base voice
    (``synthesis.base_reading``); a replayed reading is charged the CPU time it took."""

    def __init__(self) -> None:
        self.real = synthesis.base_reading
        self.kept: dict[tuple[str, str, float], tuple[np.ndarray, np.ndarray, float]] = {}
        self.replayed_cpu = 0.0

    def __call__(self, voice: str, text: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        key = (voice, text, speed)
        if key in self.kept:
            self.replayed_cpu += self.kept[key][2]
        else:
            c = time.process_time()
            audio, labels = self.real(voice, text, speed)
            self.kept[key] = (audio, labels, time.process_time() - c)
        audio, labels, _ = self.kept[key]
        return audio.copy(), labels.copy()


def base_voice_audio(text: str, voice: str) -> np.ndarray:
    """A base voice unconverted, read anew, as ``synthesize(text, None)`` reads Piper."""
    parts = []
    pieces = synthesis.plan(text)
    for i, piece in enumerate(pieces):
        if i and pieces[i - 1][-1] in ".!?":
            parts.append(synthesis.gap())
        parts.append(loudness.normalize_level(synthesis.base_reading(voice, piece)[0]))
    return np.concatenate(parts)


@contextlib.contextmanager
def average_speaker(average: prior.VoicePrior | None) -> Iterator[None]:
    """The conversion reads ``average`` as the average speaker meanwhile (None: the committed one)."""
    committed = prior.default
    if average is not None:
        prior.default = lambda: average  # type: ignore[assignment]
    try:
        yield
    finally:
        prior.default = committed  # type: ignore[assignment]


def system_name(method: str, mode: str) -> str:
    """A method's row: its name for Piper-based profiles (as before), tagged otherwise."""
    return method if mode == base_voice.PIPER else f"{method} @{mode}"


def first_chunk_s(text: str, profile: Any) -> float:
    """Wall time to a cloned voice's first chunk of ``text`` (a fresh reading)."""
    t = time.perf_counter()
    next(iter(synthesis.synthesize_stream(text, profile)))
    return time.perf_counter() - t


@dataclass
class Judged:
    speaker: cq.Speaker
    sex: str
    corpus: str


def _sex_by_pitch(x: np.ndarray) -> str:
    import pyworld as pw

    f0, _ = pw.dio(np.asarray(x, np.float64), OUTPUT_RATE, frame_period=10.0)
    voiced = f0[f0 > 0]
    return "M" if voiced.size and np.median(voiced) < MALE_BELOW_HZ else "F"


def load(data: Path, enroll_s: float) -> tuple[list[Judged], list[cq.Speaker]]:
    """Judged speakers (libritts8, test-other) and impostors (one utterance each)."""
    judged = [Judged(s, _sex_by_pitch(s.enroll), "libritts8") for s in cq.load(data / "libritts8", enroll_s)]
    parts = population.split(data / "librispeech261")
    by_spk: dict[str, list[population.Utterance]] = {}
    for u in parts["judged"]:
        by_spk.setdefault(u.speaker, []).append(u)
    for spk, utts in sorted(by_spk.items(), key=lambda kv: int(kv[0])):
        s = cq.join(spk, [(population.read(u.path, OUTPUT_RATE), u.seconds) for u in utts], enroll_s)
        if s is not None:
            judged.append(Judged(s, utts[0].sex, "test-other"))
    impostors = [cq.Speaker(u.speaker, np.zeros(0, np.float32), [population.read(u.path, OUTPUT_RATE)])
                 for u in parts["impostors"]]
    return judged, impostors


def _cached(name: str, build: Callable[[], Any]) -> Any:
    path = CACHE / name
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return value


@dataclass
class Tally:
    target_sim: list[float] = field(default_factory=list)
    other_sim: list[float] = field(default_factory=list)
    ident: list[bool] = field(default_factory=list)
    judge: list[bool] = field(default_factory=list)
    errors: int = 0
    words: int = 0

    def add(self, other: Tally) -> None:
        for name in ("target_sim", "other_sim", "ident", "judge"):
            getattr(self, name).extend(getattr(other, name))
        self.errors += other.errors
        self.words += other.words

    @property
    def wer(self) -> float:
        return 100 * self.errors / max(self.words, 1)

    def cells(self, base_wer: float | None) -> str:
        delta = "" if base_wer is None else f" ({self.wer - base_wer:+.1f})"
        return (f"{np.mean(self.target_sim):.3f} | {np.mean(self.other_sim):.3f} | {100 * np.mean(self.ident):5.1f}% | "
                f"{100 * np.mean(self.judge):5.1f}% | {self.wer:4.1f}%{delta}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(population.ROOT), help="folder holding libritts8/ and librispeech261/")
    ap.add_argument("--methods", default="default,previous",
                    help="comma-separated conversion methods (bench/conversion_variants.py: method strings, or "
                         "default / previous, the server's default and the one before it)")
    ap.add_argument("--sentences", type=int, default=len(cq.SENTENCES), help="how many of the bench sentences")
    ap.add_argument("--speakers", default="", help="comma-separated judged speakers to enroll (default: all)")
    ap.add_argument("--enroll-seconds", type=float, default=10.0)
    ap.add_argument("--latency", type=int, default=0,
                    help="time the first chunk of this many sentences per enrolled speaker and base mode")
    ap.add_argument("--bases", default=base_voice.PIPER,
                    help=f"comma-separated base voice modes ({', '.join(base_voice.MODES)}): each enrolls its "
                         "own profile and converts every method (rows tagged @mode); Piper's base is the WER reference")
    ap.add_argument("--prior", default="", help="NAME=FILE,...: other average speakers for methods METHOD~NAME")
    ap.add_argument("--json", default="", help="write every output's scores here")
    args = ap.parse_args()
    t0 = time.time()
    data = Path(args.data)
    judged, impostors = load(data, args.enroll_seconds)
    pool = [j.speaker for j in judged] + impostors
    names = [s.name for s in pool]

    def centroids() -> np.ndarray:
        rows = []
        for s in pool:
            e = np.stack([speaker_embedding(x, OUTPUT_RATE) for x in s.held_out]).mean(0)
            rows.append(e / np.linalg.norm(e))
        return np.stack(rows)

    tag = f"{len(pool)}_{args.enroll_seconds:g}"
    cent = _cached(f"centroids_{tag}.pkl", centroids)
    judge = _cached(f"judge_{tag}.pkl", lambda: cq.Judge(pool))
    transcripts = _cached(f"clips_{tag}.pkl", lambda: {j.speaker.name: cq.transcribe(j.speaker.enroll)
                                                        for j in judged})
    chosen = set(args.speakers.split(",")) - {""}
    enrolled = [j for j in judged if not chosen or j.speaker.name in chosen]
    sentences = cq.SENTENCES[: args.sentences]
    priors = {name: prior.VoicePrior.load(Path(path))
              for name, path in (item.split("=", 1) for item in args.prior.split(",") if item)}
    methods = {m: conversion_variants.parse(m.split("~")[0]) for m in args.methods.split(",") if m}
    unknown = {m.split("~")[1] for m in methods if "~" in m} - set(priors)
    if unknown:
        raise SystemExit(f"--methods names priors not given by --prior: {', '.join(sorted(unknown))}")
    modes = [base_voice.check_mode(m) for m in args.bases.split(",") if m]
    systems = [BASE]
    for mode in modes:
        if mode != base_voice.PIPER:
            systems.append(system_name("base", mode))
        systems.extend(system_name(m, mode) for m in methods)
    print(f"{len(pool)} speakers in the identification set ({len(judged)} judged, {len(impostors)} impostors), "
          f"{len(enrolled)} enrolled; setup {time.time() - t0:.0f} s", file=sys.stderr)

    tallies: dict[tuple[str, str, str], Tally] = {}  # (system, sex, corpus)
    records = []
    cpu = {name: [0.0, 0.0] for name in systems}  # synthesis CPU s, audio s
    enroll_times = []
    latency: dict[str, list[float]] = {}  # first chunk, wall s, per base mode
    chosen_voice: dict[str, list[str]] = {}
    for j in enrolled:
        spk = j.speaker
        idx = names.index(spk.name)
        outs: list[tuple[str, int, np.ndarray]] = []
        for k, text in enumerate(sentences):
            c = time.process_time()
            y = synthesize(text, None)
            cpu[BASE][0] += time.process_time() - c
            cpu[BASE][1] += len(y) / OUTPUT_RATE
            outs.append((BASE, k, y))
        for mode in modes:
            t = time.perf_counter()
            profile = build_profile(spk.enroll, OUTPUT_RATE, transcript=transcripts[spk.name], base_voice=mode)
            if mode == modes[0]:
                enroll_times.append(time.perf_counter() - t)
            chosen_voice.setdefault(mode, []).append(profile.base_voice)
            if mode != base_voice.PIPER:
                name = system_name("base", mode)
                for k, text in enumerate(sentences):
                    c = time.process_time()
                    y = base_voice_audio(text, profile.base_voice)
                    cpu[name][0] += time.process_time() - c
                    cpu[name][1] += len(y) / OUTPUT_RATE
                    outs.append((name, k, y))
            if methods and args.latency:
                first = ClonedVoice(profile, next(iter(methods.values())))
                latency.setdefault(mode, []).extend(first_chunk_s(text, first) for text in sentences[:args.latency])
            same = CpuReading()
            synthesis.base_reading = same  # type: ignore[assignment]
            try:
                for method, options in methods.items():
                    name = system_name(method, mode)
                    average = priors[method.split("~")[1]] if "~" in method else None
                    for k, text in enumerate(sentences):
                        c, replayed = time.process_time(), same.replayed_cpu
                        with average_speaker(average):
                            y = synthesize(text, ClonedVoice(profile, options))
                        cpu[name][0] += time.process_time() - c + same.replayed_cpu - replayed
                        cpu[name][1] += len(y) / OUTPUT_RATE
                        outs.append((name, k, y))
            finally:
                synthesis.base_reading = same.real  # type: ignore[assignment]
        line = []
        for system, k, y in outs:
            sims = cent @ speaker_embedding(y, OUTPUT_RATE)
            tally = tallies.setdefault((system, j.sex, j.corpus), Tally())
            tally.target_sim.append(float(sims[idx]))
            tally.other_sim.append(float(np.max(np.delete(sims, idx))))
            tally.ident.append(int(np.argmax(sims)) == idx)
            judged_as = judge.identify(y)
            tally.judge.append(judged_as == spk.name)
            hyp = cq.transcribe(y)
            e, n = cq.wer_counts(sentences[k], hyp)
            tally.errors += e
            tally.words += n
            records.append({"speaker": spk.name, "sex": j.sex, "corpus": j.corpus, "system": system, "sentence": k,
                            "target_sim": float(sims[idx]), "nearest": names[int(np.argmax(sims))],
                            "judge": judged_as, "errors": e, "words": n})
        for system in systems[1:]:
            recs = [r for r in records if r["speaker"] == spk.name and r["system"] == system]
            line.append(f"{system}: sim {np.mean([r['target_sim'] for r in recs]):.2f} "
                        f"id {sum(r['nearest'] == spk.name for r in recs)}/{len(recs)} "
                        f"judge {sum(r['judge'] == spk.name for r in recs)}/{len(recs)}")
        print(f"{spk.name} ({j.sex}, {j.corpus}): enroll {enroll_times[-1]:.1f} s  " + "  ".join(line),
              file=sys.stderr, flush=True)

    if args.json:
        Path(args.json).write_text(json.dumps(records))
    print(f"\nclone_population: {len(enrolled)} enrolled speakers x {len(sentences)} sentences, identification "
          f"among {len(pool)} speakers ({len(impostors)} train-clean-100 impostors), data {data}")
    print("| system | speakers | target sim | best other | id (resemblyzer) | id (MFCC-GMM) | WER (− base) |")
    print("|---|---|---|---|---|---|---|")
    groups = [("all", lambda key: True), ("female", lambda key: key[1] == "F"), ("male", lambda key: key[1] == "M"),
              ("libritts8", lambda key: key[2] == "libritts8"), ("test-other", lambda key: key[2] == "test-other")]
    for label, keep in groups:
        base_wer = None
        for system in systems:
            total = Tally()
            for key, tally in tallies.items():
                if key[0] == system and keep(key):
                    total.add(tally)
            if not total.ident:
                continue
            n = len({r["speaker"] for r in records if r["system"] == system and keep((system, r["sex"], r["corpus"]))})
            print(f"| {system} | {label} ({n}) | {total.cells(base_wer)} |")
            if system == BASE:
                base_wer = total.wer
    per_s = {m: cpu[m][0] / max(cpu[m][1], 1e-9) for m in systems}
    ratios = "  ".join(f"{m}: {per_s[m] / per_s[BASE]:.2f}" for m in systems[1:])
    print(f"synthesis CPU s per audio s: {BASE} {per_s[BASE]:.3f}; "
          + "  ".join(f"{m}: {per_s[m]:.3f}" for m in systems[1:]))
    for mode, voices in chosen_voice.items():
        print(f"base voices @{mode}: " + ", ".join(f"{v} x{voices.count(v)}" for v in sorted(set(voices))))
    for mode, waits in latency.items():
        print(f"first chunk @{mode} ({next(iter(methods))}, wall, {len(waits)} sentences, machine load "
              f"{os.getloadavg()[0]:.1f}): median {np.median(waits):.3f} s, max {np.max(waits):.3f} s")
    print(f"synthesis CPU per audio second, cloned/base: {ratios}; enrollment median "
          f"{np.median(enroll_times):.2f} s (wall, clips {args.enroll_seconds:g}-14 s); total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
