"""Typed conversion options: their checks, and the default's output kept as it was."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from voices import conversion
from voices.conversion_options import ConversionOptions

FIXTURE = Path(__file__).parent / "fixtures" / "conversion_default.npz"


@cache
def fixture() -> dict[str, np.ndarray]:
    """A made-up speaker's profile, a Piper reading with its phone labels, and what the
    default conversion made of it when it was still configured by a method string
    (``fixtures/make_conversion_fixture.py`` in the commit that added this test)."""
    with np.load(FIXTURE, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _convert(options: ConversionOptions) -> np.ndarray:
    f = fixture()
    extras = {k[2:]: v for k, v in f.items() if k.startswith("x_")}
    audio = f["audio"].astype(np.float32) / 32767
    src, tgt = conversion.Stats.from_arrays(f, "src_"), conversion.Stats.from_arrays(f, "tgt_")
    return conversion.convert_with(audio, src, tgt, extras, options, phones=f["labels"])


def test_the_default_output_is_what_the_method_string_made() -> None:
    got = _convert(ConversionOptions())
    expected = fixture()["expected"].astype(np.float32)
    assert got.shape == expected.shape
    # The fixture is stored as float16 (~1e-4 at speech level); one option off moves
    # samples by far more (checked below), so this tolerance still tells them apart.
    assert np.max(np.abs(got - expected)) < 2e-3
    previous = _convert(replace(ConversionOptions(), caricature_from_average=False))
    assert np.max(np.abs(previous - expected)) > 2e-2


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


# Each method string next to the options that say the same; the two paths must give the
# same samples (this check goes with the string path; the fixture above stays).
_SAME = [
    ("lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50+exp", ConversionOptions()),
    ("lr3+warp+tempo+ex25+phk+hyb+lrh1+exh50", ConversionOptions(caricature_from_average=False)),
    ("lr3+warp+tempo", ConversionOptions(timbre_ridge=3.0, phone_correction=False, caricature=0.0,
                                         caricature_high=0.0, caricature_from_average=False,
                                         hybrid_unvoiced=False)),
    ("lr3+warp+tempo+ex25+phk+hyb", ConversionOptions(timbre_ridge=3.0, caricature_high=0.25,
                                                      caricature_from_average=False)),
    ("lr0.5+warp+ph4+phk+exh100", ConversionOptions(ridge=0.5, timbre_ridge=0.5, phone_prior=4.0, caricature=0.0,
                                                    caricature_high=1.0, caricature_from_average=False,
                                                    hybrid_unvoiced=False)),
    ("meanvar+warp+ex25+exp+hyb", ConversionOptions(linear_map=False, phone_correction=False,
                                                    caricature_high=0.25)),
    ("meanvar", ConversionOptions(warp=False, linear_map=False, phone_correction=False, caricature=0.0,
                                  caricature_high=0.0, caricature_from_average=False, hybrid_unvoiced=False)),
]


@pytest.mark.parametrize("method, options", _SAME)
def test_options_path_equals_the_method_string_path(method: str, options: ConversionOptions) -> None:
    f = fixture()
    extras = {k[2:]: v for k, v in f.items() if k.startswith("x_")}
    audio = f["audio"].astype(np.float32) / 32767
    src, tgt = conversion.Stats.from_arrays(f, "src_"), conversion.Stats.from_arrays(f, "tgt_")
    by_string = conversion.convert(audio, src, tgt, extras, method, phones=f["labels"])
    assert np.array_equal(_convert(options), by_string)
