"""Which base voice reads the text that a cloned voice converts: Piper or Kokoro.

Chosen once per voice at enrollment from the clip's acoustics alone (its median F0),
never from a speaker encoder, and stored in the profile (``base_voice``); a profile
without one (older ones) is Piper's. Modes (``[models] base_voice``):

- ``piper``: Piper's ``joe`` for everyone (the measured default);
- ``auto``: Piper for a clip whose median F0 is below :data:`MALE_BELOW_HZ`, otherwise
  the Kokoro female style nearest in median F0;
- ``kokoro``: Kokoro for everyone, its male style below :data:`MALE_BELOW_HZ`.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from voices import kokoro, world

PIPER = "piper"
MODES = ("piper", "auto", "kokoro")
# The usual split between male and female speaking F0 (the bench counts a libritts8
# speaker male below it too).
MALE_BELOW_HZ = 165.0
# What each Kokoro style's F0 is measured on (once per process, on first need).
_F0_TEXT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown base voice mode {mode!r}; one of {', '.join(MODES)}")
    return mode


def median_f0(feats: world.Features) -> float:
    voiced = feats.f0[feats.f0 > 0]
    return float(np.median(voiced)) if voiced.size else 0.0


@cache
def style_f0(style: str) -> float:
    """Median F0 of a Kokoro style reading a fixed text."""
    return median_f0(world.analyze(kokoro.audio(_F0_TEXT, style)))


def choose(clip_f0_hz: float, mode: str) -> str:
    """The base voice for a clip of median F0 ``clip_f0_hz`` under ``mode``."""
    check_mode(mode)
    if mode == PIPER:
        return PIPER
    if clip_f0_hz < MALE_BELOW_HZ:
        return PIPER if mode == "auto" else kokoro.PREFIX + kokoro.MALE_STYLE
    style = min(kokoro.FEMALE_STYLES, key=lambda s: abs(np.log(style_f0(s) / clip_f0_hz)))
    return kokoro.PREFIX + style
