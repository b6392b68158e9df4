"""Every response format streams through PyAV and decodes back to the same duration."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from voices.encode import FORMATS, MEDIA_TYPES, StreamEncoder, encode_all

RATE = 24000


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _decode(data: bytes, fmt: str) -> tuple[float, int]:
    if fmt == "pcm":
        return len(data) / 2 / RATE, RATE
    with av.open(io.BytesIO(data)) as c:
        frames = list(c.decode(audio=0))
    rate = frames[0].sample_rate
    return sum(f.samples for f in frames) / rate, rate


def _stream(fmt: str, x: np.ndarray, chunk: int = 7000) -> list[bytes]:
    enc = StreamEncoder(fmt, RATE)
    parts = [enc.feed(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    parts.append(enc.finish())
    return parts


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_format_decodes_to_same_duration(fmt: str) -> None:
    x = _tone(2.0)
    data = b"".join(_stream(fmt, x))
    duration, rate = _decode(data, fmt)
    # MP3 and AAC add an encoder delay / padding of up to a couple of frames.
    assert duration == pytest.approx(2.0, abs=0.1)
    assert rate == (8000 if fmt in ("ulaw", "alaw") else 24000 if fmt != "opus" else 48000)
    assert fmt in MEDIA_TYPES


@pytest.mark.parametrize("fmt", FORMATS)
def test_bytes_flow_before_finish(fmt: str) -> None:
    parts = _stream(fmt, _tone(3.0), chunk=RATE)
    assert sum(len(p) for p in parts[:-1]) > 0


@pytest.mark.parametrize("fmt", ["wav", "ulaw", "alaw"])
def test_streamed_wav_header_has_open_length(fmt: str) -> None:
    data = b"".join(_stream(fmt, _tone(0.5)))
    assert data[:4] == b"RIFF"
    assert data[4:8] == b"\xff\xff\xff\xff"


def test_wav_codecs() -> None:
    for fmt, codec in (("wav", "pcm_s16le"), ("ulaw", "pcm_mulaw"), ("alaw", "pcm_alaw")):
        with av.open(io.BytesIO(b"".join(_stream(fmt, _tone(0.5))))) as c:
            assert c.streams.audio[0].codec_context.name == codec


def test_encode_all_has_exact_wav_length() -> None:
    data = encode_all(_tone(1.0), "wav")
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert _decode(data, "wav")[0] == pytest.approx(1.0, abs=1e-3)


def test_pcm_is_raw_s16le() -> None:
    x = _tone(0.1)
    data = b"".join(_stream("pcm", x))
    pcm = np.frombuffer(data, "<i2")
    assert len(pcm) == len(x)
    assert np.allclose(pcm / 32767.0, x, atol=1e-3)


def test_unknown_format_rejected() -> None:
    with pytest.raises(ValueError, match="response_format"):
        StreamEncoder("ogg")


def test_empty_input_still_makes_a_valid_file() -> None:
    enc = StreamEncoder("wav")
    data = enc.feed(np.zeros(0, np.float32)) + enc.finish()
    assert data[:4] == b"RIFF"
