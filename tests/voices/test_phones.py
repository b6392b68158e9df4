"""Phone labels from Piper's durations: which phone each sample and frame belongs to."""

from __future__ import annotations

import numpy as np

from voices.phones import NO_PHONE, frame_labels, resample_labels, sample_labels
from voices.synthesis import piper_reading


def test_stress_goes_to_the_next_phone_and_length_to_the_previous() -> None:
    # "^ b ˈ i ː _ ." with made-up ids: stress (3 samples) belongs to the vowel after it,
    # the length mark (2) to the vowel before it; the word gap and punctuation are no phone.
    align = [("^", 1, 2), ("b", 10, 3), ("ˈ", 120, 3), ("i", 20, 4), ("ː", 122, 2), (" ", 3, 2), (".", 4, 1)]
    labels = sample_labels(align, 17)
    assert labels.tolist() == [NO_PHONE] * 2 + [10] * 3 + [20] * 9 + [NO_PHONE] * 3


def test_labels_follow_the_samples_to_another_rate_and_to_frames() -> None:
    labels = np.repeat(np.array([5, 6, 7], np.int16), 100)
    up = resample_labels(labels, 100, 150)
    assert len(up) == 450 and up[0] == 5 and up[224] == 6 and up[-1] == 7
    frames = frame_labels(labels, 1000, 50.0, 6)  # 50 ms frames at 1 kHz: every 50 samples
    assert frames.tolist() == [5, 5, 6, 6, 7, 7]


def test_piper_reading_labels_cover_the_spoken_phones() -> None:
    audio, labels = piper_reading("Good morning.")
    assert len(labels) == len(audio)
    phones = labels[labels != NO_PHONE]
    # Most of the audio is a phone; "good morning" has at least seven distinct ones.
    assert len(phones) > 0.6 * len(audio) and len(np.unique(phones)) >= 7
    loud = np.abs(audio) > 0.3 * np.abs(audio).max()
    assert np.mean(labels[loud] != NO_PHONE) > 0.9  # the loud part is labelled speech
