"""Gate fixtures, generated in code and cached per session (no ../shared needed).

Speech comes from the bundled Piper voice (joe, 22.05 kHz). Raw Piper audio is NOT
wideband: its energy falls off a cliff near 9 kHz, so the gate rightly measures ~8.9 kHz
and rejects it as insufficient_bandwidth. Every clip that must get past the bandwidth
check is therefore made the way voices.demo_clip makes the demo reference: resampled to
44.1 kHz and band-extended by spectral band replication (gate reads ~12.9 kHz). Every
degradation is DSP applied to that. A "second speaker" is joe slowed by 1.3 (pitch and
formants both shift, as between two different vocal tracts) before the band extension,
and "German" is joe reading German phonemes from Piper's own espeak-ng phonemizer.
"""

from __future__ import annotations

import numpy as np
import pytest

from voices.audio_io import resample
from voices.demo_clip import DEMO_RATE, replicate_band

ENGLISH = (
    "The old lighthouse stood at the edge of the cliff for more than a century. "
    "Every night its beam swept across the water, warning ships away from the rocks. "
    "Sailors trusted it more than any chart."
)
GERMAN = (
    "Guten Morgen, ich heiße Anna und wohne seit vielen Jahren in einer kleinen Stadt im Süden. "
    "Jeden Tag fahre ich mit dem Fahrrad zur Arbeit, auch wenn es regnet oder schneit."
)


def _voice():
    from voices.models import piper

    return piper()


def synthesize(text: str, *, steady: bool = False) -> tuple[np.ndarray, int]:
    """Piper speech; `steady` turns its sampling noise off so a test that sits near a
    threshold gets the same audio on every run (flatter prosody, same words)."""
    from piper import SynthesisConfig

    voice = _voice()
    cfg = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0) if steady else None
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text, syn_config=cfg)])
    return audio.astype(np.float32), int(voice.config.sample_rate)


def synthesize_phonemes(text: str, espeak_voice: str) -> tuple[np.ndarray, int]:
    from piper.phonemize_espeak import EspeakPhonemizer

    voice = _voice()
    sentences = EspeakPhonemizer(voice.espeak_data_dir).phonemize(espeak_voice, text)
    pause = np.zeros(int(0.3 * voice.config.sample_rate), np.float32)
    parts: list[np.ndarray] = []
    for phonemes in sentences:
        parts += [voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes)).astype(np.float32), pause]
    return np.concatenate(parts), int(voice.config.sample_rate)


def wideband(x: np.ndarray, rate: int, stretch: float = 1.0) -> tuple[np.ndarray, int]:
    """Piper audio -> 44.1 kHz with the 9-13.5 kHz band replicated (voices.demo_clip).

    stretch > 1 slows the voice down, lowering pitch and formants together."""
    y = resample(x, rate, round(DEMO_RATE * stretch))
    return replicate_band(y, DEMO_RATE), DEMO_RATE


def room_tone(n: int, level: float = 1e-4, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(n) * level).astype(np.float32)


@pytest.fixture(scope="session")
def english() -> tuple[np.ndarray, int]:
    """~11 s of clean English with a little room tone, as a real recording would have."""
    x, rate = wideband(*synthesize(ENGLISH))
    lead = room_tone(int(0.3 * rate))
    x = np.concatenate([lead, x, lead]) + room_tone(len(x) + 2 * len(lead), seed=1)
    return (0.8 * x / np.max(np.abs(x))).astype(np.float32), rate


@pytest.fixture(scope="session")
def other_speaker(english: tuple[np.ndarray, int]) -> np.ndarray:
    """Another vocal tract reading the same text, as long as `english`, same rate, wideband."""
    x, rate = english
    y, _ = wideband(*synthesize(ENGLISH), stretch=1.3)
    y = np.concatenate([room_tone(int(0.3 * rate)), y])[: len(x)]
    y = np.pad(y, (0, len(x) - len(y))) + room_tone(len(x), seed=2)
    return (0.8 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture(scope="session")
def german() -> tuple[np.ndarray, int]:
    x, rate = wideband(*synthesize_phonemes(GERMAN, "de"))
    x = x + room_tone(len(x))
    return (0.8 * x / np.max(np.abs(x))).astype(np.float32), rate


def music_bed(n: int, rate: int, seed: int = 3) -> np.ndarray:
    """Triads of harmonic tones changing every 0.4 s: steady pitches, like a backing track."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, np.float32)
    step = int(0.4 * rate)
    t = np.arange(step) / rate
    for start in range(0, n, step):
        root = 220.0 * 2 ** (rng.integers(0, 12) / 12)
        seg = sum(np.sin(2 * np.pi * root * r * h * t) * 0.5**h
                  for r in (1.0, 1.26, 1.5) for h in range(1, 5))
        seg = seg * np.exp(-t * 2.0)
        out[start: start + step] = seg[: n - start]
    return out


def room_impulse(rt60: float, rate: int, drr_db: float = -4.0, seed: int = 5) -> np.ndarray:
    """Direct sound plus an exponentially decaying diffuse tail (Sabine model)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rt60 * 1.2 * rate)) / rate
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    tail[: int(0.003 * rate)] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail.astype(np.float32)
