"""What the bundled English-only ASR (tiny.en) makes of the clip: the language cues.

tiny.en cannot identify languages, but it can say how well English explains the audio:
on English speech its greedy decode is confident (mean token log-probability around
-0.1 to -0.4) and it writes ordinary words; on German, French, Spanish or Mandarin it
either forces rare, fragmented spellings (many BPE tokens per word, low log-probability)
or loops on a stock phrase, or drops whole stretches it cannot map to English words.
The cues are weighed by a calibrated model (logistic.py), not read one by one: a hard
English reader can be as unsure as a foreign one, but writes English words.

The same decode also says where tiny.en lost its way: per-word probabilities (from its
word alignment) are low over a stretch where a second voice talks over the first, while
one reader, even a hard one, keeps most stretches confident (see worst_stretch_logprob).
"""

from __future__ import annotations

import copy
import logging
import re
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from voices.models import whisper

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

_log = logging.getLogger(__name__)
_WORD = re.compile(r"[A-Za-z']+")
# faster-whisper's defaults for transcribe(word_timestamps=True).
_PREPENDED = "\"'“¿([{-"
_APPENDED = "\"'.。,，!！?？:：”)]}、"


@dataclass(frozen=True)
class LanguageMeasurement:
    transcript: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    tokens_per_word: float
    worst_stretch_logprob: float  # mean log word probability over the least sure 30 % of words
    words_per_s: float = 0.0


def worst_stretch_logprob(word_probs: list[float] | np.ndarray, share: float = 0.3) -> float:
    """Mean log-probability of the least confident run of consecutive words (30 % of them).

    A second voice over part of a clip confuses the recogniser along that part only, so the
    weakest contiguous run says more than the clip's mean, which the clear part props up.
    Unusual names or one mumbled phrase fall in too, so the judge pairs it with a waveform
    cue (noise.py's WADA statistic) before calling a second voice.
    """
    lp = np.log(np.clip(np.asarray(word_probs, dtype=np.float64), 1e-4, 1.0))
    if len(lp) == 0:
        return float(np.log(1e-4))
    k = max(3, int(share * len(lp)))
    if len(lp) <= k:
        return float(lp.mean())
    return float(np.convolve(lp, np.ones(k) / k, mode="valid").min())


def _first_window_word_probs(model: WhisperModel, x16: np.ndarray) -> tuple[list, list[float]]:
    """Transcribe as before and read per-word probabilities off the same decode.

    faster-whisper's own word_timestamps option would change the transcript: it re-seeks
    to the last word and decodes the tail again, where tiny.en loops ("The The The") on
    foreign speech and the language statistics move. So the decode runs without it, on a
    per-call shallow copy of the shared model whose encode() keeps the first window's
    encoder output, and the words are aligned against that output afterwards (one
    decoder pass, ~25 ms; a second encode would cost ~0.2 s). Clips of up to 15.5 s fit
    the first 30 s window; later windows, if any, add no word probabilities.
    """
    # Imported here, not at module load: CTranslate2's OpenMP runtime loaded ahead of
    # torch's makes the two thread pools stall each other for seconds when the ASR
    # thread and the speaker encoder run at once (measured: 3-5 of 17 evaluations).
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import merge_punctuations

    kept: list[Any] = []
    view = copy.copy(model)

    def encode(features: np.ndarray) -> Any:
        out = model.encode(features)
        if not kept:
            kept.append(out)
        return out

    view.encode = encode
    # Timestamps on: without them tiny.en often emits end-of-text after the first
    # sentence of a 30 s window and the rest of the clip is never transcribed.
    segments, _ = view.transcribe(
        x16, language="en", beam_size=1, temperature=0.0,
        without_timestamps=False, condition_on_previous_text=False, vad_filter=False,
    )
    segs = list(segments)
    first = [s for s in segs if s.seek == 0]
    if not kept or not first:
        return segs, []
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    tokens = [t for s in first for t in s.tokens if t < tokenizer.eot]
    if not tokens:
        return segs, []
    frames = min(model.feature_extractor.nb_max_frames, len(x16) // model.feature_extractor.hop_length)
    try:
        alignment = model.find_alignment(tokenizer, [tokens], kept[0], frames)[0]
        # As faster-whisper does: punctuation joins its word and keeps that word's probability.
        merge_punctuations(alignment, _PREPENDED, _APPENDED)
        return segs, [float(w["probability"]) for w in alignment if w["word"]]
    except Exception:  # an aligner that changed shape must cost the overlap cue, not the gate
        _log.exception("word alignment failed; the gate goes on without word probabilities")
        return segs, []


def measure(x16: np.ndarray, speech_s: float, asr_model: str | None = None) -> LanguageMeasurement:
    model = whisper(asr_model)
    segs, word_probs = _first_window_word_probs(model, x16.astype(np.float32))
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
    return LanguageMeasurement(
        transcript=text,
        avg_logprob=float(logprob), no_speech_prob=float(no_speech),
        compression_ratio=float(ratio), tokens_per_word=float(per_word),
        # No words aligned is no evidence of a second voice (0.0), not the floor (-9.2).
        worst_stretch_logprob=worst_stretch_logprob(word_probs) if word_probs else 0.0,
        words_per_s=len(words) / max(speech_s, 1.0),
    )
