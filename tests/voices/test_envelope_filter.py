"""The envelope filter and the voicing mix under the hybrid rendering (``+hyb``)."""

from __future__ import annotations

import numpy as np

from voices.envelope_filter import filter_envelope, voicing_mix

RATE = 24000
HOP = 240


def _noise(seconds: float = 1.0) -> np.ndarray:
    return np.random.default_rng(0).normal(size=int(seconds * RATE))


def test_a_flat_ratio_gives_back_the_signal() -> None:
    x = _noise()
    y = filter_envelope(x, np.zeros((len(x) // HOP + 1, 257)), HOP)
    assert len(y) == len(x)
    assert np.allclose(y[600:-600], x[600:-600], atol=1e-6)


def test_the_ratio_shapes_the_spectrum_where_it_says() -> None:
    x = _noise(2.0)
    ratio = np.zeros((len(x) // HOP + 1, 257))
    f = np.linspace(0, RATE / 2, 257)
    band = (f > 2000) & (f < 4000)
    ratio[:, band] = np.log(2.0)  # +6 dB in amplitude, 2-4 kHz
    y = filter_envelope(x, ratio, HOP)
    spec = lambda s: np.abs(np.fft.rfft(s[2000:-2000])) ** 2  # noqa: E731
    freqs = np.fft.rfftfreq(len(x) - 4000, 1 / RATE)
    gain = spec(y) / spec(x)
    inside = (freqs > 2300) & (freqs < 3700)
    outside = (freqs > 300) & (freqs < 1500)
    assert 3.0 < np.median(gain[inside]) < 5.0  # power x4
    assert 0.8 < np.median(gain[outside]) < 1.25


def test_gains_are_bounded() -> None:
    x = _noise()
    y = filter_envelope(x, np.full((len(x) // HOP + 1, 257), 50.0), HOP)
    assert np.std(y) < 20 * np.std(x)  # +24 dB at most, never e^50


def test_voicing_mix_takes_each_side_where_it_belongs() -> None:
    a, b = np.ones(RATE), np.zeros(RATE)
    voiced = np.zeros(RATE // HOP + 1, bool)
    voiced[: len(voiced) // 2] = True
    y = voicing_mix(a, b, voiced, HOP, ramp=HOP // 2)
    assert np.all(y[: RATE // 2 - HOP] == 1.0) and np.all(y[RATE // 2 + HOP :] == 0.0)
    assert np.all(np.diff(y) <= 1e-12)
    between = np.flatnonzero((y > 0) & (y < 1))
    assert HOP // 4 < len(between) <= HOP // 2  # a ramp of about ``ramp`` samples, not a step
