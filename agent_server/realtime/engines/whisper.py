"""Speech to text with the bundled faster-whisper tiny.en, without the 30 s padding.

``WhisperModel.transcribe`` pads every call to Whisper's 30 s window, so a 3 s turn
costs the same ~450 ms as a 30 s one. CTranslate2's encoder accepts shorter mel inputs,
so a turn is encoded with a window of its own length plus 1 s (at least 5 s), decoded
greedily without timestamps: 80-180 ms for 2-9 s on two cores. Windows under 5 s make
tiny.en loop on its last word ("Never Never Never..."), measured on libritts8, hence
the floor; ``max_length`` is bounded by the audio duration for the same reason.

The model is the process-wide one from :mod:`voices.models`; calls run in the server's
bounded CPU pool, and CTranslate2 serialises them on its single worker.
"""

from __future__ import annotations

import re
import threading
from functools import cache

import numpy as np

from agent_server.config import ModelSettings

RATE = 16000
MIN_WINDOW_S = 5.0
TAIL_PAD_S = 1.0


class AsrEngine:
    """:class:`agent_server.realtime.engines.SpeechToText` with faster-whisper."""

    def __init__(self, model: str | None = None, compute_type: str = "int8") -> None:
        from faster_whisper.feature_extractor import FeatureExtractor
        from faster_whisper.tokenizer import Tokenizer

        from voices import models

        self.whisper = models.whisper(model, compute_type)
        self.features = FeatureExtractor(feature_size=self.whisper.feature_extractor.mel_filters.shape[0])
        self.tokenizer = Tokenizer(self.whisper.hf_tokenizer, self.whisper.model.is_multilingual,
                                   task="transcribe", language="en")
        self.prompt = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray) -> str:
        """Blocking: float32 mono 16 kHz in, text out ('' for no words)."""
        import ctranslate2

        audio = np.asarray(audio, np.float32).reshape(-1)
        dur = len(audio) / RATE
        if dur < 0.1:
            return ""
        if dur > 29.0:
            segments, _ = self.whisper.transcribe(audio, language="en", beam_size=1, without_timestamps=True)
            return " ".join(s.text.strip() for s in segments).strip()
        feats = self.features(audio, padding=160)
        frames = feats.shape[-1]
        target = min(3000, max(int(MIN_WINDOW_S * 100), int(np.ceil(frames / 100 + TAIL_PAD_S) * 100)))
        feats = np.pad(feats, ((0, 0), (0, max(0, target - frames))))[:, :3000]
        storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32))
        result = self.whisper.model.generate(
            storage, [self.prompt], beam_size=1, max_length=int(16 + dur * 8),
            suppress_blank=True, suppress_tokens=[-1], return_no_speech_prob=True,
        )[0]
        if result.no_speech_prob > 0.8:
            return ""
        ids = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        return clean(self.tokenizer.decode(ids))


_NOISE = re.compile(r"^\s*[\[(].*[\])]\s*$")


def clean(text: str) -> str:
    """Drop whisper's non-speech captions ("[Music]", "(coughs)") and a phrase that
    repeats at the end, the tell-tale of a decoding loop."""
    text = " ".join(text.split())
    if _NOISE.match(text):
        return ""
    words = text.split()
    for n in range(1, 6):
        # Three in a row is a loop; two can be speech ("bye bye").
        if len(words) >= 3 * n and words[-n:] == words[-2 * n:-n] == words[-3 * n:-2 * n]:
            while len(words) >= 2 * n and words[-n:] == words[-2 * n:-n]:
                words = words[:-n]
    return " ".join(words)


@cache
def shared_engine(model: str = "", compute_type: str = "int8") -> AsrEngine:
    return AsrEngine(model or None, compute_type)


def load(models: ModelSettings) -> AsrEngine:
    return shared_engine(models.asr_model, models.asr_compute_type)
