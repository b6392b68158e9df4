"""Gate thresholds: defaults here, overridable from the `[gate]` section of configs.

The defaults are the public rules of API.md. Where API.md gives no number, the comment
says where the value comes from (the tuning half of the gate corpus, bench/gate_eval.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateThresholds:
    # API.md: below 10 kHz fails (8/16 kHz captures, low-bitrate lossy sources).
    min_bandwidth_hz: float = 10000.0
    # API.md: speech span 6-15 s after trimming, 0.5 s tolerance.
    min_speech_s: float = 6.0
    max_speech_s: float = 15.0
    span_tolerance_s: float = 0.5
    # Share of samples on clipped plateaus; 0.1 % is a few isolated flat peaks, well under
    # the 1 % where hard clipping becomes audible as crackle on speech.
    max_clipped_fraction: float = 0.001
    # p95-p5 of 1 s speech levels; read speech stays within ~8 dB.
    max_level_spread_db: float = 12.0
    # API.md: a pause inside the speech longer than ~2 s.
    max_silence_s: float = 2.0
    min_snr_db: float = 20.0
    max_music: float = 0.3
    min_c50_db: float = 5.0
    # Speaker split: the two window groups' centroid cosine below this is a second voice.
    speaker_split_similarity: float = 0.75
    speaker_min_share: float = 0.15
    # Overlap: median voiced-frame periodicity below this means two voices at once.
    min_periodicity: float = 0.6
    min_english_confidence: float = 0.5
