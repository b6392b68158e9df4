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
    # Share of samples on clipped plateaus. A loud but ordinary recording whose plosive
    # peaks touch full scale reads up to ~0.15 % (real uploads and the corpus's "loud"
    # captures); clipping becomes audible as crackle on speech from ~1 %, where the
    # corpus's clipped clips start: 0.5 % sits between the two with a margin each way.
    max_clipped_fraction: float = 0.005
    # p95-p5 of 1 s speech levels; read speech stays within ~8 dB.
    max_level_spread_db: float = 12.0
    # Loudest minus quietest phrase (VAD segment >= 1 s, level.py): one reading (also two
    # voices in turns at +-3 dB) <= 9.5 dB, one phrase 14-15 dB off >= 11.8 on the tuning half.
    max_phrase_level_spread_db: float = 10.5
    # API.md: a pause inside the speech longer than ~2 s. On the tuning speakers 95 % of
    # single-voice clips pause for at most 2.2 s, and an inserted pause of 2.7 s reads
    # >= 2.69 s; a few real recordings hold a 2.6-3.3 s pause of their own and fail, as
    # the rule says.
    max_silence_s: float = 2.5
    # Minimum-statistics SNR (noise.py). White/pink/babble noise mixed at <= 10 dB reads
    # <= 14.4 dB on the tuning speakers; real recordings with an ordinary steady floor read
    # from ~15.5 dB (a limit of 20 rejected them).
    min_snr_db: float = 15.0
    # WADA-SNR below which the background is Gaussian-like noise rather than speech-shaped
    # (noise at <= 10 dB SNR reads <= 11 dB, a second talker or a reverb tail >= 12 dB).
    noise_wada_snr_db: float = 12.0
    # Spread (p20 - p2, dB) of the 20 ms frame levels at the bottom of the clip below
    # which the floor is steady, i.e. stationary noise (noise.py): white/pink noise reads
    # 0.5-1.7 dB on the tuning half, music beds >= 3.4, a second voice >= 11.8.
    max_steady_floor_spread_db: float = 3.0
    # ... and over which it swings too much to be noise at all, even babble of many
    # talkers (<= 10.4 dB on the tuning half), whatever WADA says: one other voice
    # under the speech (>= 17.5 where WADA read noise-like).
    max_noise_floor_spread_db: float = 14.0
    # Share of pause frames carrying a sustained tonal line (music.py); clean speech
    # stays <= 0.2, music beds 20 dB under the speech read >= 0.4.
    max_music: float = 0.3
    # C50 from the blind T60 (reverb.py). On the tuning speakers rooms of RT60 0.7-1.5 s read
    # <= 6.1 dB, ordinary rooms (0.3-0.4 s) >= 7.4 dB and babble at 0-10 dB >= 6.6 dB; where
    # the floor is also Gaussian noise (which slows apparent decays) only the stricter 3.5 dB.
    min_c50_db_clean: float = 6.35
    min_c50_db: float = 3.5
    # Lowest block-vs-rest speaker-embedding cosine (speakers.py): one voice reads >= 0.737 on
    # the tuning speakers, most turns by another real person 0.47-0.70 (the few between
    # 0.70 and 0.73 are left to the two-voice model, which weighs this cue most).
    speaker_similarity: float = 0.72
    # Two voices at once (logistic.py): a logistic score over eight cues, fitted by
    # bench/gate_fit.py on the tuning speakers; above this the clip has two voices.
    max_two_voice_score: float = 0.793
    two_voice_weights: tuple[float, ...] = (-2.0097, 0.1593, -0.2528, -0.2424, -0.2936, -0.2748, 1.9058, -1.8061)
    two_voice_bias: float = -2.4972
    two_voice_mean: tuple[float, ...] = (0.8299, 33.2279, 39.1007, -0.4412, -0.4615, 1.1255, 0.1483, 0.8802)
    two_voice_scale: tuple[float, ...] = (0.0793, 13.8739, 12.4078, 0.425, 0.4891, 0.3275, 0.1614, 0.0278)
    # Not English (logistic.py): the same kind of score over tiny.en's cues; the clip's
    # language_confidence is 1 minus it, and below min_english_confidence it fails.
    foreign_weights: tuple[float, ...] = (-2.0751, -1.7933, 0.5009, 0.8168, 1.1226)
    foreign_bias: float = -5.1795
    foreign_mean: tuple[float, ...] = (-0.436, -0.4523, 1.3568, 3.1582, 1.1188)
    foreign_scale: tuple[float, ...] = (0.3915, 0.4753, 0.7608, 1.1479, 0.2847)
    min_english_confidence: float = 0.369
