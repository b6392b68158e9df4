"""Streaming synthesis: stock and cloned voices, laziness, and input validation."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import pytest
import pyworld as pw

from tests.voices.made_up_speakers import made_up_speaker
from voices import caricature, conversion, loudness, synthesis, world
from voices.conversion_options import ConversionOptions
from voices.profile import VoiceProfile, build_profile
from voices.synthesis import OUTPUT_RATE, ClonedVoice, piper_audio, synthesize_stream

TRANSCRIPT = (
    "Please call Stella and ask her to bring these things with her from the store: "
    "six spoons of fresh snow peas and five thick slabs of blue cheese."
)
TEXT = "The meeting moved to Thursday. Dr. Lee will call you at 2 PM. Thanks!"
# The default before the high-band caricature and the average speaker (what the
# per-phone and hybrid tests below were measured with).
EARLIER = ConversionOptions(timbre_ridge=3.0, caricature_high=0.25, caricature_from_average=False)


@cache
def profile() -> VoiceProfile:
    """A clone of a made-up speaker: Piper lowered to 70% of its pitch."""
    y = made_up_speaker(TRANSCRIPT, 0.7)
    return build_profile(y, OUTPUT_RATE, transcript=TRANSCRIPT)


def _median_f0(x: np.ndarray) -> float:
    f0 = world.analyze(x).f0
    return float(np.median(f0[f0 > 0]))


def test_stock_voice_streams_one_chunk_per_sentence() -> None:
    chunks = list(synthesize_stream(TEXT, None))
    assert len(chunks) == 3
    for c in chunks:
        assert c.dtype == np.float32 and c.ndim == 1 and len(c) > OUTPUT_RATE // 4
        assert np.max(np.abs(c)) <= 1.0


def test_cloned_voice_takes_the_speakers_pitch() -> None:
    base = np.concatenate(list(synthesize_stream(TEXT, None)))
    clone = np.concatenate(list(synthesize_stream(TEXT, ClonedVoice(profile()))))
    assert np.all(np.isfinite(clone))
    # Piper's prosody varies from call to call, so compare to the learned level, and
    # only coarsely to this particular base rendering.
    assert _median_f0(clone) == pytest.approx(np.exp(profile().target.lf0_mean), rel=0.25)
    assert _median_f0(clone) < 0.9 * _median_f0(base)
    # Same words, same timing: conversion does not change the length.
    assert len(clone) == pytest.approx(len(base), rel=0.15)


def test_cloned_voice_from_stored_profile() -> None:
    p = VoiceProfile.from_bytes(profile().to_bytes())
    chunks = list(synthesize_stream("Hello there.", ClonedVoice(p)))
    assert len(chunks) == 1 and chunks[0].dtype == np.float32


@pytest.fixture
def piper_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts Piper is asked to read, in order (the real Piper still reads them)."""
    calls: list[str] = []
    real = synthesis.piper_reading

    def counting(text: str, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        calls.append(text)
        return real(text, speed)

    monkeypatch.setattr(synthesis, "piper_reading", counting)
    return calls


def test_stream_is_lazy(piper_calls: list[str]) -> None:
    calls = piper_calls
    stream = synthesize_stream("One. Two. Three. Four. Five.", None)
    assert calls == []
    next(stream)
    assert len(calls) == 1
    stream.close()
    assert len(calls) == 1


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_speed_changes_duration(speed: float) -> None:
    text = "This sentence is read at two speeds."
    normal = sum(len(c) for c in synthesize_stream(text, None))
    fast = sum(len(c) for c in synthesize_stream(text, None, speed))
    # Not exactly 1/speed: Piper's pauses and edges do not scale fully.
    if speed > 1:
        assert fast / normal < 0.8
    else:
        assert fast / normal > 1.4


@pytest.mark.parametrize("speed", [0.0, 0.2, 4.5, float("nan")])
def test_speed_out_of_range(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        synthesize_stream("Hello.", None, speed)


@pytest.mark.parametrize("text", ["", "   ", "?!...", "🙂🙂", "a" * 5000])
def test_bad_text_raises_before_any_audio(text: str) -> None:
    with pytest.raises(ValueError):
        synthesize_stream(text, None)


def test_numbers_and_abbreviations_are_spoken() -> None:
    chunks = list(synthesize_stream("It costs $3.50.", None))
    # "three dollars and fifty cents" is well over a second of speech.
    assert sum(len(c) for c in chunks) > OUTPUT_RATE


@pytest.mark.parametrize(
    "options",
    [
        ConversionOptions(),
        ConversionOptions(caricature_from_average=False),
        EARLIER,
        ConversionOptions(linear_map=False, phone_correction=False),
        ConversionOptions(warp=False, linear_map=False, phone_correction=False, hybrid_unvoiced=False),
        ConversionOptions(caricature=0.0, caricature_high=0.0, caricature_from_average=False),
    ],
)
def test_every_conversion_gives_clean_audio(options: ConversionOptions) -> None:
    p = profile()
    x, labels = synthesis.piper_reading("Good morning.")
    audio = conversion.convert(x, p.source, p.target, p.extras, options, phones=labels)
    assert audio.dtype == np.float32 and len(audio) > OUTPUT_RATE // 4
    assert np.all(np.isfinite(audio)) and np.max(np.abs(audio)) < 10


def test_stream_reads_at_most_one_piece_ahead(piper_calls: list[str]) -> None:
    calls = piper_calls
    stream = synthesize_stream("One. Two. Three. Four. Five.", None)
    next(stream)
    next(stream)
    assert 2 <= len(calls) <= 3
    stream.close()
    assert len(calls) <= 3
    assert calls == ["One.", "Two.", "Three."][: len(calls)]


def test_halves_join_back_into_the_whole() -> None:
    x = piper_audio("Your appointment is confirmed for Thursday.")
    seen: list[int] = []

    def identity(part: slice) -> np.ndarray:
        seen.append(len(x[part]))
        return x[part].copy()

    halves = conversion.convert_in_halves(x, identity)
    first = next(halves)
    assert len(seen) == 1  # the first half leaves before the second is converted
    joined = np.concatenate([first, *halves])
    assert len(seen) == 2 and len(joined) == len(x)
    assert np.allclose(joined, x, atol=1e-6)
    assert 0.3 * len(x) < len(first) < 0.7 * len(x)


def test_cloned_voice_starts_fast_only_when_asked() -> None:
    fast = list(synthesize_stream(TEXT, ClonedVoice(profile())))
    plain = list(synthesize_stream(TEXT, ClonedVoice(profile()), fast_start=False))
    assert len(plain) == 3 and len(fast) == 4  # the first sentence comes in two halves
    # The halves are one level and one sentence long, like the whole.
    first = np.concatenate(fast[:2])
    assert len(first) == pytest.approx(len(plain[0]), rel=0.15)
    rms = [_speech_rms(c) for c in fast[:2]]
    assert 0.5 < rms[0] / rms[1] < 2.0  # measured 1.09-1.46: speech declines toward the end
    assert np.max(np.abs(first)) <= loudness.PEAK + 1e-6


def _speech_rms(x: np.ndarray) -> float:
    """RMS over the 20 ms blocks within 40 dB of the loudest: the level of the speech,
    not of the pauses around it."""
    n = len(x) // 480
    e = np.mean(x[: n * 480].reshape(n, 480) ** 2, axis=1)
    return float(np.sqrt(e[e > e.max() * 1e-4].mean()))


def test_coarse_aperiodicity_stays_close_to_full_rate() -> None:
    x = piper_audio("Please hold while I check that for you.").astype(np.float64)
    f0, t = pw.dio(x, world.RATE, f0_floor=world.F0_FLOOR, f0_ceil=world.F0_CEIL,
                   frame_period=world.FRAME_MS)
    f0 = pw.stonemask(x, f0, t, world.RATE)
    full = pw.code_aperiodicity(pw.d4c(x, f0, t, world.RATE), world.RATE)
    coarse = world.coarse_aperiodicity(x, f0, t)
    v = f0 > 0
    assert coarse.shape == full.shape
    assert float(np.abs(coarse - full)[v].mean()) < 1.0
    assert np.all(coarse[~v] == 0.0)


def test_linear_correction_fits_the_enrollment_pairs() -> None:
    """On the aligned pairs it was fitted on, the ridge map brings the base voice's frames
    closer to the speaker's than mean/variance mapping alone, and a huge ridge weight
    shrinks it back to mean/variance plus the mean residual."""
    p = profile()
    src = conversion.Stats.from_arrays(p.extras, "srcw_")
    ps = p.extras["pair_srcw"].astype(np.float64)
    pt = p.extras["pair_tgt"].astype(np.float64)
    feats = world.Features(f0=np.full(len(ps), 100.0), mcep=ps, cap=np.zeros((len(ps), 3)), fft_size=1024)
    mapped = conversion.map_mcep(ps, np.ones(len(ps), bool), src, p.target)
    err = lambda m: float(np.mean((m[:, 1:] - pt[:, 1:]) ** 2))  # noqa: E731
    lr = conversion.map_linear(feats, mapped, src, p.target, p.extras, lam=0.1)
    assert err(lr) < 0.9 * err(mapped)
    stiff = conversion.map_linear(feats, mapped, src, p.target, p.extras, lam=1e9)
    shift = (pt[:, 1:] - mapped[:, 1:]).mean(0)
    assert np.allclose(stiff[:, 1:], mapped[:, 1:] + shift, atol=1e-3)
    # lrh: the timbre band gets its own ridge weight, the formant band keeps lam's.
    t = conversion.TIMBRE_FROM
    split = conversion.map_linear(feats, mapped, src, p.target, p.extras, lam=1e9, lam_timbre=0.1)
    assert np.allclose(split[:, 1:t], stiff[:, 1:t])
    assert np.allclose(split[:, t:], lr[:, t:])


def test_exaggeration_carries_each_frame_further_along_its_own_conversion() -> None:
    rng = np.random.default_rng(0)
    plain = rng.normal(size=(50, 40))
    mapped = plain + rng.normal(size=(50, 40))
    out = caricature.exaggerate(plain, mapped, 0.25)
    assert np.allclose(out[:, 0], mapped[:, 0])  # the frame level stays the mapped one
    assert np.allclose(out[:, 1:] - plain[:, 1:], 1.25 * (mapped[:, 1:] - plain[:, 1:]))
    assert np.allclose(caricature.exaggerate(plain, mapped, 0.0), mapped)


def test_high_band_gets_its_own_exaggeration() -> None:
    """exh: the log-spectral difference is carried (1 + beta_high) further above the band
    edge and (1 + beta) below it; with equal factors it is the plain caricature."""
    rng = np.random.default_rng(1)
    plain = rng.normal(size=(30, 40)) * 0.3
    mapped = plain + rng.normal(size=(30, 40)) * 0.05
    assert np.allclose(caricature.exaggerate(plain, mapped, 0.25, 0.25), caricature.exaggerate(plain, mapped, 0.25))
    out = caricature.exaggerate(plain, mapped, 0.25, 0.75)
    assert np.allclose(out[:, 0], mapped[:, 0])
    log_sp = lambda m: np.log(pw.decode_spectral_envelope(np.ascontiguousarray(m), world.RATE, 1024))  # noqa: E731
    base, conv, car = log_sp(plain), log_sp(mapped), log_sp(out)
    f = np.linspace(0, world.RATE / 2, base.shape[1])
    for lo, hi, factor in [(200, caricature.HIGH_BAND_HZ - 800, 1.25), (caricature.HIGH_BAND_HZ + 800, 10000, 1.75)]:
        band = (f > lo) & (f < hi)
        gain = np.sum((car - base)[:, band] * (conv - base)[:, band]) / np.sum((conv - base)[:, band] ** 2)
        assert abs(gain - factor) < 0.1, (lo, hi, gain)


def test_phone_correction_brings_each_phone_closer_to_the_speaker() -> None:
    """On the enrollment pairs, adding each phone's own mean residual to the ``lr`` map
    lowers the error to the speaker's frames; a phone the clip lacks, or a prior so
    strong no phone is trusted, leaves the ``lr`` map as it was."""
    p = profile()
    src = conversion.Stats.from_arrays(p.extras, "srcw_")
    ps = p.extras["pair_srcw"].astype(np.float64)
    pt = p.extras["pair_tgt"].astype(np.float64)
    labels = p.extras["pair_phone"].astype(np.int64)
    assert len(labels) == len(ps) and len(np.unique(labels)) >= 15  # the transcript's phones
    voiced = np.ones(len(ps), bool)
    feats = world.Features(f0=np.full(len(ps), 100.0), mcep=ps, cap=np.zeros((len(ps), 3)), fft_size=1024)
    mapped = conversion.map_mcep(ps, voiced, src, p.target)
    lr = conversion.map_linear(feats, mapped, src, p.target, p.extras, lam=3.0)
    ph = conversion.map_phones(mapped, labels, voiced, p.extras, src, p.target, lam=3.0, prior=4.0)
    err = lambda m: float(np.mean((m[:, 1:] - pt[:, 1:]) ** 2))  # noqa: E731
    assert err(ph) < 0.95 * err(lr)
    none = conversion.map_phones(mapped, labels, voiced, p.extras, src, p.target, lam=3.0, prior=1e12)
    assert np.allclose(none, lr, atol=1e-6)
    unseen = conversion.map_phones(mapped, np.full(len(ps), 999), voiced, p.extras, src, p.target, lam=3.0)
    assert np.allclose(unseen, lr, atol=1e-9)


def test_hybrid_rendering_keeps_a_burst_where_piper_put_it() -> None:
    """A stop's burst in an unvoiced stretch: WORLD rebuilds unvoiced sound from noise on
    a 10 ms grid and loses or smears it; ``+hyb`` filters Piper's own samples there, so
    the burst stays, as short as it was (the word endings the ASR lost: "walked" heard
    as "walks")."""
    p = profile()
    speech = piper_audio("Good morning.")
    gap = np.zeros(int(0.25 * OUTPUT_RATE), np.float32)
    burst = (0.3 * np.random.default_rng(1).normal(size=int(0.002 * OUTPUT_RATE))).astype(np.float32)
    x = np.concatenate([speech, gap, burst, gap])
    at = len(speech) + len(gap) + len(burst) // 2
    near = slice(at - 72, at + 72)  # ±3 ms

    def kept(options: ConversionOptions) -> tuple[float, float]:
        y = conversion.convert(x, p.source, p.target, p.extras, options).astype(np.float64)
        energy = np.sum(y[near] ** 2)
        around = np.sum(y[at - 960 : at + 960] ** 2)  # ±40 ms
        return float(energy / np.sum(x[near].astype(np.float64) ** 2)), float(energy / around)

    energy, concentration = kept(EARLIER)
    assert 0.5 < energy < 2.0 and concentration > 0.9  # all there, within ±3 ms of ±40 ms
    energy, concentration = kept(replace(EARLIER, hybrid_unvoiced=False))
    assert energy < 0.1 or concentration < 0.6  # measured: lost (~0) or smeared (~0.4)


def test_phone_labels_reach_the_conversion() -> None:
    """The same reading converted with and without Piper's phone labels: the per-phone
    correction changes the audio (and the conversion is otherwise deterministic)."""
    p = profile()
    x, labels = synthesis.piper_reading("Please call Stella and ask her to bring these things.")
    with_phones = conversion.convert(x, p.source, p.target, p.extras, EARLIER, phones=labels)
    again = conversion.convert(x, p.source, p.target, p.extras, EARLIER, phones=labels)
    without = conversion.convert(x, p.source, p.target, p.extras, EARLIER)
    assert np.array_equal(with_phones, again)
    rel = np.sqrt(np.mean((with_phones - without) ** 2) / np.mean(with_phones**2))
    assert rel > 0.02
