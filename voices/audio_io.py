"""Audio in and out at the edges: decoding uploads, resampling, encoding responses.

Decoding goes through PyAV (FFmpeg) for every container the API accepts, and stops as
soon as the decoded duration passes the limit, so a header that claims hours of audio or
a small file that expands into a huge one never lands in memory.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from scipy.signal import resample_poly


class AudioDecodeError(ValueError):
    """The bytes are not audio we can read (empty, truncated, not a media file)."""


class AudioTooLongError(ValueError):
    """Decoded audio runs past the configured maximum duration."""


@dataclass(frozen=True)
class Decoded:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    source_rate: int  # what the container says; never used to judge quality
    codec: str
    channels: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def decode(data: bytes, *, max_duration_s: float = 60.0, max_rate: int = 48000) -> Decoded:
    """Decode any container FFmpeg reads to mono float32 at its native rate (capped).

    Channels are mixed by picking the louder mean, not averaging: a stereo file with
    one dead channel then keeps its full level instead of dropping 6 dB.
    """
    if not data:
        raise AudioDecodeError("the file is empty")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except Exception as exc:  # FFmpeg refuses non-media bytes in many different ways
        raise AudioDecodeError("the file is not a readable audio file") from exc
    with container:
        streams = container.streams.audio
        if not streams:
            raise AudioDecodeError("the file contains no audio stream")
        stream = streams[0]
        src_rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        if src_rate <= 0:
            raise AudioDecodeError("the audio stream has no sample rate")
        rate = min(src_rate, max_rate)
        channels = max(1, int(stream.codec_context.channels or 1))
        resampler = av.AudioResampler(format="fltp", layout=None, rate=rate)
        limit = int(max_duration_s * rate) + 1
        chunks: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(stream):
                if not isinstance(frame, av.AudioFrame):
                    continue
                frame.pts = None
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()
                    chunks.append(arr)
                    total += arr.shape[-1]
                if total > limit:
                    raise AudioTooLongError(
                        f"the audio is longer than {max_duration_s:.0f} s; trim it to 6-15 s of speech"
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except AudioTooLongError:
            raise
        except Exception as exc:  # corrupt or truncated packets
            if total == 0:
                raise AudioDecodeError("the audio data could not be decoded") from exc
            # A truncated tail: keep what decoded cleanly.
        codec = stream.codec_context.name
    if not chunks:
        raise AudioDecodeError("the file contains no audio samples")
    multi = np.concatenate(chunks, axis=-1).astype(np.float32)
    if multi.ndim == 1:
        multi = multi[None, :]
    if multi.shape[-1] == 0:
        raise AudioDecodeError("the file contains no audio samples")
    if multi.shape[-1] > limit:
        raise AudioTooLongError(
            f"the audio is longer than {max_duration_s:.0f} s; trim it to 6-15 s of speech"
        )
    mono = _downmix(multi)
    if not np.all(np.isfinite(mono)):
        mono = np.nan_to_num(mono, nan=0.0, posinf=1.0, neginf=-1.0)
    return Decoded(np.clip(mono, -1.0, 1.0), rate, src_rate, codec, channels)


def _downmix(multi: np.ndarray) -> np.ndarray:
    if multi.shape[0] == 1:
        return multi[0]
    energy = np.mean(multi**2, axis=1)
    live = energy > 1e-3 * energy.max() if energy.max() > 0 else np.ones(len(energy), bool)
    return multi[live].mean(axis=0)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return x.astype(np.float32, copy=False)
    ratio = Fraction(dst, src).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator).astype(np.float32)


def to_int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_bytes(x: np.ndarray, rate: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, x, rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()
