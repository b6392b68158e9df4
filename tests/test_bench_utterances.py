"""Where the realtime bench puts a recording's speech (its barge-in and v2v clocks)."""

from __future__ import annotations

import numpy as np

from bench.utterances import FRAME, RATE, speech_frames


def _clip(offset: float) -> np.ndarray:
    """0.3 s of faint hiss, 1 s of a voiced sound (120 Hz harmonics), 0.3 s of hiss,
    all on a constant ``offset``."""
    rng = np.random.default_rng(0)
    t = np.arange(RATE) / RATE
    voiced = sum(0.3 / k * np.sin(2 * np.pi * 120 * k * t) for k in range(1, 8))
    hiss = lambda n: 0.001 * rng.standard_normal(n)  # noqa: E731
    return (np.concatenate([hiss(int(0.3 * RATE)), voiced, hiss(int(0.3 * RATE))]) + offset).astype(np.float32)


def test_speech_is_found_between_the_pauses() -> None:
    onset, end = speech_frames(_clip(0.0))
    assert abs(onset - 0.3 * RATE / FRAME) <= 1 and abs(end - 1.3 * RATE / FRAME) <= 1


def test_a_dc_offset_is_not_speech() -> None:
    # An offset 10 dB under the voice's peak: on raw levels every frame reads as speech.
    onset, end = speech_frames(_clip(0.3))
    assert abs(onset - 0.3 * RATE / FRAME) <= 1 and abs(end - 1.3 * RATE / FRAME) <= 1
