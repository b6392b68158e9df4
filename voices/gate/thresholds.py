"""Gate thresholds: defaults here, overridable from the `[gate]` section of configs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateThresholds:
    min_bandwidth_hz: float = 10000.0
    min_speech_s: float = 6.0
    max_speech_s: float = 15.0
    span_tolerance_s: float = 0.5
