"""The LibriSpeech sample (``../shared/data/librispeech261``) split by speaker.

LibriSpeech ASR corpus samples, Panayotov, Chen, Povey and Khudanpur (ICASSP 2015), from
LibriVox recordings, CC BY 4.0. Three speaker-disjoint parts, fixed by rule so every
script agrees without a stored list:

- judged: the ten ``test-other`` speakers (enrolled and scored by
  ``bench/clone_population.py``, beside the eight libritts8 speakers);
- impostors: every :data:`IMPOSTOR_EVERY`-th ``train-clean-100`` speaker of each sex
  (speaker ids in numeric order); they only widen the identification set;
- training: every other ``train-clean-100`` speaker; only these may inform a model
  or a constant (``bench/train_voice_prior.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent / "shared/data"
LIBRISPEECH = ROOT / "librispeech261"
LIBRITTS = ROOT / "libritts8"
IMPOSTOR_EVERY = 5


@dataclass(frozen=True)
class Utterance:
    path: Path
    speaker: str
    sex: str
    subset: str
    seconds: float


def manifest(data: Path = LIBRISPEECH) -> list[Utterance]:
    rows = [line.split("\t") for line in (data / "MANIFEST.tsv").read_text().splitlines()[1:] if line]
    return [Utterance(data / p, spk, sex, subset, float(secs)) for p, spk, sex, subset, secs, _rate in rows]


def split(data: Path = LIBRISPEECH) -> dict[str, list[Utterance]]:
    """``{"judged", "impostors", "training"}`` → utterances (speaker-disjoint)."""
    utts = manifest(data)
    parts: dict[str, list[Utterance]] = {"judged": [], "impostors": [], "training": []}
    parts["judged"] = [u for u in utts if u.subset == "test-other"]
    for sex in ("F", "M"):
        spks = sorted({u.speaker for u in utts if u.subset == "train-clean-100" and u.sex == sex}, key=int)
        impostors = set(spks[::IMPOSTOR_EVERY])
        for u in utts:
            if u.subset == "train-clean-100" and u.sex == sex:
                parts["impostors" if u.speaker in impostors else "training"].append(u)
    return parts


def read(path: Path, rate: int) -> np.ndarray:
    """Mono float32 at ``rate``."""
    import soundfile as sf

    from voices.audio_io import resample

    x, sr = sf.read(path, dtype="float32")
    if x.ndim > 1:
        x = x.mean(axis=1)
    return resample(x, sr, rate)
