"""Typed conversion options: their checks, and the default's output kept as it was."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from voices import conversion
from voices.conversion_options import ConversionOptions
from voices.profile import VoiceProfile

FIXTURE = Path(__file__).parent / "fixtures" / "conversion_default.npz"


@cache
def fixture() -> dict[str, np.ndarray]:
    """A made-up speaker's profile, a Piper reading with its phone labels, and what the
    default conversion made of it when it was still configured by a method string
    (``git show ea5b0ca:tests/voices/fixtures/make_conversion_fixture.py`` made the
    inputs; ``expected`` is the string path of that commit converting them as stored
    here, where its test found the two paths sample-identical for seven settings)."""
    with np.load(FIXTURE, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def fixture_profile() -> VoiceProfile:
    """The fixture's profile (no speaker embedding: conversion never reads it)."""
    f = fixture()
    return VoiceProfile(embedding=np.zeros(256, np.float32), target=conversion.Stats.from_arrays(f, "tgt_"),
                        source=conversion.Stats.from_arrays(f, "src_"),
                        extras={k[2:]: v for k, v in f.items() if k.startswith("x_")})


def _convert(options: ConversionOptions, profile: VoiceProfile | None = None) -> np.ndarray:
    f = fixture()
    p = profile or fixture_profile()
    audio = f["audio"].astype(np.float32) / 32767
    return conversion.convert(audio, p.source, p.target, p.extras, options, phones=f["labels"])


@pytest.fixture
def average_of_39(monkeypatch: pytest.MonkeyPatch) -> None:
    """The average speaker the stored output was made with (39 training speakers; the
    committed prior has been retrained on more since)."""
    from voices import prior

    average = prior.VoicePrior.load(FIXTURE.parent / "voice_prior_39.npz")
    monkeypatch.setattr(prior, "default", lambda: average)


def test_the_default_output_is_what_the_method_string_made(average_of_39: None) -> None:
    got = _convert(ConversionOptions())
    stored = fixture()["expected"]
    assert got.shape == stored.shape
    # Stored as float16: every sample within one float16 step of what the string path made
    # (a step is ~1e-3 at full scale); one option off moves samples by far more.
    step = np.spacing(np.abs(stored)).astype(np.float32)
    assert np.all(np.abs(got - stored.astype(np.float32)) <= step)
    previous = _convert(replace(ConversionOptions(), caricature_from_average=False))
    assert np.max(np.abs(previous - stored.astype(np.float32))) > 0.05


def test_profiles_stored_by_older_versions_load_and_convert_the_same() -> None:
    """A stored profile may hold what older versions wrote: extras only the removed lab
    variants read, and a method string. They load, are ignored, and the default
    conversion of that profile is what it was."""
    import io

    p = fixture_profile()
    arrays = dict(np.load(io.BytesIO(p.to_bytes()), allow_pickle=False))
    arrays.update(method=np.array(["lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50"]),
                  x_generic_lf0=np.array([4.8, 0.2], np.float32), x_warp2=np.array([1.0, 1.1], np.float32),
                  x_tgt_frames=np.zeros((5, 40), np.float16), x_pair_src=p.extras["pair_tgt"])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    old = VoiceProfile.from_bytes(buf.getvalue())
    assert np.array_equal(_convert(ConversionOptions(), old), _convert(ConversionOptions()))


@pytest.mark.parametrize("bad, message", [
    ({"linear_map": True, "warp": False}, "linear_map needs warp"),
    ({"linear_map": False}, "phone_correction corrects the linear map"),
    ({"caricature": 0.0, "caricature_high": 0.0}, "caricature_from_average"),
    ({"caricature": 1.5}, "caricature must be between 0 and 1"),
    ({"caricature_high": -0.1}, "caricature_high must be between 0 and 1"),
    ({"ridge": 0.0}, "ridge must be a number above 0"),
    ({"timbre_ridge": float("inf")}, "timbre_ridge"),
    ({"phone_prior": 2000.0}, "phone_prior must be a number above 0 and at most 1000"),
    ({"ridge": float("nan")}, "ridge"),
])
def test_a_combination_that_cannot_apply_is_refused(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConversionOptions(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("ok", [
    {},
    {"caricature_from_average": False},
    {"linear_map": False, "phone_correction": False},
    {"warp": False, "linear_map": False, "phone_correction": False},
    {"caricature": 0.0, "caricature_high": 0.0, "caricature_from_average": False},
    {"caricature": 0.0},
])
def test_combinations_that_apply_are_accepted(ok: dict[str, object]) -> None:
    ConversionOptions(**ok)  # type: ignore[arg-type]


def test_describe_names_what_differs_from_the_default() -> None:
    assert ConversionOptions().describe() == "default"
    assert ConversionOptions(caricature_from_average=False).describe() == "caricature_from_average=False"

