"""Blind SNR, two ways, because each is fooled by something the other is not.

1. Minimum statistics (after Martin 2001): the background is the 10th percentile of
   20 ms frame powers (read speech is near-silent well over 10 % of the time), speech is
   the mean over VAD speech frames minus that floor. Reported as `snr_db`. A second
   talker or a reverberant tail also fills the pauses and lowers it.
2. WADA-SNR (Kim & Stern 2008, "Robust signal-to-noise ratio estimation based on
   waveform amplitude distribution analysis"): clean speech amplitudes follow a peaky
   Gamma law (shape ~0.4), Gaussian noise flattens it; the statistic
   G = ln E|x| - E ln|x| maps to SNR through a table computed here by simulating that
   model. Another voice or a reverb tail is itself speech-shaped, so it barely moves it.
The judge calls a clip noisy only when both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from voices.gate.dsp import ANALYSIS_RATE, db, frame_power, speech_mask

_FRAME_S = 0.02
_NOISE_PERCENTILE = 10
_MAX_SNR_DB = 60.0
_GAMMA_SHAPE = 0.4


@dataclass(frozen=True)
class NoiseMeasurement:
    snr_db: float
    wada_snr_db: float


@cache
def _wada_table() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 50_000
    speech = rng.gamma(_GAMMA_SHAPE, 1.0, n) * rng.choice([-1.0, 1.0], n)
    speech /= np.sqrt(np.mean(speech**2))
    noise = rng.standard_normal(n)
    snrs = np.arange(-20.0, 101.0, 1.0)
    g = []
    for snr in snrs:
        a = np.abs(speech + noise * 10 ** (-snr / 20))
        g.append(np.log(np.mean(a)) - np.mean(np.log(a)))
    order = np.argsort(g)
    return np.asarray(g)[order], snrs[order]


def wada_snr(x: np.ndarray) -> float:
    a = np.abs(x - np.mean(x))
    a = a[a > 1e-7]
    if len(a) < 1000:
        return _MAX_SNR_DB
    g = float(np.log(np.mean(a)) - np.mean(np.log(a)))
    table_g, table_snr = _wada_table()
    return float(min(_MAX_SNR_DB, np.interp(g, table_g, table_snr)))


def measure(x16: np.ndarray, segments: list[tuple[float, float]]) -> NoiseMeasurement:
    power = frame_power(x16, int(_FRAME_S * ANALYSIS_RATE))
    speech = speech_mask(segments, len(power), _FRAME_S)
    start = int(segments[0][0] * ANALYSIS_RATE) if segments else 0
    end = int(segments[-1][1] * ANALYSIS_RATE) if segments else len(x16)
    wada = wada_snr(x16[start:end])
    if not speech.any():
        return NoiseMeasurement(0.0, wada)
    noise = float(np.percentile(power, _NOISE_PERCENTILE))
    signal = float(np.mean(power[speech])) - noise
    if signal <= 0:
        return NoiseMeasurement(0.0, wada)
    if noise <= 0:
        return NoiseMeasurement(_MAX_SNR_DB, wada)
    return NoiseMeasurement(float(min(_MAX_SNR_DB, db(signal) - db(noise))), wada)
