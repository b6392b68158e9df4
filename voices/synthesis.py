"""Text to speech, stock or cloned, streamed sentence by sentence at 24 kHz.

Piper (the bundled ``joe`` voice, 22.05 kHz) or, for a cloned voice enrolled with it,
Kokoro (:mod:`voices.base_voice`) reads each sentence; the audio is resampled to
:data:`OUTPUT_RATE` and, for a cloned voice, converted toward the enrolled
speaker (:mod:`voices.conversion`). :func:`synthesize_stream` is a generator: the first
chunk is yielded as soon as the first (short) piece is done, and a caller that stops
iterating stops all further work.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from voices import conversion, kokoro, loudness, models, phones
from voices.audio_io import resample
from voices.base_voice import PIPER
from voices.conversion_options import ConversionOptions
from voices.text_normalize import normalize, split_sentences

if TYPE_CHECKING:
    from voices.profile import VoiceProfile

OUTPUT_RATE = 24000
MIN_SPEED = 0.25
MAX_SPEED = 4.0
# Pause between sentences at speed 1; Piper trims most of its own trailing silence.
_GAP_S = 0.15


@dataclass(frozen=True)
class ClonedVoice:
    """A cloned voice as it is spoken: what enrollment learned and how to convert.

    The profile is shared (a server caches one per voice); the options travel beside
    it, so a caller choosing other options never changes the profile another one uses.
    """

    profile: VoiceProfile
    options: ConversionOptions = field(default_factory=ConversionOptions)


def piper_audio(text: str, speed: float = 1.0) -> np.ndarray:
    """Piper reading ``text`` (already normalised), float32 at :data:`OUTPUT_RATE`."""
    return piper_reading(text, speed)[0]


def piper_reading(text: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Piper's audio as :func:`piper_audio` and the phone said at each sample.

    The labels (:mod:`voices.phones`) come from Piper's own durations; they are all
    ``NO_PHONE`` when the model exposes none.
    """
    from piper import SynthesisConfig

    voice = models.piper()
    cfg = SynthesisConfig(length_scale=1.0 / speed, normalize_audio=True)
    audio_parts, label_parts = [], []
    for c in voice.synthesize(text, syn_config=cfg, include_alignments=True):
        audio_parts.append(c.audio_float_array)
        align = c.phoneme_alignments or []
        label_parts.append(phones.sample_labels(
            ((a.phoneme, a.phoneme_ids[0], a.num_samples) for a in align), len(c.audio_float_array)))
    if not audio_parts:
        return np.zeros(0, np.float32), np.zeros(0, np.int16)
    rate = voice.config.sample_rate
    audio = resample(np.concatenate(audio_parts), rate, OUTPUT_RATE)
    labels = phones.resample_labels(np.concatenate(label_parts), rate, OUTPUT_RATE)
    labels = np.pad(labels[: len(audio)], (0, max(0, len(audio) - len(labels))), mode="edge")
    return audio, labels


def validate_speed(speed: float) -> float:
    speed = float(speed)
    if not (MIN_SPEED <= speed <= MAX_SPEED) or not np.isfinite(speed):
        raise ValueError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
    return speed


def plan(text: str, speed: float = 1.0) -> list[str]:
    """The pieces :func:`synthesize_stream` reads one by one (normalised sentences or
    clauses). Raises ``ValueError`` for empty or unspeakable text or a bad speed."""
    validate_speed(speed)
    if not text or not text.strip():
        raise ValueError("the input is empty; give the text to speak")
    pieces = split_sentences(normalize(text))
    if not pieces:
        raise ValueError("the input has nothing to speak")
    return pieces


def base_reading(voice: str, text: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A base voice's reading (:mod:`voices.base_voice`): audio at :data:`OUTPUT_RATE` and
    per-sample phone labels (Kokoro's are all ``NO_PHONE``)."""
    if voice == PIPER:
        return piper_reading(text, speed)
    audio, labels = kokoro.reading(text, voice, speed)
    return resample(audio, kokoro.RATE, OUTPUT_RATE), phones.resample_labels(labels, kokoro.RATE, OUTPUT_RATE)


def read(piece: str, voice: ClonedVoice | None, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The voice's base voice reading one piece at the voice's own pace (blocking)."""
    base = voice.profile.base_voice if voice is not None else PIPER
    return base_reading(base, piece, speed / _tempo(voice))


def gap(speed: float = 1.0) -> np.ndarray:
    """The pause before a piece that starts a new sentence."""
    return np.zeros(int(_GAP_S / speed * OUTPUT_RATE), np.float32)


def synthesize_stream(
    text: str, voice: ClonedVoice | None, speed: float = 1.0, *, fast_start: bool = True,
    ahead: Executor | None = None,
) -> Iterator[np.ndarray]:
    """Yield float32 mono chunks at :data:`OUTPUT_RATE`, about one per sentence (or clause).

    ``voice=None`` is the stock voice ``joe``. With ``fast_start`` a cloned voice's
    first piece comes as two chunks (see :func:`voiced`): callers that are already
    playing earlier audio (a reply's later sentences) turn it off. ``ahead``: an
    executor in which Piper reads the next piece while this one is converted (ONNX
    Runtime releases the GIL, WORLD does not, so on two cores the two overlap); without
    one the pieces are read in turn. The server drives the same steps (:func:`plan`,
    :func:`read`, :func:`voiced`) through its CPU scheduler instead
    (``agent_server.speech_stream``). Raises ``ValueError`` (before any audio) for
    empty or unspeakable text, text over 4096 characters, or a speed outside 0.25..4.0.
    """
    speed = validate_speed(speed)
    return _stream(plan(text, speed), voice, speed, fast_start, ahead)


def _stream(
    pieces: list[str], voice: ClonedVoice | None, speed: float, fast_start: bool, ahead: Executor | None
) -> Iterator[np.ndarray]:
    def start(i: int) -> Future[tuple[np.ndarray, np.ndarray]]:
        if ahead is not None:
            return ahead.submit(read, pieces[i], voice, speed)
        done: Future[tuple[np.ndarray, np.ndarray]] = Future()
        done.set_result(read(pieces[i], voice, speed))
        return done

    pause = gap(speed)
    pending: Future[tuple[np.ndarray, np.ndarray]] | None = start(0)
    try:
        for i in range(len(pieces)):
            assert pending is not None
            audio, labels = pending.result()
            pending = None
            # Pause only between sentences; pieces cut inside a sentence join directly.
            lead = pause if i and pieces[i - 1][-1] in ".!?" else None
            for j, part in enumerate(voiced(audio, labels, voice, split=fast_start and i == 0)):
                yield np.concatenate([lead, part]) if lead is not None and j == 0 else part
                if pending is None and i + 1 < len(pieces) and ahead is not None:
                    # Read ahead only once this piece's first audio is out, so the first
                    # byte never waits behind the next piece's Piper run.
                    pending = start(i + 1)
            if pending is None and i + 1 < len(pieces):
                pending = start(i + 1)
    finally:
        if pending is not None:
            pending.cancel()


def _tempo(voice: ClonedVoice | None) -> float:
    """The speaker's own pace relative to Piper (``ConversionOptions.tempo``); 1 for
    the stock voice and for profiles that did not measure it."""
    if voice is None or not voice.options.tempo or "tempo" not in voice.profile.extras:
        return 1.0
    return float(voice.profile.extras["tempo"][0])


def voiced(audio: np.ndarray, labels: np.ndarray, voice: ClonedVoice | None, *,
            split: bool) -> Iterator[np.ndarray]:
    """One piece in the requested voice, level-normalised.

    A cloned piece that opens the stream is converted in two halves, so the first audio
    leaves after half of the conversion (time to first byte); conversion is frame-local,
    so the halves, cut in the quietest spot and cross-faded, join without a seam.
    """
    if audio.size == 0:
        return
    if voice is None:
        yield loudness.normalize_level(audio)
        return
    profile = voice.profile

    def convert(part: slice) -> np.ndarray:
        return conversion.convert(audio[part], profile.source, profile.target, profile.extras,
                                  voice.options, phones=labels[part])

    if not split:
        yield loudness.normalize_level(convert(slice(0, len(audio))))
        return
    halves = conversion.convert_in_halves(audio, convert)
    first = next(halves)
    # The second half keeps the first half's gain: one level through the piece.
    gain = loudness.level_gain(first)
    yield loudness.apply_gain(first, gain)
    for part in halves:
        yield loudness.apply_gain(part, gain)


def synthesize(text: str, voice: ClonedVoice | None, speed: float = 1.0) -> np.ndarray:
    """The whole utterance at once (benchmarks, previews)."""
    chunks = list(synthesize_stream(text, voice, speed))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
