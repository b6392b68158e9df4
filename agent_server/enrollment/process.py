"""The blocking part of an enrollment, run in the CPU pool: decode, gate, profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voices import gate
from voices.audio_io import AudioDecodeError, AudioTooLongError, decode
from voices.gate import GateThresholds


@dataclass
class EnrollmentResult:
    quality: dict[str, Any]
    failure: dict[str, str] | None
    profile: bytes | None


def enroll(data: bytes, thresholds: GateThresholds, max_audio_s: float) -> EnrollmentResult:
    try:
        clip = decode(data, max_duration_s=max_audio_s)
    except (AudioDecodeError, AudioTooLongError) as exc:
        return EnrollmentResult({}, {"code": "invalid_audio", "message": str(exc)}, None)
    report = gate.evaluate(clip.samples, clip.sample_rate, thresholds)
    if report.failure is not None:
        failure = {"code": report.failure.code, "message": report.failure.message}
        return EnrollmentResult(report.quality, failure, None)
    from voices.profile import build_profile

    profile = build_profile(clip.samples, clip.sample_rate, transcript=report.transcript)
    return EnrollmentResult(report.quality, None, profile.to_bytes())
