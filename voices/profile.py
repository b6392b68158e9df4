"""What enrollment learns from a reference clip: the voice profile.

Built once per voice (:func:`build_profile`), stored as bytes, loaded per request. It
holds the resemblyzer speaker embedding (for the API and agents, never used by the
conversion) and the acoustic statistics the conversion maps between: those of the
enrolled speaker, measured on the clip, and those of the Piper base voice, measured on
Piper speaking the clip's own transcript when there is one (same words, so the two
sets of statistics differ by voice, not by phonetic content) or a fixed text otherwise.

Serialisation is ``np.savez`` of plain arrays (``allow_pickle=False`` on load) with a
format version, so a stored profile can never execute code and old ones are detected.
"""

from __future__ import annotations

import io
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import numpy as np
import pyworld as pw

from voices import base_voice as base_voices
from voices import conversion, models, phones, warp, world
from voices.audio_io import resample
from voices.inline import InlineExecutor

FORMAT_VERSION = 1

# Base-voice statistics when there is no transcript: a phonetically varied paragraph
# (Harvard sentences, lists 1-2), long enough (~20 s) for stable means.
_GENERIC_TEXT = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
    "It's easy to tell the depth of a well. These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls. The juice of lemons makes fine punch. "
    "The box was thrown beside the parked truck. The hogs were fed chopped corn and garbage. "
    "Four hours of steady work faced us. A large size in stockings is hard to sell."
)


@dataclass
class VoiceProfile:
    """A cloned voice: speaker embedding plus the conversion's learned statistics."""

    embedding: np.ndarray  # (256,) float32, resemblyzer, L2-normalised
    target: conversion.Stats
    source: conversion.Stats
    version: int = FORMAT_VERSION
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def base_voice(self) -> str:
        """Which base voice this voice converts (:mod:`voices.base_voice`); Piper unless
        enrollment chose another."""
        if "base_voice" in self.extras:
            return str(self.extras["base_voice"])
        return base_voices.PIPER

    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {
            "version": np.array([self.version], np.int32),
            "embedding": np.asarray(self.embedding, np.float32),
            **self.target.to_arrays("tgt_"),
            **self.source.to_arrays("src_"),
            **{f"x_{k}": v for k, v in self.extras.items()},
        }
        buf = io.BytesIO()
        np.savez_compressed(buf, allow_pickle=False, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> VoiceProfile:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (ValueError, OSError, EOFError) as exc:
            raise ValueError("not a voice profile") from exc
        if "version" not in arrays:
            raise ValueError("not a voice profile")
        version = int(arrays["version"][0])
        if version != FORMAT_VERSION:
            raise ValueError(
                f"voice profile format {version} is not supported (expected {FORMAT_VERSION}); "
                "re-enroll the voice"
            )
        return cls(
            embedding=arrays["embedding"].astype(np.float32),
            target=conversion.Stats.from_arrays(arrays, "tgt_"),
            source=conversion.Stats.from_arrays(arrays, "src_"),
            version=version,
            extras={k[2:]: v for k, v in arrays.items() if k.startswith("x_")},
        )


def speaker_embedding(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    from resemblyzer import preprocess_wav

    wav = preprocess_wav(resample(samples, sample_rate, 16000), source_sr=16000)
    if len(wav) < 1600:
        wav = resample(samples, sample_rate, 16000)
    return models.speaker_encoder().embed_utterance(wav).astype(np.float32)


def base_voice_features(text: str, voice: str = base_voices.PIPER) -> world.Features:
    """WORLD features of a base voice reading ``text`` (at the conversion rate)."""
    return world.analyze(base_voice_reading(text, voice)[0])


def base_voice_reading(text: str, voice: str = base_voices.PIPER) -> tuple[np.ndarray, np.ndarray]:
    """A base voice reading ``text``: audio and per-sample phone labels (voices.phones)."""
    from voices.synthesis import base_reading

    return base_reading(voice, text)


def build_profile(
    samples: np.ndarray, sample_rate: int, *, transcript: str = "",
    executor: Executor | None = None, embed: bool = True, base_voice: str = base_voices.PIPER,
) -> VoiceProfile:
    """Learn a voice from a reference clip that already passed the quality gate.

    ``transcript`` (the gate's ASR transcript) lets Piper read the same words, so the
    base voice and the speaker can be aligned frame by frame; when it is empty the
    bundled ASR is run here. Without usable words the profile falls back to statistics
    against a fixed text (mean/variance mapping only, no frequency warp).

    The profile keeps what every conversion option needs (the frequency warp, the warped
    base voice's statistics, the aligned frame pairs the linear map is fitted on with
    the phone of each, the speaker's pace: float16 pairs, ~100-150 kB compressed for a
    10 s clip), so options change without re-enrolling. Extras are additive keys:
    profiles written before one existed still load, and the conversion skips what it
    lacks; keys an older version wrote and nothing reads now are loaded and ignored.
    ``embed=False`` leaves the speaker embedding zero: training on a
    corpus (bench/train_voice_prior.py) must not touch the speaker encoder at all.
    ``base_voice`` is a :mod:`voices.base_voice` mode: which base voice the profile pairs
    the clip with, chosen from the clip's median F0.
    """
    x = np.asarray(samples, np.float32).reshape(-1)
    if x.size < sample_rate:
        raise ValueError("the reference clip is shorter than one second")
    ref = resample(x, sample_rate, world.RATE)
    text = transcript.strip()
    # Piper and the speaker encoder run outside the GIL (ONNX Runtime, torch), WORLD
    # inside it: given an ``executor`` with two threads, they run beside the clip's WORLD
    # analysis on the second core (0.05-0.3 s off a 10 s clip's ~2 s profile on 2
    # cores); by default they run in turn. Same computations, same result.
    pool = executor or InlineExecutor()
    embedding: Future[np.ndarray] = Future()
    if embed:
        embedding = pool.submit(speaker_embedding, x, sample_rate)
    else:
        embedding.set_result(np.zeros(256, np.float32))
    mode = base_voices.check_mode(base_voice)
    voice = base_voices.PIPER
    reading = None
    if mode == base_voices.PIPER and len(text) >= 20:
        reading = pool.submit(base_voice_reading, text, voice)
    target_feats = world.analyze(ref)
    target = conversion.Stats.of(target_feats)
    if mode != base_voices.PIPER:
        # The choice needs the clip's F0, so this reading cannot start beside its analysis.
        voice = base_voices.choose(base_voices.median_f0(target_feats), mode)
        reading = pool.submit(base_voice_reading, text, voice) if len(text) >= 20 else None
    if not text:
        # The frequency warp and the aligned pairs need the base voice saying the same words.
        text = _transcribe(ref)
        reading = pool.submit(base_voice_reading, text, voice) if len(text) >= 20 else None
    profile = _learn(ref, target_feats, target, text, reading, embedding, voice)
    if voice != base_voices.PIPER:
        profile.extras["base_voice"] = np.array(voice)
    return profile


def _learn(ref: np.ndarray, target_feats: world.Features, target: conversion.Stats, text: str,
           reading: Future[tuple[np.ndarray, np.ndarray]] | None, embedding: Future[np.ndarray],
           voice: str = base_voices.PIPER) -> VoiceProfile:
    """The profile's statistics and extras, once the clip is analysed (see build_profile)."""
    source_feats = None
    if reading is not None:
        try:
            base_audio, base_phones = reading.result()
            source_feats = world.analyze(base_audio)
            source = conversion.Stats.of(source_feats)
        except ValueError:
            source_feats = None
    if source_feats is None:
        source = _generic_source_stats(voice)
    extras: dict[str, np.ndarray] = {}
    if source_feats is not None:
        si, ti = conversion.align_index(source_feats, target_feats, source, target)
        pair_src, pair_tgt = source_feats.mcep[si], target_feats.mcep[ti]
        # Which phone Piper was saying in each pair, for the per-phone correction.
        labels = phones.frame_labels(base_phones, world.RATE, world.FRAME_MS, len(source_feats.f0))
        extras["pair_phone"] = labels[si].astype(np.int16)
        extras["pair_tgt"] = pair_tgt.astype(np.float16)
        alpha, _ = warp.fit_warp(pair_src, pair_tgt, target_feats.fft_size)
        extras["warp_alpha"] = np.array([alpha], np.float32)
        extras["tempo"] = np.array([speaking_tempo(base_audio, ref)], np.float32)
        sp = pw.decode_spectral_envelope(
            np.ascontiguousarray(source_feats.mcep), world.RATE, source_feats.fft_size
        )
        warped = world.Features(
            f0=source_feats.f0,
            mcep=pw.code_spectral_envelope(
                warp.warp_envelope(sp, alpha), world.RATE, world.MCEP_DIM
            ),
            cap=source_feats.cap,
            fft_size=source_feats.fft_size,
        )
        extras.update(conversion.Stats.of(warped).to_arrays("srcw_"))
        pair_sp = pw.decode_spectral_envelope(
            np.ascontiguousarray(pair_src, dtype=np.float64), world.RATE, source_feats.fft_size
        )
        extras["pair_srcw"] = pw.code_spectral_envelope(
            warp.warp_envelope(pair_sp, alpha), world.RATE, world.MCEP_DIM
        ).astype(np.float16)
    return VoiceProfile(embedding=embedding.result(), target=target, source=source, extras=extras)


def speaking_tempo(base: np.ndarray, speaker: np.ndarray) -> float:
    """How much longer the speaker takes than Piper to say the same words (>1: slower).

    Both at :data:`world.RATE`; speech time is silero-vad's (pauses over 250 ms
    excluded), so the pauses between a clip's sentences do not count as slowness.
    Bounded to 0.8-1.25, the range over which Piper's length scale still sounds natural.
    """
    from voices.gate.vad import measure

    n_base = measure(resample(base, world.RATE, 16000)).speech_s
    n_spk = measure(resample(speaker, world.RATE, 16000)).speech_s
    if n_base < 1.0 or n_spk < 1.0:
        return 1.0
    return float(np.clip(n_spk / n_base, 0.8, 1.25))


def _transcribe(x: np.ndarray) -> str:
    try:
        segments, _ = models.whisper().transcribe(
            resample(x, world.RATE, 16000), language="en", beam_size=1
        )
        return " ".join(s.text for s in segments).strip()
    except (RuntimeError, ValueError, OSError):
        return ""


_generic_cache: dict[str, conversion.Stats] = {}


def _generic_source_stats(voice: str = base_voices.PIPER) -> conversion.Stats:
    if voice not in _generic_cache:
        _generic_cache[voice] = conversion.Stats.of(base_voice_features(_GENERIC_TEXT, voice))
    return _generic_cache[voice]


def warm_up() -> None:
    """Compute what every enrollment shares (the base voice's statistics on a generic
    text: ~10 s of Piper on a busy core) now rather than in the first enrollment."""
    _generic_source_stats()
