"""Level consistency: how far the speech level swings across the clip.

Speech level is measured per 2 s window (hop 0.5 s) over the speech frames only, as the
mean power of the loudest half of the 20 ms frames in the window (so pauses between
words do not read as level drops). The spread is the distance between the 95th and 5th
percentile window: a single utterance said much louder or softer than the rest (a level
jump, someone turning away, an automatic gain step) widens it, while the natural rise and
fall of read speech stays within ~10 dB (max 10.9 dB over the tuning half of the gate
corpus; 1 s windows were noisier, up to 15 dB on clean clips).

The windows miss a jump confined to one short phrase (1.5-2.5 s: a 2 s window that
straddles it also holds louder speech, and a few windows are lost to the percentiles),
so the phrases are compared too: the level of each VAD segment of >= 1 s (mean power of
its loudest half of frames) and the spread is the loudest minus the quietest phrase.
Phrases of one reading stay within 8.5 dB of each other on the gate corpus (9.5 dB for
two voices in turns at +-3 dB); one phrase 14-15 dB off reads >= 11.8 on the tuning half.
"""

from __future__ import annotations

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE, db, frame_power, live, speech_mask

_FRAME_S = 0.02
_WINDOW_FRAMES = 100
_HOP_FRAMES = 25
_MIN_PHRASE_S = 1.0


def _loud_half_db(power: np.ndarray) -> float:
    """Level of the loudest half of some frames: pauses between words do not lower it."""
    return float(db(np.mean(np.sort(power)[len(power) // 2:])))


def measure(x16: np.ndarray, segments: list[tuple[float, float]]) -> float:
    """Level spread in dB (p95 - p5 of 2 s speech-window levels); 0 when too short."""
    frame = int(_FRAME_S * ANALYSIS_RATE)
    power = frame_power(x16, frame)
    # Digitally silent frames inside a segment (an editor's cut) are no level at all.
    speech = speech_mask(segments, len(power), _FRAME_S) & live(power)
    levels: list[float] = []
    for start in range(0, max(1, len(power) - _WINDOW_FRAMES + 1), _HOP_FRAMES):
        sel = power[start: start + _WINDOW_FRAMES][speech[start: start + _WINDOW_FRAMES]]
        # A window needs 0.8 s of speech to have a level worth comparing.
        if len(sel) < 40:
            continue
        levels.append(_loud_half_db(sel))
    if len(levels) < 3:
        return 0.0
    return float(np.percentile(levels, 95) - np.percentile(levels, 5))


def phrase_spread(x16: np.ndarray, segments: list[tuple[float, float]]) -> float:
    """Loudest minus quietest phrase level in dB (VAD segments of >= 1 s); 0 with < 2."""
    frame = int(_FRAME_S * ANALYSIS_RATE)
    power = frame_power(x16, frame)
    levels: list[float] = []
    for start, end in segments:
        if end - start < _MIN_PHRASE_S:
            continue
        sel = power[int(start / _FRAME_S): int(end / _FRAME_S)]
        sel = sel[live(sel)]
        if len(sel) < 2:
            continue
        levels.append(_loud_half_db(sel))
    if len(levels) < 2:
        return 0.0
    return float(max(levels) - min(levels))
