"""English or not, from the bundled English-only ASR (tiny.en) and its own confidence.

tiny.en cannot identify languages, but it can say how well English explains the audio:
on English speech its greedy decode is confident (mean token log-probability around
-0.1 to -0.4) and it writes ordinary words; on German, French, Spanish or Mandarin it
either forces rare, fragmented spellings (many BPE tokens per word, low log-probability)
or loops on a stock phrase, or drops whole stretches it cannot map to English words.
The English confidence is the weakest of three cues (see english_confidence).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from voices.models import whisper

_WORD = re.compile(r"[A-Za-z']+")


@dataclass(frozen=True)
class LanguageMeasurement:
    language: str
    confidence: float  # probability-like score that the speech is English
    transcript: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    tokens_per_word: float


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


def english_confidence(avg_logprob: float, compression_ratio: float, words_per_s: float) -> float:
    """The weakest of three cues, each a soft step at a boundary seen on the tuning half:
    mean token log-probability -0.75 (English clean speech >= -0.56), compression ratio
    2.4 (Whisper's own loop/hallucination criterion), and 1.0 word per second of speech
    (read English runs 2-3.5; foreign stretches tiny.en cannot map are dropped)."""
    return min(_sigmoid(8.0 * (avg_logprob + 0.75)), _sigmoid(4.0 * (2.4 - compression_ratio)),
               _sigmoid(4.0 * (words_per_s - 1.0)))


def measure(x16: np.ndarray, speech_s: float, asr_model: str | None = None) -> LanguageMeasurement:
    model = whisper(asr_model)
    # Timestamps on: without them tiny.en often emits end-of-text after the first
    # sentence of a 30 s window and the rest of the clip is never transcribed.
    segments, _ = model.transcribe(
        x16.astype(np.float32), language="en", beam_size=1, temperature=0.0,
        without_timestamps=False, condition_on_previous_text=False, vad_filter=False,
    )
    segs = list(segments)
    text = " ".join(s.text.strip() for s in segs).strip()
    n_tok = sum(max(1, len(s.tokens)) for s in segs)
    logprob = (sum(s.avg_logprob * max(1, len(s.tokens)) for s in segs) / n_tok) if segs else -5.0
    no_speech = max((s.no_speech_prob for s in segs), default=1.0)
    raw = text.encode("utf-8")
    ratio = len(raw) / len(zlib.compress(raw)) if raw else 0.0
    words = _WORD.findall(text)
    if words:
        tok = model.hf_tokenizer.encode(" " + " ".join(words), add_special_tokens=False)
        per_word = len(tok.ids) / len(words)
    else:
        per_word = 5.0
    conf = english_confidence(logprob, ratio, len(words) / max(speech_s, 1.0)) if words else 0.0
    return LanguageMeasurement(
        language="en" if conf >= 0.5 else "und", confidence=conf, transcript=text,
        avg_logprob=float(logprob), no_speech_prob=float(no_speech),
        compression_ratio=float(ratio), tokens_per_word=float(per_word),
    )
