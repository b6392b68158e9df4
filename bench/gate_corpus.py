"""Build the labelled quality-gate corpus from LibriTTS samples plus degradations made in code.

Usage: python bench/gate_corpus.py [--data ../shared/data/libritts8] [--out bench/out/gate_corpus]

Every clip gets a category and the failure code the gate must return ("ok" for a pass).
Speakers are split in two halves: thresholds are tuned on half A only, and the held-out
half B shows whether they generalise. Partner speakers (turns, overlap, babble) always
come from the same half as the clip's main speaker, so no held-out voice leaks into A.

The degradations are deliberately unambiguous: parameters sit clearly on one side of each
rule (e.g. SNR 0-10 dB is noisy, 35 dB is clean; RT60 >= 0.7 s is reverberant, 0.3-0.4 s is an
ordinary room), so a miss is the gate's fault, not the label's.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf
from scipy.signal import fftconvolve

from voices.audio_io import resample

RATE = 24000
HALF_A = ("spk0", "spk1", "spk2", "spk5")
HALF_B = ("spk6", "spk7", "spk8", "spk9")

FOREIGN_TEXT = {
    "de": [
        "Guten Morgen, ich heiße Anna und wohne seit vielen Jahren in einer kleinen Stadt im Süden. "
        "Jeden Tag fahre ich mit dem Fahrrad zur Arbeit, auch wenn es regnet oder schneit.",
        "Die Regierung hat gestern beschlossen, die Steuern für kleine Unternehmen zu senken. "
        "Viele Bürger fragen sich jedoch, ob diese Entscheidung wirklich gerecht ist.",
        "Am Wochenende besuchen wir meine Großeltern auf dem Land. Dort gibt es frische Milch, "
        "selbstgebackenes Brot und einen großen Garten mit Apfelbäumen.",
    ],
    "fr": [
        "Bonjour, je m'appelle Pierre et j'habite à Lyon depuis dix ans. Chaque matin, je prends "
        "le métro pour aller au travail, et le soir je me promène au bord du Rhône.",
        "Le gouvernement a annoncé hier de nouvelles mesures pour protéger l'environnement. "
        "Les associations estiment cependant que ces efforts restent très insuffisants.",
        "Pendant les vacances, nous sommes partis en Bretagne. Il a fait beau presque tous les "
        "jours, et nous avons mangé des crêpes délicieuses au bord de la mer.",
    ],
    "es": [
        "Buenos días, me llamo Lucía y vivo en Madrid desde hace muchos años. Todas las mañanas "
        "tomo el autobús para ir a la oficina, y por la tarde paseo por el parque.",
        "El ayuntamiento ha decidido construir una nueva biblioteca en el centro de la ciudad. "
        "Los vecinos están muy contentos, porque llevaban mucho tiempo esperando.",
        "Este verano fuimos a la playa con toda la familia. Comimos paella, nadamos en el mar "
        "y por la noche vimos las estrellas desde la terraza del hotel.",
    ],
    "cmn": [
        "今天天气很好，我们一起去公园散步吧。公园里有很多人在跑步，还有小孩子在放风筝。"
        "我们走累了就坐在湖边休息，看看风景。",
        "我每天早上七点起床，先喝一杯咖啡，然后坐地铁去上班。下班以后我喜欢去超市买菜，"
        "回家给家人做晚饭。",
        "这个城市有很长的历史，很多游客每年都来这里参观古老的寺庙和博物馆。"
        "晚上的夜市也非常热闹，有各种各样的小吃。",
    ],
}
# "cmn" alone is "Mandarin, latin as English": its dictionary turns characters into pinyin
# with tone digits, which that voice then reads as English letters and numbers ("jin one,
# tian one"), so the clip was English. "cmn-latn-pinyin" reads the pinyin as Mandarin.
ESPEAK_VOICES = {"de": "de", "fr": "fr-fr", "es": "es", "cmn": "cmn-latn-pinyin"}
ENGLISH_TEXT = [
    "The old lighthouse stood at the edge of the cliff for more than a century. Every night its "
    "beam swept across the water, warning ships away from the rocks below.",
    "She packed her bag the night before, checked the train times twice, and still arrived at "
    "the station with only a minute to spare before the doors closed.",
    "Our team spent the afternoon testing the new software release. Most of the features worked "
    "well, but a few small problems will need to be fixed next week.",
]


@dataclass
class Clip:
    name: str
    category: str
    expected: str  # failure code, "ok", or alternatives joined by "|"
    speaker: str
    samples: np.ndarray
    rate: int
    note: str = ""
    subtype: str = "PCM_16"
    channels: np.ndarray | None = None  # multi-channel override (frames, channels)


def _half(speaker: str) -> str:
    return "A" if speaker in HALF_A else "B"


def load_speakers(data: Path) -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {}
    with open(data / "MANIFEST.tsv") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            x, rate = sf.read(data / row["path"], dtype="float32")
            assert rate == RATE
            out.setdefault(row["speaker"], []).append(x)
    return out


def _level(x: np.ndarray) -> float:
    """Active speech power: mean power over 20 ms frames within 35 dB of the loudest."""
    n = 480
    frames = x[: len(x) // n * n].reshape(-1, n)
    p = np.mean(frames**2, axis=1) + 1e-12
    active = p > p.max() * 10 ** (-3.5)
    return float(np.mean(p[active]))


def _gap(rng: np.random.Generator, floor: float, seconds: float) -> np.ndarray:
    return (rng.standard_normal(int(seconds * RATE)) * floor).astype(np.float32)


def _floor(x: np.ndarray) -> float:
    n = 480
    frames = x[: len(x) // n * n].reshape(-1, n)
    return float(np.sqrt(np.percentile(np.mean(frames**2, axis=1), 5)))


def join(utts: list[np.ndarray], rng: np.random.Generator, gaps: list[float] | None = None) -> np.ndarray:
    floor = min(_floor(u) for u in utts)
    parts: list[np.ndarray] = []
    for i, u in enumerate(utts):
        if i:
            parts.append(_gap(rng, floor, gaps[i - 1] if gaps else rng.uniform(0.25, 0.6)))
        parts.append(u)
    return np.concatenate(parts).astype(np.float32)


def base_clips(utts: list[np.ndarray], rng: np.random.Generator, count: int,
               lo: float = 7.5, hi: float = 13.5) -> list[list[int]]:
    """Pick utterance index sets whose joined length falls in [lo, hi] s."""
    found: list[list[int]] = []
    seen: set[tuple[int, ...]] = set()
    for _ in range(400):
        order = rng.permutation(len(utts))
        pick: list[int] = []
        total = 0.0
        for i in order:
            d = len(utts[i]) / RATE
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


def peak_norm(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    m = float(np.max(np.abs(x))) or 1.0
    return (x * (peak / m)).astype(np.float32)


# --- degradations ---------------------------------------------------------------------

def band_limit(x: np.ndarray, narrow: int, out_rate: int) -> np.ndarray:
    return resample(resample(x, RATE, narrow), narrow, out_rate)


def mp3_roundtrip(x: np.ndarray, rate: int, kbps: int) -> tuple[np.ndarray, int]:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        st = out.add_stream("mp3", rate=rate)
        st.bit_rate = kbps * 1000
        st.layout = "mono"
        pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        for pkt in st.encode(frame):
            out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    buf.seek(0)
    chunks = []
    with av.open(buf) as inp:
        for fr in inp.decode(audio=0):
            chunks.append(fr.to_ndarray().reshape(-1) if fr.format.is_packed else fr.to_ndarray()[0])
    y = np.concatenate(chunks).astype(np.float32)
    if y.dtype.kind == "i":
        y = y / 32768.0
    return y, rate


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec))
    f[0] = 1
    return np.fft.irfft(spec / np.sqrt(f), n).astype(np.float32)


def babble(n: int, pool: list[np.ndarray], rng: np.random.Generator, talkers: int = 6) -> np.ndarray:
    out = np.zeros(n, np.float32)
    for _ in range(talkers):
        stream = np.concatenate([pool[i] for i in rng.permutation(len(pool))[:8]])
        while len(stream) < n:
            stream = np.concatenate([stream, stream])
        off = rng.integers(0, len(stream) - n + 1)
        seg = stream[off: off + n]
        out += seg / np.sqrt(_level(seg))
    return out


def add_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise = noise[: len(x)]
    gain = np.sqrt(_level(x) / (np.mean(noise**2) + 1e-12) / 10 ** (snr_db / 10))
    return (x + gain * noise).astype(np.float32)


def music_bed(n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Chords of harmonic tones changing every 0.25-0.7 s, a bass line and hi-hat ticks."""
    out = np.zeros(n, np.float32)
    t0 = 0
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    root = rng.integers(45, 57)  # MIDI
    while t0 < n:
        dur = int(rng.uniform(0.25, 0.7) * rate)
        t = np.arange(min(dur, n - t0)) / rate
        env = np.minimum(1.0, t / 0.02) * np.exp(-t * rng.uniform(0.5, 3.0))
        degree = rng.integers(0, 7)
        notes = [root + 12 + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
        notes.append(root + scale[degree] - 12)
        for m in notes:
            f0 = 440.0 * 2 ** ((m - 69) / 12)
            for h in range(1, 7):
                if f0 * h < rate / 2 - 500:
                    out[t0: t0 + len(t)] += (0.5 ** h) * env * np.sin(2 * np.pi * f0 * h * t)
        if rng.random() < 0.7:
            tick = rng.standard_normal(min(int(0.03 * rate), len(t))) * 0.3
            tick *= np.exp(-np.arange(len(tick)) / (0.005 * rate))
            out[t0: t0 + len(tick)] += tick
        t0 += dur
    return out


def rir(rt60: float, drr_db: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(rt60 * 1.2 * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.003 * rate)] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail.astype(np.float32)


def c50_of(h: np.ndarray, rate: int) -> float:
    k = int(0.05 * rate)
    return float(10 * np.log10(np.sum(h[:k] ** 2) / (np.sum(h[k:] ** 2) + 1e-12)))


def espeak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as fh:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", fh.name, text],
                       check=True, capture_output=True)
        x, rate = sf.read(fh.name, dtype="float32")
    return peak_norm(resample(x, rate, RATE), 0.8)


def piper_english(text: str) -> tuple[np.ndarray, int]:
    """Piper English made wideband the way voices.demo_clip makes the demo reference.

    Raw Piper (joe) output is band-limited near 9 kHz, so the gate rightly rejects it as
    insufficient_bandwidth; resampled to 44.1 kHz and band-extended by spectral band
    replication it reads ~12.9 kHz, which is what a "must pass" control needs."""
    from voices.demo_clip import DEMO_RATE, replicate_band
    from voices.models import piper

    voice = piper()
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text)]).astype(np.float32)
    y = replicate_band(resample(audio, voice.config.sample_rate, DEMO_RATE), DEMO_RATE)
    return peak_norm(y, 0.8), DEMO_RATE


# --- the corpus -----------------------------------------------------------------------

def build(data: Path, seed: int = 7) -> list[Clip]:
    rng = np.random.default_rng(seed)
    # Clips added later draw from their own stream, so every earlier clip stays the same.
    room_rng = np.random.default_rng(seed + 1000)
    spk = load_speakers(data)
    clips: list[Clip] = []
    for half in (HALF_A, HALF_B):
        [u for s in half for u in spk[s]]
        for si, s in enumerate(half):
            utts = spk[s]
            bases = base_clips(utts, rng, 6)
            others = [o for o in half if o != s]
            for bi, pick in enumerate(bases):
                x = peak_norm(join([utts[i] for i in pick], rng), rng.uniform(0.4, 0.95))
                tag = f"{s}_b{bi}"
                clips.append(Clip(f"{tag}_clean", "clean", "ok", s, x, RATE))
                r = [22050, 44100, 48000][bi % 3]
                clips.append(Clip(f"{tag}_clean{r}", "clean", "ok", s, resample(x, RATE, r), r))
                # bandwidth
                narrow = 8000 if bi % 2 == 0 else 16000
                out_rate = [48000, 44100, 24000][bi % 3]
                clips.append(Clip(f"{tag}_bw{narrow // 1000}k", f"bw_{narrow // 1000}k", "insufficient_bandwidth",
                                  s, band_limit(x, narrow, out_rate), out_rate, f"{narrow}->{out_rate}"))
                if bi < 3:
                    kbps = [24, 32, 16][bi]
                    mrate = [24000, 22050, 24000][bi]
                    y, yr = mp3_roundtrip(resample(x, RATE, mrate), mrate, kbps)
                    clips.append(Clip(f"{tag}_mp3_{kbps}k", "mp3_low", "insufficient_bandwidth", s, y, yr,
                                      f"{kbps} kbps @ {mrate}"))
                # noise
                kind = ["white", "pink", "babble"][bi % 3]
                snr = [0.0, 5.0, 10.0][(bi + si) % 3]
                babble_pool = [u for o in others for u in spk[o]]

                def nz(n: int, kind: str = kind, pool: list[np.ndarray] = babble_pool) -> np.ndarray:
                    if kind == "white":
                        return rng.standard_normal(n).astype(np.float32)
                    return pink(n, rng) if kind == "pink" else babble(n, pool, rng)
                clips.append(Clip(f"{tag}_{kind}{snr:.0f}", f"noise_{kind}", "too_noisy", s,
                                  peak_norm(add_at_snr(x, nz(len(x)), snr)), RATE, f"SNR {snr}"))
                if bi < 2:
                    clips.append(Clip(f"{tag}_{kind}35", "noise_mild", "ok", s,
                                      peak_norm(add_at_snr(x, nz(len(x)), 35.0)), RATE, "SNR 35"))
                # music
                mdb = [-8.0, -14.0, -20.0][(bi + si) % 3]
                bed = music_bed(len(x), RATE, rng)
                clips.append(Clip(f"{tag}_music{-mdb:.0f}", "music", "background_music", s,
                                  peak_norm(add_at_snr(x, bed, -mdb)), RATE, f"music {mdb} dB"))
                # reverb
                rt = [0.7, 1.0, 1.5, 0.3][bi % 4]
                h = rir(rt, 2.0 - 8.0 * (rt - 0.3) + rng.uniform(-1.5, 1.5), RATE, rng)
                y = peak_norm(fftconvolve(x, h)[: len(x) + int(0.3 * RATE)])
                clips.append(Clip(f"{tag}_rt{rt:.1f}", "reverb" if rt >= 0.7 else "room_mild",
                                  "reverberant" if rt >= 0.7 else "ok", s, y, RATE,
                                  f"RT60 {rt} C50 {c50_of(h, RATE):.1f}"))
                # an ordinary, slightly livelier room (RT60 0.4 s, same DRR law): must pass
                h = rir(0.4, 1.2 + room_rng.uniform(-1.5, 1.5), RATE, room_rng)
                y = peak_norm(fftconvolve(x, h)[: len(x) + int(0.3 * RATE)])
                clips.append(Clip(f"{tag}_rt0.4", "room_mild", "ok", s, y, RATE,
                                  f"RT60 0.4 C50 {c50_of(h, RATE):.1f}"))
                # clipping
                frac = [0.01, 0.02, 0.05][bi % 3]
                g = 1.0 / np.quantile(np.abs(x), 1 - frac)
                y = np.clip(x * g, -1, 1) * (1.0 if bi % 2 == 0 else 0.6)
                clips.append(Clip(f"{tag}_clip{frac}", "clipping", "clipping", s, y.astype(np.float32), RATE,
                                  f"{frac:.0%} clipped"))
                # level jump: one utterance (not the first) much quieter or louder
                if len(pick) >= 2:
                    parts = [utts[i].copy() for i in pick]
                    # Only an utterance long enough to be heard as a level change (>= 2.5 s).
                    longish = [k for k in range(1, len(parts)) if len(parts[k]) / RATE >= 2.5]
                    j = int(rng.choice(longish)) if longish else int(np.argmax([len(p) for p in parts]))
                    jump = [-18.0, 15.0, -14.0][bi % 3]
                    parts[j] *= 10 ** (jump / 20)
                    y = peak_norm(join(parts, rng))
                    clips.append(Clip(f"{tag}_jump{jump:+.0f}", "level_jump", "inconsistent_level", s, y, RATE,
                                      f"utt {j} {jump:+} dB"))
                    # inserted silence
                    gaps = [float(rng.uniform(0.25, 0.6)) for _ in parts[1:]]
                    gaps[int(rng.integers(0, len(gaps)))] = float(rng.uniform(2.7, 3.8))
                    y = join([utts[i] for i in pick], rng, gaps)
                    if len(y) / RATE < 14.8:
                        clips.append(Clip(f"{tag}_silence", "silence_gap", "long_silence", s, peak_norm(y), RATE,
                                          f"gaps {max(gaps):.1f}"))
                # two speakers in turns
                o = others[(bi + si) % len(others)]
                b_utts = sorted(spk[o], key=len)
                b = next((u for u in b_utts if len(u) / RATE > 2.5), b_utts[-1])[: int(5.0 * RATE)]
                a = [utts[i] for i in pick]
                a_total = sum(len(u) for u in a) / RATE
                while a_total + len(b) / RATE > 14.0 and len(a) > 1:
                    a_total -= len(a.pop()) / RATE
                b = b * np.sqrt(_level(a[0]) / _level(b)) * 10 ** (rng.uniform(-3, 3) / 20)
                seq = [*a[:1], b, *a[1:]] if bi % 2 else [*a, b]
                if sum(len(u) for u in seq) / RATE >= 6.5:
                    y = join(seq, rng)
                    # The pauses count too: a turns clip must not also be too long.
                    if len(y) / RATE <= 14.8:
                        clips.append(Clip(f"{tag}_turns_{o}", "turns", "multiple_speakers", s,
                                          peak_norm(y), RATE, f"with {o}"))
                # overlap: B talks over part (or all) of A
                bstream = np.concatenate([spk[o][i] for i in rng.permutation(len(spk[o]))])
                cover = [0.5, 1.0, 0.7][bi % 3]
                n_ov = int(cover * len(x))
                start = int(rng.integers(0, len(x) - n_ov + 1))
                bseg = bstream[:n_ov]
                rel = rng.uniform(-6.0, 0.0)
                y = x.copy()
                y[start: start + len(bseg)] += bseg * np.sqrt(_level(x) / _level(bseg)) * 10 ** (rel / 20)
                clips.append(Clip(f"{tag}_overlap_{o}", "overlap", "multiple_speakers", s, peak_norm(y), RATE,
                                  f"{cover:.0%} covered at {rel:.1f} dB"))
            # length
            short = [u for u in utts if 1.5 < len(u) / RATE < 4.8]
            for k, u in enumerate(short[:2]):
                clips.append(Clip(f"{s}_short{k}", "too_short", "clip_too_short", s, peak_norm(u), RATE))
            longs = base_clips(utts, rng, 2, lo=17.0, hi=26.0)
            for k, pick in enumerate(longs):
                clips.append(Clip(f"{s}_long{k}", "too_long", "clip_too_long", s,
                                  peak_norm(join([utts[i] for i in pick], rng)), RATE))
    # non-English (espeak-ng) and synthetic English controls
    for _li, (lang, texts) in enumerate(FOREIGN_TEXT.items()):
        for k, text in enumerate(texts):
            for variant, (speed, pitch) in enumerate([(150, 50), (175, 35)]):
                voice = ESPEAK_VOICES[lang] + ("+f3" if variant else "")
                if lang == "cmn":
                    # As many whole sentences as fit in 13.5 s (one is under 6 s at some speeds).
                    sents = [s + "。" for s in text.split("。") if s]
                    takes = [espeak("".join(sents[:n]), voice, speed, pitch) for n in range(1, len(sents) + 1)]
                    x = max((t for t in takes if len(t) / RATE <= 13.5), key=len, default=takes[0])
                else:
                    x = espeak(text, voice, speed, pitch)
                sp = "espeakA" if k < 2 else "espeakB"
                clips.append(Clip(f"{lang}_{k}_{variant}", "non_english", "non_english", sp, x, RATE, lang))
    for k, text in enumerate(ENGLISH_TEXT):
        x = espeak(text, "en-us" + ("+f3" if k % 2 else ""), 160, 50)
        clips.append(Clip(f"espeak_en_{k}", "synthetic_en", "ok", "espeakA" if k < 2 else "espeakB", x, RATE))
        y, yr = piper_english(text)
        clips.append(Clip(f"piper_en_{k}", "synthetic_en", "ok", "espeakA" if k < 2 else "espeakB", y, yr))
    # bad input
    z = spk["spk0"][3]
    b = spk["spk7"][0]
    clips += [
        Clip("silence", "bad_input", "no_speech", "none", np.zeros(10 * 48000, np.float32), 48000),
        Clip("tone440", "bad_input", "no_speech", "none",
             (0.5 * np.sin(2 * np.pi * 440 * np.arange(8 * 44100) / 44100)).astype(np.float32), 44100),
        Clip("white_only", "bad_input", "no_speech", "none",
             (0.1 * rng.standard_normal(8 * 24000)).astype(np.float32), 24000),
        Clip("dc_offset", "bad_input", "ok", "spk0", (0.6 * peak_norm(z) + 0.3).astype(np.float32), RATE),
        Clip("tiny", "bad_input", "no_speech", "none", peak_norm(z[: int(0.1 * RATE)]), RATE),
        Clip("sixty", "bad_input", "clip_too_long", "spk7",
             peak_norm(np.tile(np.concatenate([b, np.zeros(RATE // 3, np.float32)]), 20)[: 60 * RATE]), RATE),
        Clip("stereo_dead", "bad_input", "ok", "spk0", z, RATE,
             channels=np.stack([peak_norm(z), np.zeros_like(z)], axis=1)),
        Clip("pcm_u8", "bad_input", "ok|too_noisy", "spk0", peak_norm(z), RATE, subtype="PCM_U8"),
        Clip("float32", "bad_input", "ok", "spk0", peak_norm(z), RATE, subtype="FLOAT"),
        Clip("rate96k", "bad_input", "ok", "spk0", resample(peak_norm(z), RATE, 96000), 96000),
    ]
    return clips


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/libritts8")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out/gate_corpus")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clips = build(args.data)
    with open(args.out / "labels.tsv", "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t")
        w.writerow(["file", "category", "expected", "speaker", "half", "note"])
        for c in clips:
            path = args.out / f"{c.name}.wav"
            data = c.channels if c.channels is not None else c.samples
            sf.write(path, np.clip(data, -1, 1), c.rate, subtype=c.subtype)
            half = _half(c.speaker) if c.speaker.startswith("spk") else ("A" if c.speaker.endswith("A") else "B")
            w.writerow([path.name, c.category, c.expected, c.speaker, half, c.note])
    print(f"{len(clips)} clips -> {args.out}")


if __name__ == "__main__":
    main()
