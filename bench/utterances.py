"""The recordings a realtime bench replays, where their speech is, and how it is scored.

Real utterances (a ``MANIFEST.tsv`` folder of ../shared/data) at the 24 kHz the sessions
send, each with its first and last speech frame; reference transcripts from the bundled
ASR with a wide beam; word error between two transcripts; a speaker's clip as a user
would upload it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfiltfilt

RATE = 24000
FRAME = RATE // 50
HIGH_PASS_HZ = 60.0  # under any voice's fundamental; removes DC offset and rumble


@dataclass
class Utterance:
    path: str
    audio: np.ndarray
    onset: int  # first / last speech frame index (:func:`speech_frames`)
    end: int
    reference: str = ""


def read_24k(path: Path) -> np.ndarray:
    from voices.audio_io import resample

    a, sr = sf.read(path, dtype="float32")
    return a if sr == RATE else resample(a, sr, RATE)


def speech_frames(a: np.ndarray) -> tuple[int, int]:
    """First and last 20 ms frame of speech: louder than both 40 dB under the peak and
    15 dB over the recording's own noise floor (its 10th-percentile frame), at most
    20 dB under the peak (a clip that is speech throughout has its "floor" in the
    speech). A peak-only rule puts the onset on the first frame of a recording whose
    hiss is within 40 dB of its speech (much of LibriSpeech), half a second before the
    first word, and the end on its last frame.

    Levels are taken above :data:`HIGH_PASS_HZ`: some LibriSpeech recordings carry a DC
    offset (211-122425-0000: +0.024, 1363-135842-0000: -0.12, 8-14 dB under the peak),
    which on raw levels reads as speech from the first frame to the last; the onset
    was then ~240 ms before the first word and a barge-in looked that much slower."""
    a = sosfiltfilt(butter(2, HIGH_PASS_HZ, "highpass", fs=RATE, output="sos"), a)
    frames = len(a) // FRAME
    rms = np.sqrt(np.mean(a[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms / rms.max())
    loud = np.nonzero(db > max(-40.0, min(float(np.percentile(db, 10)) + 15.0, -20.0)))[0]
    return int(loud[0]), int(loud[-1])


def load(data: Path, count: int) -> list[Utterance]:
    with open(data / "MANIFEST.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    rows = [r for r in rows if 1.5 <= float(r["seconds"]) <= 8.0]
    out = []
    for r in rows[:count]:
        a = read_24k(data / r["path"])
        out.append(Utterance(r["path"], a, *speech_frames(a)))
    return out


def references(utts: list[Utterance]) -> None:
    from voices.audio_io import resample
    from voices.models import whisper

    model = whisper()
    for u in utts:
        segs, _ = model.transcribe(resample(u.audio, RATE, 16000), language="en", beam_size=5)
        u.reference = " ".join(s.text.strip() for s in segs)


def _words(text: str) -> list[str]:
    return "".join(ch.lower() if ch.isalnum() or ch in " '" else " " for ch in text).split()


def wer(pairs: list[tuple[str, str]]) -> float:
    from rapidfuzz.distance import Levenshtein

    errors = sum(Levenshtein.distance(_words(r), _words(h)) for r, h in pairs)
    total = sum(len(_words(r)) for r, _ in pairs)
    return errors / max(1, total)


def clip_of(data: Path, speaker: str) -> bytes:
    """8-14 s of ``speaker``'s utterances joined, as a WAV a user would upload."""
    with open(data / "MANIFEST.tsv") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["speaker"] == speaker]
    parts, total = [], 0.0
    for r in rows:
        secs = float(r["seconds"])
        if total < 8.0 and secs >= 2.0 and total + secs <= 14.0:
            parts += [read_24k(data / r["path"]), np.zeros(int(0.3 * RATE), np.float32)]
            total += secs
    if not parts:
        raise SystemExit(f"speaker {speaker}: no 8-14 s of utterances in {data}")
    buf = io.BytesIO()
    sf.write(buf, np.concatenate(parts), RATE, format="WAV")
    return buf.getvalue()
