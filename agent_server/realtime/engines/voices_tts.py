"""Text to speech with :mod:`voices`: the base voice reads (Piper, or the profile's
base voice), then conversion toward a cloned voice, each step a scheduler job
(:func:`agent_server.speech_stream.speak`, whose read-ahead spans all texts given at
once)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import numpy as np

from agent_server.realtime.engines import RunCpu
from agent_server.speech_stream import plan, speak
from voices.synthesis import gap


class VoicesTts:
    def __init__(self, profile: Any, speed: float = 1.0) -> None:
        self.profile = profile
        self.speed = speed

    def pause(self) -> np.ndarray:
        return gap(self.speed)

    def speak(self, texts: list[str], run: RunCpu, *, fast_start: bool) -> AsyncGenerator[tuple[int, np.ndarray], None]:
        return speak(plan(texts, self.speed), self.profile, self.speed, run, fast_start=fast_start)


def for_voice(profile: Any) -> VoicesTts:
    return VoicesTts(profile)
