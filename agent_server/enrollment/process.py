"""The blocking part of an enrollment, as CPU scheduler jobs: decode, gate, profile.

Each step is its own job (``run``), so realtime work due in the meantime goes between
them; a step's model work stays on the one thread its job was given (the gate's ASR
and the profile's Piper reading run in turn, :mod:`voices.inline`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from voices import gate
from voices.audio_io import AudioDecodeError, AudioTooLongError, decode
from voices.gate import GateThresholds


@dataclass
class EnrollmentResult:
    quality: dict[str, Any]
    failure: dict[str, Any] | None
    profile: bytes | None


async def enroll(data: bytes, thresholds: GateThresholds, max_audio_s: float,
                 run: Callable[..., Awaitable[Any]]) -> EnrollmentResult:
    try:
        clip = await run(partial(decode, data, max_duration_s=max_audio_s))
    except (AudioDecodeError, AudioTooLongError) as exc:
        return EnrollmentResult({}, {"code": "invalid_audio", "message": str(exc)}, None)
    report = await run(gate.evaluate, clip.samples, clip.sample_rate, thresholds)
    if report.failure is not None:
        return EnrollmentResult(report.quality, report.failure.to_dict(), None)
    from voices.profile import build_profile

    profile = await run(partial(build_profile, clip.samples, clip.sample_rate, transcript=report.transcript))
    return EnrollmentResult(report.quality, None, await run(profile.to_bytes))
