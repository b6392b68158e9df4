"""Text to speech, stock or cloned, streamed sentence by sentence at 24 kHz.

Piper (the bundled ``joe`` voice, 22.05 kHz) reads each sentence; the audio is
resampled to :data:`OUTPUT_RATE` and, for a cloned voice, converted toward the enrolled
speaker (:mod:`voices.conversion`). :func:`synthesize_stream` is a generator: the first
chunk is yielded as soon as the first (short) piece is done, and a caller that stops
iterating stops all further work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from voices import conversion, models
from voices.audio_io import resample
from voices.text_normalize import normalize, split_sentences

if TYPE_CHECKING:
    from voices.profile import VoiceProfile

OUTPUT_RATE = 24000
MIN_SPEED = 0.25
MAX_SPEED = 4.0
# Pause between sentences at speed 1; Piper trims most of its own trailing silence.
_GAP_S = 0.15


def piper_audio(text: str, speed: float = 1.0) -> np.ndarray:
    """Piper reading ``text`` (already normalised), float32 at :data:`OUTPUT_RATE`."""
    from piper import SynthesisConfig

    voice = models.piper()
    cfg = SynthesisConfig(length_scale=1.0 / speed, normalize_audio=True)
    parts = [c.audio_float_array for c in voice.synthesize(text, syn_config=cfg)]
    if not parts:
        return np.zeros(0, np.float32)
    audio = np.concatenate(parts)
    return resample(audio, voice.config.sample_rate, OUTPUT_RATE)


def validate_speed(speed: float) -> float:
    speed = float(speed)
    if not (MIN_SPEED <= speed <= MAX_SPEED) or not np.isfinite(speed):
        raise ValueError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
    return speed


def synthesize_stream(
    text: str, profile: VoiceProfile | None, speed: float = 1.0
) -> Iterator[np.ndarray]:
    """Yield float32 mono chunks at :data:`OUTPUT_RATE`, one per sentence (or clause).

    ``profile=None`` is the stock voice ``joe``. Raises ``ValueError`` (before any audio)
    for empty or unspeakable text, text over 4096 characters, or a speed outside
    0.25..4.0.
    """
    speed = validate_speed(speed)
    if not text or not text.strip():
        raise ValueError("the input is empty; give the text to speak")
    pieces = split_sentences(normalize(text))
    if not pieces:
        raise ValueError("the input has nothing to speak")
    return _stream(pieces, profile, speed)


def _stream(pieces: list[str], profile: VoiceProfile | None, speed: float) -> Iterator[np.ndarray]:
    gap = np.zeros(int(_GAP_S / speed * OUTPUT_RATE), np.float32)
    for i, piece in enumerate(pieces):
        audio = piper_audio(piece, speed)
        if audio.size == 0:
            continue
        if profile is not None:
            audio = conversion.convert(
                audio, profile.source, profile.target, profile.extras, profile.method
            )
        audio = conversion.normalize_level(audio)
        # Pause only between sentences; pieces cut inside a sentence join directly.
        yield np.concatenate([gap, audio]) if i and pieces[i - 1][-1] in ".!?" else audio


def synthesize(text: str, profile: VoiceProfile | None, speed: float = 1.0) -> np.ndarray:
    """The whole utterance at once (benchmarks, previews)."""
    chunks = list(synthesize_stream(text, profile, speed))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
