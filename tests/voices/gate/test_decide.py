"""The gate's decision as a pure function of its measurements: rules, order, evidence, warnings.

No model runs here, so these hold exactly on any CPU; the measurements are placed far
from every limit except the one a test is about.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from voices.gate import GateThresholds, logistic
from voices.gate.judge import QUALITY_FIELDS, decide
from voices.gate.messages import message

TH = GateThresholds()


def clean(**changes: Any) -> dict[str, Any]:
    """Measurements of an unremarkable clean clip, far from every limit."""
    q: dict[str, Any] = {
        "duration_s": 11.0, "speech_s": 9.5, "span_s": 10.2, "longest_silence_s": 0.5,
        "effective_bandwidth_hz": 12000.0, "clipped_fraction": 0.0, "level_spread_db": 4.0,
        "phrase_level_spread_db": 3.0, "snr_db": 45.0, "wada_snr_db": 40.0, "floor_spread_db": 20.0,
        "reverb_c50_db": 20.0, "reverb_t60_s": 0.15, "music": 0.0, "speakers": 1, "speaker_similarity": 0.93,
        "language": "en", "language_confidence": 0.99, "two_voice_score": 0.01,
    }
    q.update(changes)
    return q


def verdict(q: dict[str, Any], th: GateThresholds = TH, **kw: Any) -> str:
    failure, _ = decide(q, th, **kw)
    return failure.code if failure else "ok"


def test_a_clean_clip_passes_without_warnings() -> None:
    failure, warnings = decide(clean(), TH)
    assert failure is None and warnings == []


@pytest.mark.parametrize("change,code,measure", [
    ({"speech_s": 0.2}, "no_speech", "speech_s"),
    ({"span_s": 3.0}, "clip_too_short", "span_s"),
    ({"span_s": 22.0}, "clip_too_long", "span_s"),
    ({"effective_bandwidth_hz": 4000.0}, "insufficient_bandwidth", "effective_bandwidth_hz"),
    ({"clipped_fraction": 0.03}, "clipping", "clipped_fraction"),
    ({"longest_silence_s": 3.5}, "long_silence", "longest_silence_s"),
    ({"phrase_level_spread_db": 16.0}, "inconsistent_level", "phrase_level_spread_db"),
    ({"level_spread_db": 20.0}, "inconsistent_level", "level_spread_db"),
    ({"snr_db": 5.0, "floor_spread_db": 1.0}, "too_noisy", "snr_db"),
    ({"snr_db": 5.0, "wada_snr_db": 4.0, "floor_spread_db": 8.0}, "too_noisy", "snr_db"),
    ({"reverb_c50_db": 0.5}, "reverberant", "reverb_c50_db"),
    ({"music": 0.8}, "background_music", "music"),
    ({"speaker_similarity": 0.45}, "multiple_speakers", "speaker_similarity"),
    ({"two_voice_score": 0.99}, "multiple_speakers", "two_voice_score"),
    ({"language_confidence": 0.02}, "non_english", "language_confidence"),
])
def test_each_rule_fails_with_its_evidence(change: dict[str, Any], code: str, measure: str) -> None:
    q = clean(**change)
    failure, _ = decide(q, TH)
    assert failure is not None and failure.code == code
    ev = failure.evidence
    assert ev is not None and ev["measure"] == measure
    assert ev["value"] == pytest.approx(q[measure], abs=1e-3)
    assert isinstance(ev["limit"], float) and ev["limit"] != ev["value"]
    assert failure.message and "{" not in failure.message


def test_a_low_snr_over_an_unsteady_speech_shaped_floor_is_not_noise() -> None:
    """A real room: breaths, lip noise and room tone swing the floor by tens of dB and
    WADA reads speech, not Gaussian noise. Neither noise nor a second voice."""
    assert verdict(clean(snr_db=17.0, wada_snr_db=25.0, floor_spread_db=35.0)) == "ok"


def test_first_failing_rule_wins() -> None:
    q = clean(effective_bandwidth_hz=4000.0, clipped_fraction=0.05, music=0.9, language_confidence=0.0)
    assert verdict(q) == "insufficient_bandwidth"
    assert verdict(q, skip=("insufficient_bandwidth",)) == "clipping"


def test_a_long_pause_before_another_voice_is_a_turn() -> None:
    """A pause over the limit fails as long_silence, unless the embeddings say another
    person speaks on one side of it: then the second voice is what to fix."""
    assert verdict(clean(longest_silence_s=3.0)) == "long_silence"
    assert verdict(clean(longest_silence_s=3.0, speaker_similarity=0.6)) == "multiple_speakers"
    assert verdict(clean(longest_silence_s=3.0, speaker_similarity=0.6, clipped_fraction=0.05)) == "clipping"


def test_a_stretch_at_another_level_in_another_voice_is_a_turn() -> None:
    """A level swing fails as inconsistent_level, unless the embeddings say the stretch is
    another person (a turn 6 dB louder or softer): then the second voice is what to fix."""
    assert verdict(clean(phrase_level_spread_db=14.0)) == "inconsistent_level"
    assert verdict(clean(level_spread_db=16.0)) == "inconsistent_level"
    assert verdict(clean(speaker_similarity=0.6, phrase_level_spread_db=14.0)) == "multiple_speakers"
    assert verdict(clean(speaker_similarity=0.6, level_spread_db=16.0)) == "multiple_speakers"
    assert verdict(clean(speaker_similarity=0.6, level_spread_db=16.0, clipped_fraction=0.05)) == "clipping"
    # Not measured yet (the staged gate measures the embeddings first where the level swings).
    assert verdict(clean(speaker_similarity=None, phrase_level_spread_db=14.0)) == "inconsistent_level"


def test_missing_measurements_are_not_judged() -> None:
    """A stage not yet measured (None) applies no rule: the verdict so far is 'ok'."""
    q = dict.fromkeys(QUALITY_FIELDS)
    q.update(speech_s=9.0, span_s=10.0, longest_silence_s=0.4)
    assert verdict(q) == "ok"


def test_a_borderline_pass_carries_a_warning() -> None:
    limit = TH.speaker_similarity
    failure, warnings = decide(clean(speaker_similarity=limit + 0.01), TH)
    assert failure is None
    assert [w["measure"] for w in warnings] == ["speaker_similarity"]
    assert warnings[0]["limit"] == pytest.approx(limit)


def test_thresholds_move_the_verdict() -> None:
    q = clean(effective_bandwidth_hz=9500.0)
    assert verdict(q) == "insufficient_bandwidth"
    assert verdict(q, dataclasses.replace(TH, min_bandwidth_hz=9000.0)) == "ok"


def test_the_scores_are_probabilities_that_move_the_right_way() -> None:
    """Typical cue values of one English reader, two voices at once and a foreign reader."""
    one = clean(asr_avg_logprob=-0.25, asr_worst_stretch_logprob=-0.3, asr_words_per_s=2.8,
                asr_tokens_per_word=1.15, asr_compression_ratio=1.4)
    two = clean(speaker_similarity=0.70, wada_snr_db=12.0, snr_db=16.0, asr_avg_logprob=-0.9,
                asr_worst_stretch_logprob=-1.8, asr_words_per_s=2.0, asr_tokens_per_word=1.3)
    foreign = clean(asr_avg_logprob=-1.4, asr_worst_stretch_logprob=-3.0, asr_words_per_s=1.2,
                    asr_tokens_per_word=2.2, asr_compression_ratio=1.2)
    assert logistic.two_voice_score(one, TH) < TH.max_two_voice_score < logistic.two_voice_score(two, TH)
    assert 1 - logistic.foreign_score(one, TH) > TH.min_english_confidence > 1 - logistic.foreign_score(foreign, TH)
    for q in (one, two, foreign, {}):
        assert 0.0 < logistic.two_voice_score(q, TH) < 1.0 and 0.0 < logistic.foreign_score(q, TH) < 1.0


def test_every_code_has_a_message() -> None:
    for code in ("no_speech", "insufficient_bandwidth", "clip_too_short", "clip_too_long", "clipping",
                 "inconsistent_level", "long_silence", "too_noisy", "background_music", "reverberant",
                 "multiple_speakers", "non_english"):
        text = message(code, {**TH.__dict__, **clean(), "span_s": 3.0, "clipped_pct": 2.0, "level_swing_db": 15.0})
        assert text and "{" not in text, code
