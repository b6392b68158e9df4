"""Decoding every upload format API.md lists, with limits enforced while decoding."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
import soundfile as sf

from voices.audio_io import AudioDecodeError, AudioTooLongError, decode


def tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def encode_with_pyav(x: np.ndarray, rate: int, container: str, codec: str, fmt: str = "fltp") -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(x[None, :].astype(np.float32), format="fltp", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        for f in resampler.resample(frame):
            for pkt in stream.encode(f):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("container", "codec", "rate"),
    [("ogg", "libopus", 48000), ("mp3", "libmp3lame", 44100), ("ipod", "aac", 44100),
     ("webm", "libopus", 48000), ("flac", "flac", 24000), ("wav", "pcm_s16le", 22050)],
)
def test_every_listed_format_decodes(container: str, codec: str, rate: int) -> None:
    data = encode_with_pyav(tone(3.0, rate), rate, container, codec)
    clip = decode(data)
    assert clip.sample_rate == rate
    assert abs(clip.duration_s - 3.0) < 0.1
    assert 0.15 < np.abs(clip.samples).max() <= 1.0


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_wav_sample_formats(subtype: str) -> None:
    buf = io.BytesIO()
    sf.write(buf, tone(1.0, 16000), 16000, subtype=subtype, format="WAV")
    clip = decode(buf.getvalue())
    assert abs(np.abs(clip.samples).max() - 0.3) < 0.02


def test_high_rates_are_capped_and_dead_channels_ignored() -> None:
    x = tone(1.0, 96000)
    buf = io.BytesIO()
    sf.write(buf, np.stack([x, np.zeros_like(x)], 1), 96000, format="WAV")
    clip = decode(buf.getvalue())
    assert clip.sample_rate == 48000 and clip.source_rate == 96000 and clip.channels == 2
    assert abs(np.abs(clip.samples).max() - 0.3) < 0.02  # the live channel keeps its level


def test_duration_limit_is_enforced_while_decoding() -> None:
    buf = io.BytesIO()
    sf.write(buf, np.zeros(8000 * 30, np.float32), 8000, format="FLAC")
    with pytest.raises(AudioTooLongError):
        decode(buf.getvalue(), max_duration_s=10)


@pytest.mark.parametrize("data", [b"", b"\x00" * 10, b"RIFF....WAVEfmt ", b"<html>not audio</html>" * 50])
def test_unreadable(data: bytes) -> None:
    with pytest.raises(AudioDecodeError):
        decode(data)
