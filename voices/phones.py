"""Which phone Piper is saying at each sample: labels from its own alignments.

Piper's VITS model decides every phoneme's duration before it renders audio; piper-tts
can expose those durations (``include_alignments``). Labelling the base voice's frames
with the phone being said lets the conversion apply what the clip taught about *that*
phone (:func:`voices.conversion.map_phones`), where a frame-distance match would borrow
a neighbouring phone's correction (measured: exemplar lookups cost 4-7 WER points).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

NO_PHONE = -1
# Stress marks belong to the vowel after them, length and diacritics (syllabic, nasal,
# aspirated, r-coloured...) to the phone before; word gaps, punctuation and the sentence
# start/end tokens are no phone.
_STRESS = {"ˈ", "ˌ"}
_MODIFIERS = {"ː", "ˑ", "\u0329", "\u0303", "\u032a", "\u032f", "\u0327", "ʰ", "ʲ", "˞", "ˤ"}
_NOT_PHONES = {" ", "^", "$", "_", ",", ".", "!", "?", ";", ":", "-", "—", "…", '"', "'", "(", ")"}


def sample_labels(alignments: Iterable[tuple[str, int, int]], n_samples: int) -> np.ndarray:
    """Per-sample phone ids (``NO_PHONE`` between phones) from ``(phoneme, id, samples)``.

    Piper's phoneme ids name the phone (one id per IPA symbol), so they are the label.
    A stress mark's samples go to the next phone, a length mark's or diacritic's to the
    previous one.
    """
    out = np.full(n_samples, NO_PHONE, np.int16)
    pos = 0
    pending = 0  # samples of stress marks waiting for their vowel
    last = NO_PHONE
    for phoneme, phone_id, n in alignments:
        n = int(n)
        if phoneme in _STRESS:
            pending += n
        elif phoneme in _MODIFIERS:
            out[pos : pos + n] = last
        elif phoneme in _NOT_PHONES:
            last = NO_PHONE
            pending = 0
        else:
            out[pos - pending : pos + n] = phone_id
            last = phone_id
            pending = 0
        pos += n
    return out


def resample_labels(labels: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Labels at another sample rate (nearest sample: labels are not signals)."""
    n_out = round(len(labels) * rate_out / rate_in)
    if len(labels) == 0 or n_out == 0:
        return np.zeros(0, np.int16)
    idx = np.minimum((np.arange(n_out) * (rate_in / rate_out)).astype(np.int64), len(labels) - 1)
    return labels[idx]


def frame_labels(labels: np.ndarray, rate: int, frame_ms: float, n_frames: int) -> np.ndarray:
    """The label at each WORLD frame's centre (frame t is centred at t * frame_ms)."""
    if len(labels) == 0:
        return np.full(n_frames, NO_PHONE, np.int16)
    idx = np.minimum((np.arange(n_frames) * frame_ms * rate / 1000).astype(np.int64), len(labels) - 1)
    return labels[idx]
