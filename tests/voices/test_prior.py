"""The average speaker of voices.prior and the caricature measured from it (``+exp``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voices import caricature, conversion, prior, world
from voices.conversion_options import ConversionOptions
from voices.synthesis import piper_audio


def test_the_average_speaker_is_the_mean_of_the_speakers_statistics(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    stats = [rng.normal(0, 1, (30, world.MCEP_DIM)) for _ in range(4)]
    stats[1], stats[3] = np.abs(stats[1]) + 0.1, np.abs(stats[3]) + 0.1  # spreads are positive
    model = prior.VoicePrior.train(*stats)
    assert model.speakers == 30 and np.allclose(model.average[2], stats[2].mean(0))
    model.save(tmp_path / "p.npz")
    back = prior.VoicePrior.load(tmp_path / "p.npz")
    assert back.speakers == 30 and np.allclose(back.average, model.average, atol=1e-6)


def test_a_broken_prior_file_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "bad.npz", average=np.zeros((4, world.MCEP_DIM)), speakers=np.array([3]))
    with pytest.raises(ValueError, match="positive spreads"):
        prior.VoicePrior.load(tmp_path / "bad.npz")


def test_low_band_keeps_the_envelope_below_7_khz_and_drops_it_above_8() -> None:
    basis = prior.log_basis()[1:]
    f = np.linspace(0, world.RATE / 2, basis.shape[1])
    rng = np.random.default_rng(2)
    c = rng.normal(0, 0.1, (20, world.MCEP_DIM - 1))
    before, after = c @ basis, (c @ prior.low_band()) @ basis
    low, high = f < 6000, f > 9000
    assert np.abs(after[:, low] - before[:, low]).mean() < 0.25 * np.abs(before[:, low]).mean()
    assert np.abs(after[:, high]).mean() < 0.25 * np.abs(before[:, high]).mean()


def test_the_committed_prior_loads() -> None:
    model = prior.default()
    assert model.average.shape == (4, world.MCEP_DIM) and model.speakers >= 20
    # Real speakers' envelopes: the spread of c1 across frames is well above zero.
    assert np.all(model.average[[1, 3], 1:] > 0)


def test_exp_moves_the_clone_where_the_reference_says() -> None:
    """End to end: the average-speaker reference (``caricature_from_average``) changes the
    converted audio and leaves it clean, at the same length."""
    from tests.voices.test_synthesis import profile

    p = profile()
    x = piper_audio("Good morning, how are you?")
    plain = conversion.convert(x, p.source, p.target, p.extras, ConversionOptions(caricature_from_average=False))
    exp = conversion.convert(x, p.source, p.target, p.extras, ConversionOptions(caricature_from_average=True))
    assert plain.shape == exp.shape and np.all(np.isfinite(exp))
    assert np.abs(exp - plain).mean() > 1e-4


def test_average_speaker_caricature_moves_away_from_the_reference_below_8_khz_only() -> None:
    """``+exp``: with the reference at the base voice it is the plain caricature; a
    reference lower in the envelope everywhere pushes the clone up below 8 kHz by β of
    the gap and leaves the band above as it was."""
    rng = np.random.default_rng(4)
    plain = rng.normal(0, 0.3, (50, world.MCEP_DIM))
    mapped = plain + rng.normal(0, 0.1, plain.shape)
    same = caricature.exaggerate(plain, mapped, 0.25, 0.5, low_reference=plain)
    assert np.allclose(same, caricature.exaggerate(plain, mapped, 0.25, 0.5))
    gap = np.zeros(world.MCEP_DIM)
    gap[1] = 0.2  # a tilt: the reference differs from the base at every frequency
    ref = plain - gap
    moved = caricature.exaggerate(plain, mapped, 0.25, 0.25, low_reference=ref)
    base = caricature.exaggerate(plain, mapped, 0.25, 0.25)
    basis = prior.log_basis()
    f = np.linspace(0, world.RATE / 2, basis.shape[1])
    shift = (moved - base) @ basis
    want = 0.25 * gap @ basis
    low, high = f < 6000, f > 9000
    assert np.abs(shift[:, low] - want[low]).max() < 0.3 * np.abs(want[low]).max()
    assert np.abs(shift[:, high]).max() < 0.3 * np.abs(want[low]).max()
