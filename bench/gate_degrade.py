"""Degradations for the gate corpus: pure functions of (signal, rate, rng), made in code.

Each one sits clearly on one side of a gate rule (SNR 0-10 dB is noisy, 35 dB is not;
RT60 >= 0.7 s is reverberant, 0.3-0.4 s is an ordinary room), so a miss is the gate's
fault, not the label's. The "capture" conditions are the ones real uploads show and the
gate must pass: digitally silent or dithered gaps, real room tone, loud peaks, 128 kbps MP3.
"""

from __future__ import annotations

import io

import av
import numpy as np
from scipy.signal import fftconvolve

from voices.audio_io import resample


def level(x: np.ndarray, rate: int) -> float:
    """Active speech power: mean power over 20 ms frames within 35 dB of the loudest."""
    n = max(1, int(0.02 * rate))
    frames = x[: len(x) // n * n].reshape(-1, n)
    p = np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12
    return float(np.mean(p[p > p.max() * 10 ** (-3.5)]))


def floor_rms(x: np.ndarray, rate: int) -> float:
    n = max(1, int(0.02 * rate))
    frames = x[: len(x) // n * n].reshape(-1, n)
    return float(np.sqrt(np.percentile(np.mean(frames.astype(np.float64) ** 2, axis=1), 5)))


def peak_norm(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    m = float(np.max(np.abs(x))) or 1.0
    return (x * (peak / m)).astype(np.float32)


def gap(rng: np.random.Generator, floor: float, n: int) -> np.ndarray:
    return (rng.standard_normal(n) * floor).astype(np.float32)


def join(utts: list[np.ndarray], rate: int, rng: np.random.Generator,
         gaps_s: list[float] | None = None, fill: str = "floor") -> np.ndarray:
    """Utterances joined by pauses of the clips' own floor level (or zeros / dither)."""
    floor = min(floor_rms(u, rate) for u in utts)
    parts: list[np.ndarray] = []
    for i, u in enumerate(utts):
        if i:
            n = int((gaps_s[i - 1] if gaps_s else rng.uniform(0.25, 0.6)) * rate)
            parts.append(np.zeros(n, np.float32) if fill == "zeros" else
                         dither(n, rng) if fill == "dither" else gap(rng, floor, n))
        parts.append(u.astype(np.float32))
    return np.concatenate(parts).astype(np.float32)


def dither(n: int, rng: np.random.Generator) -> np.ndarray:
    """TPDF dither of one 16-bit LSB: what 'silence' is in a dithered 16-bit export."""
    lsb = 1.0 / 32768
    return ((rng.random(n) - rng.random(n)) * lsb).astype(np.float32)


def quiet_mask(x: np.ndarray, rate: int, above_floor_db: float = 8.0) -> np.ndarray:
    """Samples in 50 ms stretches within a few dB of the clip's floor (the pauses)."""
    n = int(0.05 * rate)
    m = len(x) // n
    p = np.mean(x[: m * n].astype(np.float64).reshape(m, n) ** 2, axis=1) + 1e-14
    floor = np.percentile(p, 5)
    quiet = p < floor * 10 ** (above_floor_db / 10)
    mask = np.repeat(quiet, n)
    return np.pad(mask, (0, len(x) - len(mask)), constant_values=bool(quiet[-1]) if m else False)


def gated(x: np.ndarray, rate: int, rng: np.random.Generator, fill: str) -> np.ndarray:
    """A noise-suppressing recorder or editor: the pauses become exact zeros or dither."""
    y = x.copy()
    q = quiet_mask(x, rate)
    y[q] = 0.0 if fill == "zeros" else dither(int(q.sum()), rng)
    return y


def room_tone(x: np.ndarray, rate: int, tone: np.ndarray, tone_rate: int, snr_db: float) -> np.ndarray:
    """Real room tone (the pauses of a real recording, looped) under the speech at snr_db."""
    t = resample(tone, tone_rate, rate)
    reps = int(np.ceil(len(x) / max(1, len(t))))
    t = np.tile(t, reps)[: len(x)]
    return add_at_snr(x, t, rate, snr_db)


def unsteady_floor(tone: np.ndarray, tone_rate: int, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A real room floor as a close microphone hears it between words: the room tone's
    level drifts by several dB (a random walk, smoothed over ~1 s) and breaths come every
    1.5-3.5 s (0.25-0.6 s bursts of tilted noise rising 6-14 dB over the floor). Nothing in
    it is voiced, so no rule may read it as a second talker."""
    t = resample(tone, tone_rate, rate)
    floor = np.tile(t, int(np.ceil(n / max(1, len(t)))))[:n].astype(np.float64)
    floor /= np.sqrt(np.mean(floor**2)) + 1e-12
    hop = max(1, rate // 10)
    steps = np.cumsum(rng.normal(0.0, 1.2, n // hop + 2))
    steps = np.convolve(steps - steps.mean(), np.ones(10) / 10, mode="same")
    drift_db = np.clip(steps, -8.0, 8.0)
    gain = 10 ** (np.interp(np.arange(n), np.arange(len(drift_db)) * hop, drift_db) / 20)
    out = floor * gain
    at = int(rng.uniform(0.2, 1.5) * rate)
    while at < n:
        m = int(rng.uniform(0.25, 0.6) * rate)
        burst = np.diff(rng.standard_normal(m + 1)) * 0.5 + rng.standard_normal(m)  # tilted noise
        env = np.sin(np.pi * np.arange(m) / m) ** 2 * 10 ** (rng.uniform(6.0, 14.0) / 20)
        seg = slice(at, min(n, at + m))
        out[seg] += (burst * env)[: seg.stop - seg.start] * gain[seg]
        at += m + int(rng.uniform(1.5, 3.5) * rate)
    return out.astype(np.float32)


def loud_peaks(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normalised into the limiter: the loudest 0.02-0.15 % of samples flattened at full scale.

    A loud but ordinary recording (the peaks of plosives touching 0 dBFS), well under the
    1 % where clipping is heard as crackle."""
    frac = rng.uniform(0.0002, 0.0015)
    g = 1.0 / np.quantile(np.abs(x), 1 - frac)
    return np.clip(x * g, -1.0, 1.0).astype(np.float32)


def clipped(x: np.ndarray, frac: float, gain_after: float) -> np.ndarray:
    g = 1.0 / np.quantile(np.abs(x), 1 - frac)
    return (np.clip(x * g, -1, 1) * gain_after).astype(np.float32)


def band_limit(x: np.ndarray, rate: int, narrow: int, out_rate: int) -> np.ndarray:
    return resample(resample(x, rate, narrow), narrow, out_rate)


def mp3_roundtrip(x: np.ndarray, rate: int, kbps: int) -> np.ndarray:
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
            a = fr.to_ndarray()
            chunks.append(a.reshape(-1) if fr.format.is_packed else a[0])
    y = np.concatenate(chunks)
    if y.dtype.kind == "i":
        y = y.astype(np.float32) / 32768.0
    return y.astype(np.float32)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1
    return np.fft.irfft(spec / np.sqrt(f), n).astype(np.float32)


def babble(n: int, rate: int, pool: list[np.ndarray], rng: np.random.Generator, talkers: int = 6) -> np.ndarray:
    out = np.zeros(n, np.float32)
    for _ in range(talkers):
        stream = np.concatenate([pool[i] for i in rng.permutation(len(pool))[:8]])
        while len(stream) < n:
            stream = np.concatenate([stream, stream])
        off = int(rng.integers(0, len(stream) - n + 1))
        seg = stream[off: off + n]
        out += seg / np.sqrt(level(seg, rate))
    return out


def add_at_snr(x: np.ndarray, noise: np.ndarray, rate: int, snr_db: float) -> np.ndarray:
    noise = noise[: len(x)]
    gain = np.sqrt(level(x, rate) / (np.mean(noise.astype(np.float64) ** 2) + 1e-12) / 10 ** (snr_db / 10))
    return (x + gain * noise).astype(np.float32)


def music_bed(n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Chords of harmonic tones changing every 0.25-0.7 s, a bass line and hi-hat ticks."""
    out = np.zeros(n, np.float32)
    t0 = 0
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    root = int(rng.integers(45, 57))  # MIDI
    while t0 < n:
        dur = int(rng.uniform(0.25, 0.7) * rate)
        t = np.arange(min(dur, n - t0)) / rate
        env = np.minimum(1.0, t / 0.02) * np.exp(-t * rng.uniform(0.5, 3.0))
        degree = int(rng.integers(0, 7))
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


def reverberate(x: np.ndarray, rate: int, rt60: float, drr_db: float, rng: np.random.Generator) -> np.ndarray:
    h = rir(rt60, drr_db, rate, rng)
    return peak_norm(fftconvolve(x, h)[: len(x) + int(0.3 * rate)])


def quietest_cut(x: np.ndarray, rate: int, lo_s: float, hi_s: float) -> int:
    """Sample index of the quietest 20 ms between lo_s and hi_s (a pause, where there is one)."""
    n = int(0.02 * rate)
    lo, hi = int(lo_s * rate) // n, min(len(x) // n, int(hi_s * rate) // n)
    if hi - lo < 2:
        return min(len(x), int(hi_s * rate))
    p = np.mean(x[lo * n: hi * n].astype(np.float64).reshape(-1, n) ** 2, axis=1)
    return (lo + int(np.argmin(p))) * n + n // 2
