"""Neighbour speakers (voices.neighbours): who lends, what is lent, and where it lands."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from voices import conversion, neighbours, prior, world
from voices.conversion_options import ConversionOptions

D = world.MCEP_DIM - 1


def _bank(rng: np.random.Generator) -> tuple[neighbours.NeighbourBank, list[np.ndarray]]:
    """Three made-up corpus speakers far apart in key, each with its own residual per phone."""
    keys, phones, residuals, means = [], [], [], []
    for s in range(3):
        key = np.full(2 * neighbours.KEY_BANDS + 2, 10.0 * s) + rng.normal(0, 0.1, 2 * neighbours.KEY_BANDS + 2)
        ph = np.repeat(np.array([3, 5, 7], np.int16), 20)
        mean = rng.normal(0, 0.2, (3, D))
        keys.append(key)
        phones.append(np.concatenate([ph, np.full(5, -1, np.int16)]))
        residuals.append(np.concatenate([np.repeat(mean, 20, axis=0), rng.normal(0, 1, (5, D))]))
        means.append(mean)
    return neighbours.NeighbourBank.train(keys, phones, residuals), means


def test_the_nearest_speaker_lends_its_own_phone_means_below_8_khz() -> None:
    rng = np.random.default_rng(0)
    bank, means = _bank(rng)
    assert list(bank.phone_ids) == [3, 5, 7]  # pairs of no phone are not lent
    loans = bank.lend(bank.keys[2] + 0.05, k=1)
    for j, p in enumerate((3, 5, 7)):
        lent, count = loans[p]
        assert count == 20
        assert np.allclose(lent, means[2][j] @ prior.low_band())
    # Two neighbours: the count-weighted mean of both nearest (speakers 2 and 1).
    both = bank.lend(bank.keys[2], k=2)
    assert np.allclose(both[5][0], 0.5 * (means[2][1] + means[1][1]) @ prior.low_band())
    # Excluded speakers never lend.
    assert np.allclose(bank.lend(bank.keys[2], k=1, exclude=np.array([False, False, True]))[3][0],
                       means[1][0] @ prior.low_band())


def test_the_bank_round_trips_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    bank, _ = _bank(np.random.default_rng(1))
    bank.save(tmp_path / "bank.npz")
    back = neighbours.NeighbourBank.load(tmp_path / "bank.npz")
    assert np.array_equal(back.phone_ids, bank.phone_ids)
    assert np.allclose(back.residuals, bank.residuals, atol=1e-3)
    np.savez(tmp_path / "bad.npz", keys=bank.keys, phone_ids=bank.phone_ids, residuals=bank.residuals[:, :2],
             counts=bank.counts)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        neighbours.NeighbourBank.load(tmp_path / "bad.npz")


def test_the_key_reads_the_band_both_recordings_hold() -> None:
    """What a 24 kHz clip holds above 8 kHz and a 16 kHz corpus speaker does not barely
    moves the key; the same change below 7 kHz moves it a lot."""
    rng = np.random.default_rng(2)
    frames = rng.normal(0, 0.3, (200, world.MCEP_DIM))
    change = rng.normal(0, 0.3, (200, D))
    low = change @ prior.low_band()
    high = np.hstack([np.zeros((200, 1)), change - low])
    key = neighbours.acoustic_key(frames, (5.0, 0.2))
    moved_high = np.abs(neighbours.acoustic_key(frames + high, (5.0, 0.2)) - key).sum()
    moved_low = np.abs(neighbours.acoustic_key(frames + np.hstack([np.zeros((200, 1)), low]), (5.0, 0.2)) - key).sum()
    assert moved_high < 0.2 * moved_low


def test_a_phone_the_clip_lacks_takes_the_weighted_loan_and_one_it_holds_is_shrunk_toward_it() -> None:
    rng = np.random.default_rng(3)
    n = 40
    extras = {"pair_srcw": rng.normal(0, 0.3, (n, world.MCEP_DIM)).astype(np.float16),
              "pair_tgt": rng.normal(0, 0.3, (n, world.MCEP_DIM)).astype(np.float16),
              "pair_phone": np.full(n, 4, np.int16)}
    stats = conversion.Stats(5.0, 0.2, np.zeros(world.MCEP_DIM), np.full(world.MCEP_DIM, 0.3),
                             np.zeros(world.MCEP_DIM), np.full(world.MCEP_DIM, 0.3), np.zeros(5))
    frames = rng.normal(0, 0.3, (30, world.MCEP_DIM))
    labels = np.repeat(np.array([4, 9], np.int16), 15)  # phone 9: not in the clip
    voiced = np.ones(30, bool)
    loan = np.full(D, 0.4)
    lender = lambda ph, res: {9: (loan, 50.0), 4: (-loan, 50.0)}  # noqa: E731

    def run(**kw: object) -> np.ndarray:
        return conversion.map_phones(frames, labels, voiced, extras, stats, stats, 3.0, 16.0, **kw)  # type: ignore[arg-type]

    plain = run()
    lent = run(lender=lender, loan_weight=0.5)
    missing_only = run(lender=lender, loan_weight=0.5, loan_held=False)
    # Away from the smoothed boundary, phone 9 moves by half the loan.
    assert np.allclose(lent[20:, 1:] - plain[20:, 1:], 0.2)
    # The held phone moves toward -loan by prior / (n + prior) of the weighted loan.
    assert np.allclose(lent[:12, 1:] - plain[:12, 1:], -0.2 * 16 / (n + 16))
    assert np.allclose(missing_only[:12], plain[:12])


def test_options_refuse_neighbours_without_the_phone_correction() -> None:
    with pytest.raises(ValueError, match="neighbour_phones lends to the per-phone correction"):
        ConversionOptions(neighbour_phones=True, phone_correction=False)
    with pytest.raises(ValueError, match="neighbour_count"):
        ConversionOptions(neighbour_count=0)
    with pytest.raises(ValueError, match="neighbour_weight must be between 0 and 1"):
        ConversionOptions(neighbour_weight=1.5)


def test_the_committed_bank_loads_and_changes_a_conversion() -> None:
    from tests.voices.test_conversion_options import _convert

    bank = neighbours.default()
    assert len(bank.keys) >= 100 and len(bank.phone_ids) >= 30
    on = _convert(replace(ConversionOptions(), neighbour_phones=True))
    off = _convert(replace(ConversionOptions(), neighbour_phones=False))
    assert on.shape == off.shape and np.all(np.isfinite(on))
    assert np.abs(on - off).mean() > 1e-4
