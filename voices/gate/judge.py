"""The judge: runs the checks cheap-first, applies the thresholds, stops at the first
hard failure, and reports every measurement it made on the way.

Order (cost in brackets, for a 15 s clip on 2 cores): VAD (~80 ms) decides no_speech and
the span; then the pure-DSP checks (bandwidth, clipping, pauses, level, reverb, music,
noise; ~10-60 ms each); then speaker embeddings (~60 ms) and ASR (~400 ms) last, the
ASR started beside the checks after level so that its threads overlap them.
A second voice is called from the embeddings (turns), from a speech-shaped floor that
fills the pauses, from ASR that follows no single voice while the embeddings wander, or
from ASR that loses one stretch of an English clip whose waveform is more Gaussian than
one voice's (overlap); the last two need the ASR and so come after it. Reverb
and music are judged before noise because both fill the pauses that the minimum-
statistics SNR relies on; noise is called only when the waveform statistics also say
"Gaussian floor" (see noise.py), which keeps a second talker from reading as noise.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

import numpy as np
from scipy.signal import butter, sosfiltfilt

from voices.gate import bandwidth, clipping, language, level, music, noise, reverb, speakers, vad
from voices.gate.dsp import ANALYSIS_RATE, to_analysis_rate
from voices.gate.messages import message
from voices.gate.report import Failure, GateReport
from voices.gate.thresholds import GateThresholds
from voices.inline import InlineExecutor

# Below this much detected speech there is nothing to judge (a cough, a click).
_MIN_SPEECH_FOUND_S = 0.5
_MAX_RATE = 48000

QUALITY_FIELDS = (
    "duration_s", "speech_s", "effective_bandwidth_hz", "snr_db", "speakers", "music",
    "reverb_c50_db", "clipped_fraction", "level_spread_db", "longest_silence_s", "language",
    "language_confidence",
)


def _prepare(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """Mono float32, finite, in [-1, 1], at most 48 kHz; never raises on odd input."""
    x = np.asarray(samples)
    if x.dtype.kind in "iu":
        info = np.iinfo(x.dtype)
        x = (x.astype(np.float64) - (info.max + 1 + info.min) / 2) / ((info.max - info.min + 1) / 2)
    x = np.nan_to_num(x.astype(np.float32, copy=False), nan=0.0, posinf=1.0, neginf=-1.0)
    if x.ndim > 1:
        # Channels-last or channels-first: mix the live channels (a dead one must not halve the level).
        multi = x if x.shape[0] <= x.shape[-1] else x.T
        energy = np.mean(multi**2, axis=1)
        live = energy > 1e-3 * energy.max() if energy.max() > 0 else np.ones(len(energy), bool)
        x = multi[live].mean(axis=0)
    x = np.clip(x.reshape(-1), -1.0, 1.0).astype(np.float32)
    rate = int(sample_rate)
    if rate > _MAX_RATE:
        from voices.audio_io import resample

        x, rate = resample(x, rate, _MAX_RATE), _MAX_RATE
    return x, rate


def _highpass(x: np.ndarray, rate: int) -> np.ndarray:
    """Remove DC and rumble below 50 Hz: an offset must not read as speech level or noise."""
    if len(x) < 64:
        return x - np.mean(x) if len(x) else x
    sos = butter(2, 50.0, btype="high", fs=rate, output="sos")
    return sosfiltfilt(sos, x - np.mean(x)).astype(np.float32)


def floor_reading(nz: noise.NoiseMeasurement, th: GateThresholds) -> tuple[bool, bool]:
    """(noise_like, steady) of the floor, which arbitrate the noise, reverb and voice rules.

    The WADA estimate tells a noise floor (Gaussian) from speech-shaped energy (a second
    talker), and the floor's steadiness tells stationary noise from anything that comes
    and goes (a talker, music, a reverberant tail). A floor that swings by more than even
    babble of many talkers does is one other voice, not noise, though its amplitudes may
    look Gaussian to WADA."""
    noise_like = nz.wada_snr_db < th.noise_wada_snr_db and nz.floor_spread_db < th.max_noise_floor_spread_db
    return noise_like, nz.floor_spread_db < th.max_steady_floor_spread_db


def voice_in_the_pauses(nz: noise.NoiseMeasurement, rv: reverb.ReverbMeasurement, th: GateThresholds) -> bool:
    """A second voice under the first (overlap, background talk) fills the pauses with
    speech-shaped energy: a low floor SNR that the WADA statistic says is not noise and
    whose level is not steady (stationary noise, e.g. pink, can fool WADA). An ordinary
    room's tail fills them the same way, so only where the decays say the room is dry
    (C50 at or above the limit) is that energy taken for a voice."""
    noise_like, steady = floor_reading(nz, th)
    return (not noise_like and not steady and nz.snr_db < th.min_floor_snr_db
            and rv.c50_db >= th.floor_rule_min_c50_db)


def evaluate(samples: np.ndarray, sample_rate: int, thresholds: GateThresholds | None = None, *,
             asr_model: str | None = None, full: bool = False, executor: Executor | None = None) -> GateReport:
    """Judge an enrollment clip.

    `full=True` measures every check even after a failure (the benchmark uses it to see
    all measurements at once); the verdict is the same either way.
    """
    th = thresholds or GateThresholds()
    q: dict[str, Any] = dict.fromkeys(QUALITY_FIELDS)
    report = GateReport(quality=q)
    extra: dict[str, Any] = {}

    def fail(code: str) -> bool:
        if report.failure is None:
            values = {**th.__dict__, **{k: v for k, v in q.items() if v is not None}, **extra}
            report.failure = Failure(code, message(code, values))
        return not full

    raw, rate = _prepare(samples, sample_rate)
    q["duration_s"] = round(len(raw) / rate, 3) if rate > 0 else 0.0
    if rate < 1000 or len(raw) < rate // 10 or float(np.max(np.abs(raw), initial=0.0)) < 1e-5:
        q["speech_s"] = 0.0
        fail("no_speech")
        return report
    x = _highpass(raw, rate)
    x16 = to_analysis_rate(x, rate)

    sp = vad.measure(x16)
    q["speech_s"] = round(sp.speech_s, 2)
    report.speech_start_s, report.speech_end_s = round(sp.start_s, 3), round(sp.end_s, 3)
    extra["span_s"] = sp.span_s
    if sp.speech_s < _MIN_SPEECH_FOUND_S:
        fail("no_speech")
        return report
    q["longest_silence_s"] = round(sp.longest_silence_s, 2)
    if sp.span_s < th.min_speech_s - th.span_tolerance_s and fail("clip_too_short"):
        return report
    if sp.span_s > th.max_speech_s + th.span_tolerance_s and fail("clip_too_long"):
        return report

    q["effective_bandwidth_hz"] = round(bandwidth.measure(x, rate, sp.segments))
    if q["effective_bandwidth_hz"] < th.min_bandwidth_hz and fail("insufficient_bandwidth"):
        return report

    q["clipped_fraction"] = round(clipping.measure(raw), 5)
    extra["clipped_pct"] = 100.0 * q["clipped_fraction"]
    if q["clipped_fraction"] > th.max_clipped_fraction and fail("clipping"):
        return report

    if sp.longest_silence_s > th.max_silence_s and fail("long_silence"):
        return report

    q["level_spread_db"] = round(level.measure(x16, sp.segments), 1)
    q["phrase_level_spread_db"] = round(level.phrase_spread(x16, sp.segments), 1)
    # The message quotes the swing that failed: across 2 s windows, or between phrases.
    extra["level_swing_db"] = q["level_spread_db"]
    if q["phrase_level_spread_db"] > th.max_phrase_level_spread_db:
        extra["level_swing_db"] = max(q["level_spread_db"], q["phrase_level_spread_db"])
        if fail("inconsistent_level"):
            return report
    if q["level_spread_db"] > th.max_level_spread_db and fail("inconsistent_level"):
        return report

    # The ASR is the slowest check and runs in ``executor``'s thread if given (CTranslate2
    # releases the GIL), so once the cheap checks have passed it starts beside the remaining DSP and
    # embedding checks rather than after them: on 2 cores that takes ~0.4 s off a passing
    # 15 s clip. A clip that fails one of those checks leaves it to finish unheard.
    lo = max(0, int((sp.start_s - 0.2) * ANALYSIS_RATE))
    hi = min(len(x16), int((sp.end_s + 0.2) * ANALYSIS_RATE))
    asr = (executor or InlineExecutor()).submit(language.measure, x16[lo:hi], sp.speech_s, asr_model)

    nz = noise.measure(x16, sp.segments)
    q["snr_db"], q["wada_snr_db"] = round(nz.snr_db, 1), round(nz.wada_snr_db, 1)
    q["floor_spread_db"] = round(nz.floor_spread_db, 2)
    noise_like, steady = floor_reading(nz, th)
    # Pauses filled to within 20 dB of the speech by a floor that does not move: that is
    # noise, whatever its spectrum. Judged before reverb, whose decays it would slow.
    if nz.snr_db < th.min_snr_db and steady and fail("too_noisy"):
        return report

    rv = reverb.measure(x16)
    q["reverb_c50_db"], q["reverb_t60_s"] = round(rv.c50_db, 1), round(rv.t60_s, 2)
    # Only a stationary Gaussian floor slows the apparent decays (a reverb tail is itself
    # Gaussian-like to WADA, but not steady): only then the lenient C50 limit.
    c50_limit = th.min_c50_db if noise_like and steady else th.min_c50_db_clean
    if rv.c50_db < c50_limit and fail("reverberant"):
        return report

    q["music"] = round(music.measure(x16, sp.segments), 3)
    if q["music"] > th.max_music and fail("background_music"):
        return report

    if nz.snr_db < th.min_snr_db and noise_like and fail("too_noisy"):
        return report

    spk = speakers.measure(x16, sp.segments, th.speaker_similarity)
    q["speakers"] = spk.speakers
    q["speaker_similarity"] = round(spk.block_similarity, 3)
    if q["speakers"] == 1 and voice_in_the_pauses(nz, rv, th):
        q["speakers"] = 2
    if q["speakers"] > 1 and fail("multiple_speakers"):
        return report

    lang = asr.result()
    q["language"], q["language_confidence"] = lang.language, round(lang.confidence, 3)
    q["asr_avg_logprob"] = round(lang.avg_logprob, 3)
    q["asr_compression_ratio"] = round(lang.compression_ratio, 2)
    q["asr_no_speech_prob"] = round(lang.no_speech_prob, 3)
    report.transcript = lang.transcript
    # Two voices at once: ASR follows neither and the embeddings wander. Judged before
    # the language rule, which would otherwise read the garble as a foreign language.
    if (q["speakers"] == 1 and lang.avg_logprob < th.overlap_max_asr_logprob
            and spk.block_similarity < th.overlap_speaker_similarity):
        q["speakers"] = 2
        if fail("multiple_speakers"):
            return report
    q["asr_worst_stretch_logprob"] = round(lang.worst_stretch_logprob, 3)
    if lang.confidence < th.min_english_confidence:
        if fail("non_english"):
            return report
    # English overall, but along one stretch tiny.en loses the words (a second voice over
    # part of the clip) while the waveform is more Gaussian than one voice's (two voices
    # add up). After the language rule, so foreign speech is never called a second voice.
    elif (q["speakers"] == 1 and lang.worst_stretch_logprob < th.overlap_max_worst_stretch_logprob
            and nz.wada_snr_db < th.overlap_max_wada_snr_db):
        q["speakers"] = 2
        fail("multiple_speakers")
    return report
