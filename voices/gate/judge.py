"""The judge: measures the clip in stages, cheap first, and decides from the measurements.

Measuring and deciding are separate. :func:`measure` fills the quality dict stage by
stage (VAD ~40 ms; bandwidth, clipping, level ~10-60 ms; noise, reverb, music; speaker
embeddings and the overlap detector ~150 ms; ASR ~400 ms). :func:`decide` is a pure
function of that dict and the thresholds: the first rule that fails, in a fixed order,
gives the verdict, with its evidence (which measurement decided, its value and the
limit). After each stage the rules so far are applied, and a failing clip stops there;
the rules follow the stages' order, so the verdict is the same as if everything had been
measured (``full=True``, which the bench uses to re-decide offline under other thresholds).

Two voices are called from the speaker embeddings (a turn: one block of the clip unlike
the rest) or, when they speak at once, from a small logistic model over cues that two
summed voices move together (:mod:`voices.gate.logistic`), the strongest of them a
detector trained to hear two harmonic combs at once (:mod:`voices.gate.overlap`), and
the language from a second such model over what tiny.en made of the speech. Reverb and music are judged
before noise because both fill the pauses that the minimum-statistics SNR relies on;
noise is called only when the floor is steady or the waveform statistics say "Gaussian
floor" (see noise.py), which keeps a second talker from reading as noise. Music comes
before reverb: a bed slows the apparent decays as a room does, a room holds no chords. Two voices are
judged before the language: both make tiny.en unsure, and only summed voices also leave
their mark on the waveform and the embeddings.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

import numpy as np
from scipy.signal import butter, sosfiltfilt

from api_contract import QUALITY_FIELDS  # API.md's Voice.quality, always present once measured
from voices.gate import bandwidth, clipping, language, level, logistic, music, noise, overlap, reverb, speakers, vad
from voices.gate.dsp import ANALYSIS_RATE, to_analysis_rate
from voices.gate.messages import message
from voices.gate.report import Failure, GateReport
from voices.gate.thresholds import GateThresholds
from voices.inline import InlineExecutor

# Below this much detected speech there is nothing to judge (a cough, a click).
_MIN_SPEECH_FOUND_S = 0.5
_MAX_RATE = 48000
# A passing clip this close to a limit passes with a warning in `quality.warnings`
# (the measurement, its value and the limit), so the user knows what to improve.
_BORDERLINE = {
    "effective_bandwidth_hz": 1000.0, "clipped_fraction": 0.002, "longest_silence_s": 0.3,
    "phrase_level_spread_db": 1.5, "level_spread_db": 1.5, "snr_db": 3.0, "reverb_c50_db": 1.5,
    "music": 0.1, "speaker_similarity": 0.03, "two_voice_score": 0.2, "language_confidence": 0.2,
}



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


def floor_reading(q: dict[str, Any], th: GateThresholds) -> tuple[bool, bool]:
    """(noise_like, steady) of the floor, which arbitrate the noise and reverb rules.

    The WADA estimate tells a noise floor (Gaussian) from speech-shaped energy (a second
    talker, room tone with breaths), and the floor's steadiness tells stationary noise
    from anything that comes and goes. A floor that swings by more than even babble of
    many talkers does is not noise, though its amplitudes may look Gaussian to WADA."""
    noise_like = (q["wada_snr_db"] < th.noise_wada_snr_db
                  and q["floor_spread_db"] < th.max_noise_floor_spread_db)
    return noise_like, q["floor_spread_db"] < th.max_steady_floor_spread_db


def level_swings(q: dict[str, Any], th: GateThresholds) -> bool:
    """Whether either level measure is over its limit (a turn, or one stretch too loud or soft)."""
    return bool(q["phrase_level_spread_db"] > th.max_phrase_level_spread_db
                or q["level_spread_db"] > th.max_level_spread_db)


class _Decision:
    """Collects the first failure and the near misses of the rules applied so far."""

    def __init__(self, q: dict[str, Any], th: GateThresholds, extra: dict[str, Any]) -> None:
        self.q, self.th, self.extra = q, th, extra
        self.failure: Failure | None = None
        self.warnings: list[dict[str, Any]] = []

    def rule(self, code: str, measure: str, value: float, limit: float, bad: bool, *,
             above: bool, warn: bool = True) -> bool:
        """Apply one rule: `value` must stay below (`above=True`) or above `limit`."""
        if self.failure is not None:
            return True
        evidence = {"measure": measure, "value": _round(value), "limit": _round(limit)}
        if bad:
            values = {**self.th.__dict__, **{k: v for k, v in self.q.items() if v is not None}, **self.extra}
            self.failure = Failure(code, message(code, values), evidence)
            return True
        near = (limit - value if above else value - limit) < _BORDERLINE.get(measure, 0.0)
        if warn and near:
            self.warnings.append({**evidence, "code": code})
        return False


def _round(v: float) -> float:
    return round(float(v), 4 if abs(v) < 1 else 2)


def decide(q: dict[str, Any], th: GateThresholds, *, skip: Iterable[str] = (),
           extra: dict[str, Any] | None = None) -> tuple[Failure | None, list[dict[str, Any]]]:
    """The verdict on measurements `q`: the first failing rule (with evidence) and the near misses.

    A rule whose measurement is missing (not measured yet) is not applied. `skip` names
    failure codes to set aside (the bench judges 16 kHz corpus clips without the
    bandwidth rule, which they fail by design)."""
    extra = {"span_s": q.get("span_s", 0.0), "clipped_pct": 100.0 * (q.get("clipped_fraction") or 0.0),
             "level_swing_db": max(q.get("level_spread_db") or 0.0, q.get("phrase_level_spread_db") or 0.0),
             **(extra or {})}
    d = _Decision(q, th, extra)
    skipped = set(skip)

    def has(*keys: str) -> bool:
        return all(q.get(k) is not None for k in keys)

    def rule(code: str, *args: Any, **kw: Any) -> None:
        if code not in skipped:
            d.rule(code, *args, **kw)

    def another_voice(warn: bool = True) -> None:
        """The turn rule: one block of the clip unlike the rest (speakers.py)."""
        sim = q["speaker_similarity"]
        rule("multiple_speakers", "speaker_similarity", sim, th.speaker_similarity, sim < th.speaker_similarity,
             above=False, warn=warn)

    if q.get("speech_s") is not None and q["speech_s"] < _MIN_SPEECH_FOUND_S:
        rule("no_speech", "speech_s", q["speech_s"], _MIN_SPEECH_FOUND_S, True, above=False)
    if has("span_s") and d.failure is None:
        lo, hi = th.min_speech_s - th.span_tolerance_s, th.max_speech_s + th.span_tolerance_s
        rule("clip_too_short", "span_s", q["span_s"], lo, q["span_s"] < lo, above=False, warn=False)
        rule("clip_too_long", "span_s", q["span_s"], hi, q["span_s"] > hi, above=True, warn=False)
    if has("effective_bandwidth_hz"):
        bw = q["effective_bandwidth_hz"]
        rule("insufficient_bandwidth", "effective_bandwidth_hz", bw, th.min_bandwidth_hz,
             bw < th.min_bandwidth_hz, above=False)
    if has("clipped_fraction"):
        cf = q["clipped_fraction"]
        rule("clipping", "clipped_fraction", cf, th.max_clipped_fraction, cf > th.max_clipped_fraction, above=True)
    if has("longest_silence_s"):
        ls = q["longest_silence_s"]
        if ls > th.max_silence_s and has("speaker_similarity"):
            # A long pause with another voice after it is where a second person took a
            # turn: that voice is the fault to fix first, not the pause.
            another_voice(warn=False)
        rule("long_silence", "longest_silence_s", ls, th.max_silence_s, ls > th.max_silence_s, above=True)
    if has("level_spread_db", "phrase_level_spread_db"):
        ph, lv = q["phrase_level_spread_db"], q["level_spread_db"]
        if level_swings(q, th) and has("speaker_similarity"):
            # A stretch at another level that is also another voice is a turn by a second
            # person, louder or softer: that voice is the fault to fix, as after a long pause.
            another_voice(warn=False)
        rule("inconsistent_level", "phrase_level_spread_db", ph, th.max_phrase_level_spread_db,
             ph > th.max_phrase_level_spread_db, above=True)
        rule("inconsistent_level", "level_spread_db", lv, th.max_level_spread_db, lv > th.max_level_spread_db,
             above=True)
    if has("snr_db", "wada_snr_db", "floor_spread_db"):
        noise_like, steady = floor_reading(q, th)
        snr = q["snr_db"]
        # Pauses filled to within 20 dB of the speech by a floor that does not move: noise,
        # whatever its spectrum. Judged before reverb, whose decays it would slow.
        rule("too_noisy", "snr_db", snr, th.min_snr_db, snr < th.min_snr_db and steady, above=False, warn=steady)
        # Music before reverb: a bed under the speech slows the apparent decays as a room
        # does (C50 down to ~6 dB), while a room's tail holds no chords (music <= 0.24).
        if has("music"):
            rule("background_music", "music", q["music"], th.max_music, q["music"] > th.max_music, above=True)
        if has("reverb_c50_db"):
            # Only a stationary Gaussian floor slows the apparent decays: only then the lenient limit.
            c50_limit = th.min_c50_db if noise_like and steady else th.min_c50_db_clean
            c50 = q["reverb_c50_db"]
            rule("reverberant", "reverb_c50_db", c50, c50_limit, c50 < c50_limit, above=False)
        rule("too_noisy", "snr_db", snr, th.min_snr_db, snr < th.min_snr_db and noise_like, above=False,
             warn=noise_like)
    if has("speaker_similarity"):
        another_voice()
    if has("two_voice_score"):
        p = q["two_voice_score"]
        rule("multiple_speakers", "two_voice_score", p, th.max_two_voice_score, p > th.max_two_voice_score,
             above=True)
    if has("language_confidence"):
        c = q["language_confidence"]
        rule("non_english", "language_confidence", c, th.min_english_confidence, c < th.min_english_confidence,
             above=False)
    return d.failure, d.warnings


def measure(samples: np.ndarray, sample_rate: int, thresholds: GateThresholds | None = None, *,
            asr_model: str | None = None, full: bool = False, models: bool = True,
            skip: Iterable[str] = (), executor: Executor | None = None) -> GateReport:
    """Measure a clip (stopping at the first failure unless `full`) and decide.

    `models=False` stops before the speaker embeddings and the ASR (the bench judges clips
    that a DSP rule must reject that way: the verdict on those is the same); `skip` sets
    failure codes aside as in :func:`decide`."""
    th = thresholds or GateThresholds()
    q: dict[str, Any] = dict.fromkeys(QUALITY_FIELDS)
    report = GateReport(quality=q)

    def settle() -> bool:
        """Decide on what is measured; True when a failure ends the measuring."""
        report.failure, warnings = decide(q, th, skip=skip)
        if warnings:
            q["warnings"] = warnings
        else:
            q.pop("warnings", None)
        return report.failure is not None and not full

    raw, rate = _prepare(samples, sample_rate)
    q["duration_s"] = round(len(raw) / rate, 3) if rate > 0 else 0.0
    if rate < 1000 or len(raw) < rate // 10 or float(np.max(np.abs(raw), initial=0.0)) < 1e-5:
        q["speech_s"] = 0.0
        settle()
        return report
    x = _highpass(raw, rate)
    x16 = to_analysis_rate(x, rate)

    sp = vad.measure(x16)
    q["speech_s"] = round(sp.speech_s, 2)
    report.speech_start_s, report.speech_end_s = round(sp.start_s, 3), round(sp.end_s, 3)
    if sp.speech_s < _MIN_SPEECH_FOUND_S:
        settle()
        return report
    q["span_s"] = round(sp.span_s, 2)
    q["longest_silence_s"] = round(sp.longest_silence_s, 2)
    if models and sp.longest_silence_s > th.max_silence_s:
        measure_speakers(q, x16, sp.segments, th)  # a turn is judged before the pause (decide)
    if settle():
        return report
    q["effective_bandwidth_hz"] = round(bandwidth.measure(x, rate, sp.segments))
    q["clipped_fraction"] = round(clipping.measure(raw), 5)
    q["level_spread_db"] = round(level.measure(x16, sp.segments), 1)
    q["phrase_level_spread_db"] = round(level.phrase_spread(x16, sp.segments), 1)
    if models and level_swings(q, th) and q.get("speaker_similarity") is None:
        measure_speakers(q, x16, sp.segments, th)  # a turn is judged before the level (decide)
    if settle():
        return report

    # The ASR is the slowest check and runs in ``executor``'s thread if given (CTranslate2
    # releases the GIL), so once the cheap checks have passed it can start beside the
    # remaining DSP and embedding checks; the default runs it here, in turn.
    lo = max(0, int((sp.start_s - 0.2) * ANALYSIS_RATE))
    hi = min(len(x16), int((sp.end_s + 0.2) * ANALYSIS_RATE))
    asr = ((executor or InlineExecutor()).submit(language.measure, x16[lo:hi], sp.speech_s, asr_model)
           if models else None)

    nz = noise.measure(x16, sp.segments)
    q["snr_db"], q["wada_snr_db"] = round(nz.snr_db, 1), round(nz.wada_snr_db, 1)
    q["floor_spread_db"] = round(nz.floor_spread_db, 2)
    rv = reverb.measure(x16)
    q["reverb_c50_db"], q["reverb_t60_s"] = round(rv.c50_db, 1), round(rv.t60_s, 2)
    q["music"] = round(music.measure(x16, sp.segments), 3)
    if settle() or asr is None:
        return report

    if q.get("speaker_similarity") is None:
        measure_speakers(q, x16, sp.segments, th)
    if settle():
        return report

    lang = asr.result()
    report.transcript = lang.transcript
    q.update(asr_cues(lang))
    scores(q, th)
    settle()
    return report


def measure_speakers(q: dict[str, Any], x16: np.ndarray, segments: list[tuple[float, float]],
                     th: GateThresholds) -> None:
    """The speaker embeddings' cues and the overlap detector's score."""
    spk = speakers.measure(x16, segments, th.speaker_similarity)
    q["speakers"] = spk.speakers
    q["speaker_similarity"] = round(spk.block_similarity, 3)
    q["speaker_coherence"] = round(spk.coherence, 3)
    q["overlap_score"] = round(overlap.measure(speakers.speech_only(x16, segments)), 3)


def asr_cues(lang: language.LanguageMeasurement) -> dict[str, Any]:
    """What tiny.en made of the clip, as the quality fields the late rules read."""
    return {
        "asr_avg_logprob": round(lang.avg_logprob, 3),
        "asr_compression_ratio": round(lang.compression_ratio, 2),
        "asr_no_speech_prob": round(lang.no_speech_prob, 3),
        "asr_worst_stretch_logprob": round(lang.worst_stretch_logprob, 3),
        "asr_words_per_s": round(lang.words_per_s, 2),
        "asr_tokens_per_word": round(lang.tokens_per_word, 3),
    }


def scores(q: dict[str, Any], th: GateThresholds) -> None:
    """The two logistic scores from the measured cues, and what they say in the public fields."""
    q["two_voice_score"] = round(logistic.two_voice_score(q, th), 3)
    if q["two_voice_score"] > th.max_two_voice_score:
        q["speakers"] = 2
    q["language_confidence"] = round(1.0 - logistic.foreign_score(q, th), 3)
    q["language"] = "en" if q["language_confidence"] >= th.min_english_confidence else "und"


# The public name (voices.gate.evaluate): judging an enrollment clip is measuring it and
# deciding; the verdict is the same with `full`.
evaluate = measure
