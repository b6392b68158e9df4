"""Two people talking at once: a small convolutional detector over the resolved harmonics.

A second voice under the first leaves no mark the other checks can read reliably: the
speaker embeddings average the two, tiny.en follows the louder one, and the waveform
statistics move as much with a real room's tone. What two simultaneous voices always
add is a second harmonic comb with its own pitch track, which a 32 ms spectrum below
4 kHz resolves. A ~30k-parameter network reads 1 s windows of that spectrum and says
how likely each holds two voices; the clip's score is the mean over its speech windows,
so a partner who talks over half the clip counts half.

The network is trained offline on mixtures of real LibriSpeech / LibriTTS speakers from
the gate corpus's tuning half only (``bench/train_overlap.py``); its weights live in
``voices/trained/overlap_detector.npz`` (see that folder's README for the data's
licence). The score is one cue of the two-voice model (:mod:`voices.gate.logistic`),
whose calibration decides; it is never read alone.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

N_FFT = 512
HOP = 160  # 10 ms
LOW_BIN, N_BINS = 2, 128  # 62.5 Hz .. 4 kHz: the resolved harmonics
WINDOW = 100  # frames: 1 s
STEP = 50
WEIGHTS = Path(__file__).resolve().parents[1] / "trained/overlap_detector.npz"

_lock = threading.Lock()


def log_spectrogram(x16: np.ndarray) -> np.ndarray:
    """Log power (bins x frames) of the band the harmonics are resolved in."""
    x = np.asarray(x16, dtype=np.float32)
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    n = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    frames = x[idx] * np.hanning(N_FFT).astype(np.float32)
    spec = np.fft.rfft(frames, axis=1)[:, LOW_BIN: LOW_BIN + N_BINS]
    return np.log10(np.abs(spec.T) ** 2 + 1e-10).astype(np.float32)


def windows(spec: np.ndarray) -> np.ndarray:
    """1 s windows (n x bins x frames), each standardised: level and gain say nothing here."""
    if spec.shape[1] < WINDOW:
        return np.zeros((0, N_BINS, WINDOW), np.float32)
    starts = range(0, spec.shape[1] - WINDOW + 1, STEP)
    w = np.stack([spec[:, s: s + WINDOW] for s in starts])
    mean = w.mean(axis=(1, 2), keepdims=True)
    std = w.std(axis=(1, 2), keepdims=True) + 1e-3
    return ((w - mean) / std).astype(np.float32)


class _TimeMean(nn.Module):
    """Average over time (the last axis): where in the second the overlap falls is moot."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=-1)


def network() -> nn.Sequential:
    """The detector's layers (untrained); the trainer and the loader both build it here."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        _TimeMean(), nn.Flatten(), nn.Linear(32 * (N_BINS // 8), 32), nn.ReLU(), nn.Linear(32, 1),
    )


def save(net: nn.Module, path: Path = WEIGHTS) -> None:
    np.savez_compressed(path, **{k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})


@cache
def detector(path: Path = WEIGHTS) -> nn.Sequential:
    """The trained detector (process-wide, read-only after load)."""
    with _lock:
        net = network()
        with np.load(path) as data:
            state = {k: torch.from_numpy(data[k]) for k in data.files}
        net.load_state_dict(state)
        net.eval()
        return net


def window_probabilities(x16: np.ndarray, net: nn.Module | None = None) -> np.ndarray:
    """Per 1 s window (0.5 s apart), the probability that two voices speak at once."""
    w = windows(log_spectrogram(x16))
    if len(w) == 0:
        return np.zeros(0)
    net = net or detector()
    with torch.inference_mode():
        logits = net(torch.from_numpy(w[:, None]))[:, 0].numpy()
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))


def measure(speech16: np.ndarray) -> float:
    """Mean two-voice probability over the 16 kHz speech-only signal's windows (0 when too short)."""
    p = window_probabilities(speech16)
    return float(p.mean()) if len(p) else 0.0
