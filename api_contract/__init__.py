"""The names the public contract (API.md) fixes for a voice's quality report and its
failures, defined once for the gate that fills them, the server that documents them in
``/openapi.json``, the SDK that parses them and the CLI that prints them.

Pure data with no dependencies, so the SDK can import it without the server's models.
A field or code is added here and nowhere else; the gate's messages and the guide's
fixes are checked against it by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["FAILURES", "FAILURE_CODES", "QUALITY_FIELDS", "FailureCode", "QualityValues", "quality_meta"]


def _q(label: str, fmt: str, description: str) -> Any:
    """A quality field: unset until measured; ``label`` and ``fmt`` say how a person reads it."""
    return field(default=None, metadata={"label": label, "fmt": fmt, "description": description})


@dataclass(kw_only=True)
class QualityValues:
    """API.md's ``Voice.quality``: what the gate measured on the reference clip. Servers
    may add fields (the object "may be extended"); these are always present once measured."""

    duration_s: float | None = _q("Duration", "{:.1f} s", "Length of the upload in seconds.")
    speech_s: float | None = _q("Speech", "{:.1f} s", "Seconds of detected speech.")
    effective_bandwidth_hz: float | None = _q(
        "Effective bandwidth", "{:,.0f} Hz",
        "Highest frequency with real speech energy, measured from the signal, never the header's rate.")
    snr_db: float | None = _q("SNR", "{:.1f} dB", "Estimated speech-to-noise ratio.")
    speakers: int | None = _q("Speakers", "{}", "Number of voices heard.")
    music: float | None = _q("Music", "{:.2f}", "Music heard under or between the speech (0-1).")
    reverb_c50_db: float | None = _q("Reverb (C50)", "{:.1f} dB", "Clarity index; low means a reverberant room.")
    clipped_fraction: float | None = _q("Clipped", "{:.2%}", "Fraction of samples at full scale.")
    level_spread_db: float | None = _q("Level spread", "{:.1f} dB", "How far the speech level swings across the clip.")
    longest_silence_s: float | None = _q("Longest silence", "{:.1f} s", "Longest pause inside the speech.")
    language: str | None = _q("Language", "{}", "Language of the speech ('en', or 'und' when not English).")
    language_confidence: float | None = _q("Language confidence", "{:.2f}", "Confidence that the speech is English.")


QUALITY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(QualityValues))


def quality_meta(name: str) -> dict[str, str]:
    """``label``, ``fmt`` and ``description`` of one quality field."""
    return dict(QualityValues.__dataclass_fields__[name].metadata)


@dataclass(frozen=True)
class FailureCode:
    """One reason enrollment fails: the stable ``code``, the quality field a person
    should look at, the rule it stands for (API.md's table) and the guide's fix."""

    code: str
    measure: str
    rule: str
    fix: str


FAILURES: dict[str, FailureCode] = {f.code: f for f in (
    FailureCode("insufficient_bandwidth", "effective_bandwidth_hz",
                "Effective bandwidth below 10 kHz: narrowband or low-bitrate audio upsampled to look wideband.",
                "Record genuinely wideband at >=24 kHz; upsampling adds samples, not bandwidth, and the gate "
                "detects it."),
    FailureCode("clip_too_short", "speech_s", "The speech span is under 6 s (0.5 s tolerance).",
                "Trim to a continuous 6-15 s of speech."),
    FailureCode("clip_too_long", "speech_s", "The speech span is over 15 s (0.5 s tolerance).",
                "Trim to a continuous 6-15 s of speech."),
    FailureCode("multiple_speakers", "speakers",
                "A second voice anywhere: turns, crosstalk, overlap, background conversation.",
                "Use a clip with exactly one speaker and no overlap."),
    FailureCode("too_noisy", "snr_db", "Background noise: estimated SNR below the threshold.",
                "Record in a quiet room with minimal background noise; don't denoise it afterwards."),
    FailureCode("background_music", "music", "Music under or between the speech.",
                "Record in a quiet, dry room with no music under or between the speech."),
    FailureCode("reverberant", "reverb_c50_db", "A reverb-heavy room.",
                "Record in a quiet, dry room; avoid reverb-heavy rooms."),
    FailureCode("clipping", "clipped_fraction", "Clipped samples beyond a small fraction.",
                "Record in a quiet, dry room; keep levels below clipping."),
    FailureCode("inconsistent_level", "level_spread_db", "The speech level swings strongly across the clip.",
                "Provide a fuller, evenly-leveled 10-15 s sample."),
    FailureCode("long_silence", "longest_silence_s", "A pause inside the speech longer than ~2 s.",
                "Use continuous speech with no pause longer than about 2 s."),
    FailureCode("non_english", "language", "The speech is not English.",
                "Use an English reference clip; cloning is English-only today."),
    FailureCode("no_speech", "speech_s", "No speech found.",
                "Use a clip where one person speaks continuously for 6-15 s."),
)}

FAILURE_CODES: tuple[str, ...] = tuple(FAILURES)
