"""Kokoro as a second base voice: its readings, and the choice of base voice per clip."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from tests.voices.made_up_speakers import made_up_speaker
from voices import base_voice, kokoro, phones, world
from voices.profile import VoiceProfile, build_profile
from voices.synthesis import OUTPUT_RATE, ClonedVoice, base_reading, piper_audio, synthesize_stream

TRANSCRIPT = (
    "Please call Stella and ask her to bring these things with her from the store: "
    "six spoons of fresh snow peas and five thick slabs of blue cheese."
)


def _median_f0(x: np.ndarray) -> float:
    return base_voice.median_f0(world.analyze(x))


def test_espeak_ipa_is_spelled_as_kokoro_learned_it() -> None:
    assert kokoro.to_kokoro_ipa("hˈaɪ ðˈeɪɹ") == "hˈI ðˈAɹ"
    assert kokoro.to_kokoro_ipa("bˈɜːtʃ dʒˈɔɪ ɡˈoʊ nˈaʊ") == "bˈɜʧ ʤˈY ɡˈO nˈW"
    # Piper's phonemizer, then Kokoro's spelling: every symbol is in the model's vocabulary.
    ipa = "".join(kokoro.phonemes("The juice of lemons makes fine punch."))
    assert "ː" not in ipa and "I" in ipa
    assert kokoro.unknown_symbols(ipa) == set()


def test_long_phoneme_runs_are_cut_at_word_gaps() -> None:
    vocab = {"a": 1, " ": 2}
    runs = kokoro._tokens(" ".join(["aaaa"] * 300), vocab)
    assert len(runs) > 1
    assert all(len(r) <= 500 for r in runs)
    assert sum(r.count(1) for r in runs) == 1200


def test_kokoro_reads_english_at_the_output_rate() -> None:
    text = "Glue the sheet to the dark blue background."
    x, labels = kokoro.reading(text, "kokoro:jf_alpha")
    assert x.dtype == np.float32 and 0.3 < np.max(np.abs(x)) <= 1.0
    assert 1.0 < len(x) / kokoro.RATE < 6.0
    # No phone durations come out of the model: no labels, so the per-phone correction is off.
    assert labels.shape == x.shape and np.all(labels == phones.NO_PHONE)
    faster, _ = kokoro.reading(text, "kokoro:jf_alpha", speed=2.0)
    assert len(faster) < 0.75 * len(x)
    # The female style speaks well above Piper's male voice.
    assert _median_f0(x) > 1.4 * _median_f0(piper_audio(text))


def test_unknown_kokoro_voice_is_refused() -> None:
    with pytest.raises(ValueError, match="Kokoro"):
        kokoro.reading("Hello there.", "kokoro:af_nobody")
    with pytest.raises(ValueError, match="base voice mode"):
        base_voice.choose(200.0, "loud")


def test_base_voice_is_chosen_from_the_clips_pitch() -> None:
    assert base_voice.choose(210.0, "piper") == base_voice.PIPER
    assert base_voice.choose(110.0, "auto") == base_voice.PIPER
    assert base_voice.choose(110.0, "kokoro") == "kokoro:" + kokoro.MALE_STYLE
    high, low = base_voice.choose(300.0, "auto"), base_voice.choose(170.0, "auto")
    assert {high, low} <= {"kokoro:" + s for s in kokoro.FEMALE_STYLES}
    # Nearest in F0: a higher clip never gets a lower-pitched style.
    assert base_voice.style_f0(kokoro.style_of(high)) >= base_voice.style_f0(kokoro.style_of(low))


@cache
def _female_clip() -> np.ndarray:
    """A speaker far above the base voice: Piper at 1.9x its pitch, formants up 15 %."""
    return made_up_speaker(TRANSCRIPT, 1.9, 1.15)


def test_high_voice_enrolled_on_auto_converts_kokoro(monkeypatch: pytest.MonkeyPatch) -> None:
    clip = _female_clip()
    p = build_profile(clip, OUTPUT_RATE, transcript=TRANSCRIPT, base_voice="auto", embed=False)
    assert kokoro.is_kokoro(p.base_voice)
    # The voice converts a Kokoro reading, from a profile read back from storage too.
    q = VoiceProfile.from_bytes(p.to_bytes())
    assert q.base_voice == p.base_voice
    voices: list[str] = []

    def counting(voice: str, text: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        voices.append(voice)
        return base_reading(voice, text, speed)

    import voices.synthesis as synthesis

    monkeypatch.setattr(synthesis, "base_reading", counting)
    out = np.concatenate(list(synthesize_stream("Thanks for calling. We will be right back.", ClonedVoice(q))))
    assert voices and set(voices) == {p.base_voice}
    assert np.all(np.isfinite(out)) and np.max(np.abs(out)) > 0.05
    assert _median_f0(out) == pytest.approx(np.exp(q.target.lf0_mean), rel=0.25)


def test_profiles_without_a_base_voice_are_pipers() -> None:
    clip = _female_clip()
    p = build_profile(clip, OUTPUT_RATE, transcript=TRANSCRIPT, embed=False)
    assert "base_voice" not in p.extras and p.base_voice == base_voice.PIPER
