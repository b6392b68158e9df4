"""Small signal helpers shared by the checks (framing, power in dB, speech masks)."""

from __future__ import annotations

import numpy as np

from voices.audio_io import resample

# Every model-facing check (VAD, ASR, speaker embeddings) runs at 16 kHz; the DSP checks
# that need the full band (bandwidth, clipping) read the native-rate signal instead.
ANALYSIS_RATE = 16000


# Frames quieter than -80 dBFS (RMS) are digital silence: exact zeros, 16-bit dither
# (~-98 dBFS), a noise-suppressing recorder's gaps. No real room is that quiet at a usable
# recording level, and such frames are evidence of nothing: the noise floor, level and
# reverb statistics leave them out instead of reading them as a floor that swings by
# 60-90 dB or as an infinitely fast decay.
SILENT_POWER = 1e-8


def live(power: np.ndarray) -> np.ndarray:
    """Frames that carry sound (not digital silence), from their mean power."""
    return power > SILENT_POWER


def to_analysis_rate(x: np.ndarray, rate: int) -> np.ndarray:
    return resample(x, rate, ANALYSIS_RATE)


def frame_power(x: np.ndarray, frame: int, hop: int | None = None) -> np.ndarray:
    """Mean power per frame; a short signal still yields one (zero-padded) frame."""
    hop = hop or frame
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    n = 1 + (len(x) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    return np.mean(x[idx].astype(np.float64) ** 2, axis=1)


def db(p: np.ndarray | float, floor: float = 1e-12) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(p, floor))


def speech_mask(segments: list[tuple[float, float]], n_frames: int, hop_s: float,
                frame_s: float | None = None) -> np.ndarray:
    """True for frames that lie inside a VAD speech segment."""
    mask = np.zeros(n_frames, dtype=bool)
    centre = np.arange(n_frames) * hop_s + (frame_s or hop_s) / 2
    for start, end in segments:
        mask |= (centre >= start) & (centre < end)
    return mask
