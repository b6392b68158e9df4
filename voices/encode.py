"""Streaming encoders for the speech endpoint's ``response_format`` values.

Every format is produced by FFmpeg through PyAV, muxed into a write-only sink: the
muxer cannot seek back to patch lengths, so bytes can leave as soon as a sentence is
encoded. For ``wav`` (and the G.711 ``ulaw``/``alaw`` WAVs) FFmpeg then leaves the
RIFF and data sizes at 0xFFFFFFFF, which is what OpenAI's streamed WAV carries and what
players read as "until the end of the stream". :func:`encode_all` writes to a seekable
buffer instead, so a non-streamed answer gets exact sizes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

from voices.audio_io import to_int16


@dataclass(frozen=True)
class _Spec:
    container: str
    codec: str
    rate: int | None  # None: keep the input rate
    sample_format: str
    bit_rate: int | None = None
    options: tuple[tuple[str, str], ...] = ()


# 24 kHz is the synthesis rate; every codec here accepts it except G.711, which is
# 8 kHz by definition (telephony, IVR, voicemail).
_SPECS: dict[str, _Spec] = {
    "wav": _Spec("wav", "pcm_s16le", None, "s16"),
    "mp3": _Spec("mp3", "libmp3lame", None, "s16p", 64_000),
    # Ogg pages default to 1 s; 100 ms pages let Opus bytes follow each sentence.
    "opus": _Spec("ogg", "libopus", None, "s16", 32_000, (("page_duration", "100000"),)),
    "flac": _Spec("flac", "flac", None, "s16"),
    "aac": _Spec("adts", "aac", None, "fltp", 64_000),
    "pcm": _Spec("s16le", "pcm_s16le", None, "s16"),
    "ulaw": _Spec("wav", "pcm_mulaw", 8000, "s16"),
    "alaw": _Spec("wav", "pcm_alaw", 8000, "s16"),
}

FORMATS: tuple[str, ...] = tuple(_SPECS)

MEDIA_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "pcm": "audio/pcm",
    "ulaw": "audio/wav",
    "alaw": "audio/wav",
}


class _Sink:
    """Write-only file object: without ``seek`` FFmpeg treats the output as a pipe."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        self._buf += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


class StreamEncoder:
    """Encode float32 mono chunks at ``rate`` into one response format, incrementally.

    ``feed`` returns whatever bytes the muxer has produced so far (possibly empty: MP3,
    AAC and Opus hold back a frame or an Ogg page), ``finish`` flushes the rest. The
    caller concatenates every return value, in order, to get the complete file.
    """

    def __init__(self, fmt: str, rate: int = 24000, *, exact_length: bool = False) -> None:
        """``exact_length``: buffer everything and return it from :meth:`finish`, with
        the container's length fields filled in (for non-streamed answers)."""
        if fmt not in _SPECS:
            raise ValueError(f"unknown response_format {fmt!r}; use one of {', '.join(FORMATS)}")
        spec = _SPECS[fmt]
        self.format = fmt
        self.rate = rate
        self._sink: _Sink | io.BytesIO = io.BytesIO() if exact_length else _Sink()
        self._pts = 0
        self._finished = False
        self._out_rate = spec.rate or rate
        self._container = av.open(
            self._sink, mode="w", format=spec.container, options=dict(spec.options)
        )
        stream = self._container.add_stream(spec.codec, rate=self._out_rate)
        assert isinstance(stream, av.audio.stream.AudioStream)  # an audio codec makes an audio stream
        stream.layout = "mono"
        stream.format = spec.sample_format
        if spec.bit_rate:
            stream.bit_rate = spec.bit_rate
        self._stream = stream
        # The resampler also converts to the codec's sample format (planar, float...).
        self._resampler = av.AudioResampler(
            format=spec.sample_format, layout="mono", rate=self._out_rate
        )
        # Write the container header now: the first ``feed`` then returns it, and an
        # empty stream still finishes as a valid (empty) file.
        self._container.start_encoding()

    def _encode(self, frame: av.AudioFrame | None) -> None:
        frames = self._resampler.resample(frame)
        for f in frames:
            for packet in self._stream.encode(f):
                self._container.mux(packet)
        if frame is None:
            for packet in self._stream.encode(None):
                self._container.mux(packet)

    def feed(self, chunk: np.ndarray) -> bytes:
        if self._finished:
            raise RuntimeError("the encoder is already finished")
        pcm = to_int16(np.asarray(chunk, dtype=np.float32).reshape(-1))
        if pcm.size:
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
            frame.sample_rate = self.rate
            frame.pts = self._pts
            self._pts += pcm.size
            self._encode(frame)
        return self._take()

    def finish(self) -> bytes:
        if self._finished:
            return b""
        self._finished = True
        self._encode(None)
        self._container.close()
        return self._take()

    def _take(self) -> bytes:
        if isinstance(self._sink, _Sink):
            return self._sink.take()
        return self._sink.getvalue() if self._finished else b""


def encode_all(samples: np.ndarray, fmt: str, rate: int = 24000) -> bytes:
    """Encode a whole signal at once, with exact container lengths."""
    enc = StreamEncoder(fmt, rate, exact_length=True)
    enc.feed(samples)
    return enc.finish()
