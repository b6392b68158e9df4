"""One labelled corpus clip: what bench/gate_corpus.py writes and the gate must answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Clip:
    name: str
    category: str
    expected: str  # failure code, "ok", or alternatives joined by "|"
    speaker: str
    source: str
    half: str
    samples: np.ndarray
    rate: int
    note: str = ""
    subtype: str = "PCM_16"
    channels: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def wideband(self) -> bool:
        """Only clips of a wideband source are judged by the bandwidth rule."""
        return self.source in ("libritts8", "synthetic", "none")
