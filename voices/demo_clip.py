"""A demo reference clip for trying the server without a recording of your own.

    python -m voices.demo_clip reference.wav [--narrowband phone.wav]

The bundled Piper voice is itself band-limited: its energy falls off a cliff near 9 kHz
(measured: -93 dB at 8-9 kHz, -115 dB at 9-10 kHz), so the honest gate rejects it just
like an upsampled phone call. A real microphone has speech energy (fricatives, breath)
up to 12 kHz and beyond; the demo regenerates it the way HE-AAC's spectral band
replication does: the 4.5-9 kHz band, shifted up by 4.5 kHz (single sideband) and 12 dB
down, gives speech-correlated energy to ~13.5 kHz. The tests build their clips with it.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.signal import butter, hilbert, sosfiltfilt

from voices.audio_io import resample, wav_bytes

DEMO_TEXT = (
    "The quick brown fox jumps over the lazy dog near the quiet river bank. "
    "We spent the afternoon reading old letters and drinking warm tea by the window. "
    "Tomorrow morning the train leaves early, so please remember to pack your bags tonight."
)
DEMO_RATE = 44100


def replicate_band(x: np.ndarray, rate: int, lo: float = 4500.0, hi: float = 9000.0,
                   gain_db: float = -12.0) -> np.ndarray:
    band = sosfiltfilt(butter(6, [lo, hi], "bandpass", fs=rate, output="sos"), x.astype(np.float64))
    t = np.arange(len(x)) / rate
    shifted = np.real(hilbert(band) * np.exp(2j * np.pi * (hi - lo) * t))
    return (x + 10 ** (gain_db / 20) * shifted).astype(np.float32)


def demo_speech(text: str = DEMO_TEXT) -> tuple[np.ndarray, int]:
    """~13 s of wideband English speech at 44.1 kHz, peak 0.9."""
    from voices.models import piper

    voice = piper()
    x = np.concatenate([c.audio_float_array for c in voice.synthesize(text)]).astype(np.float32)
    y = replicate_band(resample(x, voice.config.sample_rate, DEMO_RATE), DEMO_RATE)
    return (0.9 * y / max(1e-6, float(np.abs(y).max()))).astype(np.float32), DEMO_RATE


def telephone(x: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
    """The same audio as an 8 kHz phone capture upsampled to 48 kHz: the gate must see through it."""
    return resample(resample(x, rate, 8000), 8000, 48000), 48000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", help="WAV file to write (wideband demo clip)")
    ap.add_argument("--narrowband", help="also write the phone-call version here")
    args = ap.parse_args()
    x, rate = demo_speech()
    with open(args.output, "wb") as fh:
        fh.write(wav_bytes(x, rate))
    print(f"wrote {args.output}: {len(x) / rate:.1f} s at {rate} Hz")
    if args.narrowband:
        y, r = telephone(x, rate)
        with open(args.narrowband, "wb") as fh:
            fh.write(wav_bytes(y, r))
        print(f"wrote {args.narrowband}: the same speech through an 8 kHz phone line, upsampled to {r} Hz")


if __name__ == "__main__":
    main()
