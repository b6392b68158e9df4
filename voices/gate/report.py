"""What the gate hands back: every measurement, and the first hard failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    # Which measurement decided, its value and the limit it crossed (API.md's failure.evidence).
    evidence: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "evidence": self.evidence}


@dataclass
class GateReport:
    # Serialised as the Voice's `quality` object (API.md field names).
    quality: dict[str, Any] = field(default_factory=dict)
    failure: Failure | None = None
    # Useful downstream (profile building): ASR transcript of the clip, and the speech
    # span in seconds after trimming.
    transcript: str = ""
    speech_start_s: float = 0.0
    speech_end_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failure is None
