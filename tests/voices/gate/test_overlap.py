"""The two-voices-at-once detector: its framing, and the committed weights on code-made speech."""

from __future__ import annotations

import numpy as np

from tests.voices.gate.conftest import synthesize
from voices.audio_io import resample
from voices.gate import overlap


def test_windows_are_one_second_apart_by_half_and_blind_to_gain() -> None:
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(3 * 16000)).astype(np.float32)
    w = overlap.windows(overlap.log_spectrogram(x))
    assert w.shape == (4, overlap.N_BINS, overlap.WINDOW)  # 297 frames: windows at 0, 0.5, 1, 1.5 s
    loud = overlap.windows(overlap.log_spectrogram(10 * x))
    assert np.allclose(w, loud, atol=1e-3)
    assert len(overlap.windows(overlap.log_spectrogram(x[:8000]))) == 0


def test_too_little_speech_scores_nothing() -> None:
    assert overlap.measure(np.zeros(4000, np.float32)) == 0.0


def _speech16(text: str, stretch: float = 1.0) -> np.ndarray:
    x, rate = synthesize(text, steady=True)
    return resample(x, rate, int(16000 * stretch)).astype(np.float32)


def test_the_trained_detector_hears_two_voices_over_one() -> None:
    """One Piper reading against it over another reading slowed by 1.3 (another pitch and
    vocal tract). Trained on real people only, the detector must still rank the mix far
    above the single voice."""
    one = _speech16("The old lighthouse stood at the edge of the cliff for more than a century, "
                    "and every night its beam swept across the water.")
    other = _speech16("A small boat drifted past the harbour wall while the fishermen mended their nets.", 1.3)
    n = min(len(one), len(other))
    mix = one[:n] + other[:n] * np.sqrt(np.mean(one[:n] ** 2) / np.mean(other[:n] ** 2))
    single, double = overlap.measure(one[:n]), overlap.measure(mix)
    assert 0.0 <= single <= 1.0 and 0.0 <= double <= 1.0
    assert double > single + 0.3, (single, double)
