"""English or not, from the bundled English-only ASR (tiny.en) and its own confidence.

tiny.en cannot identify languages, but it can say how well English explains the audio:
on English speech its greedy decode is confident (mean token log-probability around
-0.1 to -0.4) and it writes ordinary words; on German, French, Spanish or Mandarin it
either forces rare, fragmented spellings (many BPE tokens per word, low log-probability)
or loops. The English confidence combines the mean token log-probability with the
tokens-per-word ratio (ordinary English averages ~1.2-1.4 GPT-2 tokens per word).
"""

from __future__ import annotations

import re
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


def english_confidence(avg_logprob: float, tokens_per_word: float) -> float:
    """Logistic score; centre and slopes come from the tuning half of the gate corpus."""
    z = 6.0 * (avg_logprob + 0.75) - 2.5 * (tokens_per_word - 1.8)
    return float(1.0 / (1.0 + np.exp(-z)))


def measure(x16: np.ndarray, asr_model: str | None = None) -> LanguageMeasurement:
    model = whisper(asr_model)
    segments, _ = model.transcribe(
        x16.astype(np.float32), language="en", beam_size=1, temperature=0.0,
        without_timestamps=True, condition_on_previous_text=False, vad_filter=False,
    )
    segs = list(segments)
    text = " ".join(s.text.strip() for s in segs).strip()
    n_tok = sum(max(1, len(s.tokens)) for s in segs)
    logprob = (sum(s.avg_logprob * max(1, len(s.tokens)) for s in segs) / n_tok) if segs else -5.0
    no_speech = max((s.no_speech_prob for s in segs), default=1.0)
    ratio = max((s.compression_ratio for s in segs), default=0.0)
    words = _WORD.findall(text)
    if words:
        tok = model.hf_tokenizer.encode(" " + " ".join(words), add_special_tokens=False)
        per_word = len(tok.ids) / len(words)
    else:
        per_word = 5.0
    conf = english_confidence(logprob, per_word)
    return LanguageMeasurement(
        language="en" if conf >= 0.5 else "und", confidence=conf, transcript=text,
        avg_logprob=float(logprob), no_speech_prob=float(no_speech),
        compression_ratio=float(ratio), tokens_per_word=float(per_word),
    )
