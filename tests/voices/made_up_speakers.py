"""Reference clips of speakers that do not exist: the base voice re-synthesised by WORLD
with another pitch and vocal tract, so conversion tests need no recordings."""

from __future__ import annotations

import numpy as np
import pyworld as pw

from voices.synthesis import OUTPUT_RATE, piper_audio


def made_up_speaker(text: str, pitch: float, formants: float = 1.0) -> np.ndarray:
    """Piper reading `text` with its F0 scaled by `pitch` and its envelope stretched by
    `formants` (1.1 = formants 10 % up), at 0.3 peak."""
    x = piper_audio(text).astype(np.float64)
    f0, t = pw.dio(x, OUTPUT_RATE)
    f0 = pw.stonemask(x, f0, t, OUTPUT_RATE)
    sp = pw.cheaptrick(x, f0, t, OUTPUT_RATE)
    ap = pw.d4c(x, f0, t, OUTPUT_RATE)
    if formants != 1.0:
        bins = np.arange(sp.shape[1])
        sp = np.stack([np.interp(bins / formants, bins, frame) for frame in sp])
    y = pw.synthesize(f0 * pitch, sp, ap, OUTPUT_RATE)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)
