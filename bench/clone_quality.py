"""Cloned-voice quality: likeness (two judges) and intelligibility, against the base voice.

    python bench/clone_quality.py [DATA] [--methods lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50,...] [--speakers spk0,spk1]
                                  [--save bench/out/clones] [--fresh]

DATA defaults to ``../shared/data/libritts8`` (LibriTTS test-clean samples, CC BY 4.0,
Zen et al.). Per speaker, enrollment uses that speaker's utterances (taken in manifest
order, skipping those under 2 s) until 8-14 s are collected; the rest are held out. Each
system (the unconverted base voice, then each conversion method) speaks five fixed
sentences that are in no clip, and every output is scored:

- resemblyzer: cosine to each speaker's held-out centroid; target similarity, best other
  speaker's similarity, identification accuracy (nearest centroid is the target).
- judge: an independent classical identifier, a 16-component diagonal GMM per speaker
  on 20 MFCCs + deltas of the held-out utterances (Reynolds & Rose, 1995); accuracy.
- WER of the bundled ASR's transcript of the output against the sentence.

The speaker encoder only scores; synthesis never sees it (it is stored in the profile
for the API, the conversion reads acoustic statistics only). ``--speakers`` restricts
which speakers are enrolled (the others still act as impostors), so methods can be
developed on some speakers and checked on the rest.

Methods are paired: per speaker, Piper reads each sentence once (per speed) and every
method converts that same reading (``--fresh``: a new reading per method, as runs
before 2026-11-27 did). The base voice is always a reading of its own.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import conversion_variants

from voices import models, synthesis
from voices.audio_io import resample
from voices.profile import build_profile, speaker_embedding
from voices.synthesis import OUTPUT_RATE, ClonedVoice, synthesize

SENTENCES = [
    "The little cottage by the river had a bright red door and a garden full of roses.",
    "Please remember to bring your umbrella, because the forecast says it will rain this afternoon.",
    "She walked slowly across the old wooden bridge and watched the boats drift by.",
    "Our team finished the project early, and everyone was invited to a small celebration.",
    "He wondered whether the letter would ever reach its destination beyond the mountains.",
]


@dataclass
class Speaker:
    name: str
    enroll: np.ndarray
    held_out: list[np.ndarray]


def load(data: Path, enroll_s: float = 8.0) -> list[Speaker]:
    import soundfile as sf

    rows = [line.split("\t") for line in (data / "MANIFEST.tsv").read_text().splitlines()[1:]]
    by_spk: dict[str, list[tuple[np.ndarray, float]]] = {}
    for path, spk, _secs, _rate in rows:
        x, sr = sf.read(data / path, dtype="float32")
        if x.ndim > 1:
            x = x.mean(axis=1)
        by_spk.setdefault(spk, []).append((resample(x, sr, OUTPUT_RATE), len(x) / sr))
    speakers = [s for spk, utts in sorted(by_spk.items()) if (s := join(spk, utts, enroll_s)) is not None]
    return speakers


def join(name: str, utts: list[tuple[np.ndarray, float]], enroll_s: float = 8.0) -> Speaker | None:
    """One speaker's clip (utterances >= 2 s joined until ``enroll_s``, 14 s at most) and
    held-out utterances (the rest, at least three); None when there are too few."""
    gap = np.zeros(int(0.3 * OUTPUT_RATE), np.float32)
    enroll: list[np.ndarray] = []
    held: list[np.ndarray] = []
    total = 0.0
    for x, secs in utts:
        if total < enroll_s and secs >= 2.0 and total + secs <= 14.0:
            enroll += [x, gap]
            total += secs
        else:
            held.append(x)
    if total < 6.0 or len(held) < 3:
        print(f"skipping {name}: {total:.1f} s to enroll, {len(held)} held out", file=sys.stderr)
        return None
    return Speaker(name, np.concatenate(enroll[:-1]), held)


def _mfcc(x: np.ndarray) -> np.ndarray:
    import librosa

    y = resample(x, OUTPUT_RATE, 16000)
    y, _ = librosa.effects.trim(y, top_db=35)
    m = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=20, n_fft=512, hop_length=160, n_mels=40)
    feats = np.vstack([m, librosa.feature.delta(m)]).T
    # Drop near-silent frames (low c0): they carry room, not speaker.
    return feats[m[0] > np.percentile(m[0], 30)]


class Judge:
    """MFCC-GMM speaker identification, trained on the held-out utterances."""

    def __init__(self, speakers: list[Speaker]) -> None:
        from sklearn.mixture import GaussianMixture

        self.names = [s.name for s in speakers]
        self.gmms = []
        for s in speakers:
            feats = np.vstack([_mfcc(x) for x in s.held_out])
            gmm = GaussianMixture(16, covariance_type="diag", random_state=0, max_iter=200, reg_covar=1e-3)
            self.gmms.append(gmm.fit(feats))

    def identify(self, x: np.ndarray) -> str:
        f = _mfcc(x)
        return self.names[int(np.argmax([g.score(f) for g in self.gmms]))]


def _words(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    return re.sub(r"[^a-z' ]", " ", text).split()


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    r, h = _words(ref), _words(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)], len(r)


def transcribe(x: np.ndarray) -> str:
    segments, _ = models.whisper().transcribe(resample(x, OUTPUT_RATE, 16000), language="en", beam_size=5)
    return " ".join(s.text for s in segments)


class SameReading:
    """Piper's readings, kept per speaker so every method converts the same audio.

    Piper's prosody is random from call to call, which moves one method's WER by ±2
    points between runs; with every method converting one reading of each sentence
    (same text and speed), differences between methods in a run are the conversion's
    alone. The base voice is still read anew (at its own speed), as before.
    """

    def __init__(self) -> None:
        self.real = synthesis.piper_reading
        self.kept: dict[tuple[str, float], tuple[np.ndarray, np.ndarray, float]] = {}
        self.replayed_s = 0.0  # Piper time a replayed reading would have cost (for RTF)

    def __call__(self, text: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        key = (text, speed)
        if key in self.kept:
            self.replayed_s += self.kept[key][2]
        else:
            t = time.perf_counter()
            audio, labels = self.real(text, speed)
            self.kept[key] = (audio, labels, time.perf_counter() - t)
        audio, labels, _ = self.kept[key]
        return audio.copy(), labels.copy()


@dataclass
class Row:
    system: str
    target_sim: list[float]
    other_sim: list[float]
    ident: list[bool]
    judge: list[bool]
    errors: int = 0
    words: int = 0
    synth_s: float = 0.0
    audio_s: float = 0.0

    def line(self) -> str:
        return (
            f"| {self.system:<22} | {np.mean(self.target_sim):.3f} | {np.mean(self.other_sim):.3f} | "
            f"{100 * np.mean(self.ident):5.1f}% | {100 * np.mean(self.judge):5.1f}% | "
            f"{100 * self.errors / max(self.words, 1):5.1f}% | {self.synth_s / max(self.audio_s, 1e-9):.3f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parent.parent.parent / "shared/data/libritts8"
    ap.add_argument("data", nargs="?", default=str(default_data))
    ap.add_argument("--methods", default="default,previous",
                    help="comma-separated conversion methods (bench/conversion_variants.py: method strings, or "
                         "default / previous, the server's default and the one before it)")
    ap.add_argument("--speakers", default="", help="comma-separated speakers to enroll (default: all)")
    ap.add_argument("--enroll-seconds", type=float, default=8.0,
                    help="join a speaker's utterances (>= 2 s each, 14 s at most) until the clip reaches this")
    ap.add_argument("--save", default="", help="folder to write each output as WAV")
    ap.add_argument("--fresh", action="store_true",
                    help="let Piper read each sentence anew for every method (unpaired, as before)")
    args = ap.parse_args()
    data = Path(args.data)
    t0 = time.time()
    speakers = load(data, args.enroll_seconds)
    names = [s.name for s in speakers]
    enrolled = [s for s in speakers if not args.speakers or s.name in args.speakers.split(",")]
    centroids = []
    for s in speakers:
        e = np.stack([speaker_embedding(x, OUTPUT_RATE) for x in s.held_out]).mean(0)
        centroids.append(e / np.linalg.norm(e))
    cent = np.stack(centroids)
    judge = Judge(speakers)
    save = Path(args.save) if args.save else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    print(f"{len(speakers)} speakers, {len(enrolled)} enrolled; setup {time.time() - t0:.0f} s", file=sys.stderr)

    methods = conversion_variants.parse_list(args.methods)
    rows = {name: Row(name, [], [], [], []) for name in ["base (joe, unconverted)", *methods]}
    for spk in enrolled:
        # The base voice is rendered anew for every speaker: Piper's prosody varies from
        # call to call, and its WER then rests on as many renderings as each method's.
        base_out = []
        for text in SENTENCES:
            t = time.perf_counter()
            y = synthesize(text, None)
            rows["base (joe, unconverted)"].synth_s += time.perf_counter() - t
            rows["base (joe, unconverted)"].audio_s += len(y) / OUTPUT_RATE
            base_out.append((text, y, transcribe(y)))
        idx = names.index(spk.name)
        t = time.perf_counter()
        asr_transcript = transcribe(spk.enroll)
        profile = build_profile(spk.enroll, OUTPUT_RATE, transcript=asr_transcript)
        enroll_s = time.perf_counter() - t
        outputs: dict[str, list[tuple[str, np.ndarray, str]]] = {"base (joe, unconverted)": base_out}
        same = SameReading()
        if not args.fresh:
            synthesis.piper_reading = same  # type: ignore[assignment]
        for method, options in methods.items():
            outs = []
            for k, text in enumerate(SENTENCES):
                t, replayed = time.perf_counter(), same.replayed_s
                y = synthesize(text, ClonedVoice(profile, options))
                rows[method].synth_s += time.perf_counter() - t + same.replayed_s - replayed
                rows[method].audio_s += len(y) / OUTPUT_RATE
                outs.append((text, y, transcribe(y)))
                if save:
                    import soundfile as sf

                    sf.write(save / f"{spk.name}_{method}_{k}.wav", y, OUTPUT_RATE)
            outputs[method] = outs
        synthesis.piper_reading = same.real  # type: ignore[assignment]
        for system, outs in outputs.items():
            row = rows[system]
            for text, y, hyp in outs:
                sims = cent @ speaker_embedding(y, OUTPUT_RATE)
                row.target_sim.append(float(sims[idx]))
                row.other_sim.append(float(np.max(np.delete(sims, idx))))
                row.ident.append(int(np.argmax(sims)) == idx)
                row.judge.append(judge.identify(y) == spk.name)
                e, n = wer_counts(text, hyp)
                row.errors += e
                row.words += n
        per = "  ".join(
            f"{m}: sim {np.mean(rows[m].target_sim[-5:]):.2f} id {sum(rows[m].ident[-5:])}/5 "
            f"judge {sum(rows[m].judge[-5:])}/5"
            for m in methods
        )
        print(f"{spk.name}: enroll {enroll_s:.1f} s ({len(spk.enroll) / OUTPUT_RATE:.1f} s clip)  {per}",
              file=sys.stderr)

    print(f"\nclone_quality: {len(enrolled)} enrolled speakers x {len(SENTENCES)} sentences, "
          f"{len(speakers)} speakers in the identification set, data {data}")
    print("| system                 | target sim | best other | id (resemblyzer) | id (MFCC-GMM judge) | WER | RTF |")
    print("|---|---|---|---|---|---|---|")
    for row in rows.values():
        print(row.line())
    print(f"(total {time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
