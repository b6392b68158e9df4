"""Audio formats at the session's edges: s16le 24 kHz PCM and G.711 (μ-law / A-law, 8 kHz).

Inside, the VAD and ASR work on float32 16 kHz and the TTS produces float32 24 kHz.
Conversion uses FFmpeg through PyAV: its G.711 codecs and its stateful resampler (which
carries filter state across 20 ms frames, so chunked resampling has no seams).
"""

from __future__ import annotations

from typing import cast

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext

IN_RATE = 16000
OUT_RATE = 24000

# format id -> (FFmpeg codec, sample rate)
FORMATS: dict[str, tuple[str, int]] = {
    "audio/pcm": ("pcm_s16le", 24000),
    "audio/pcmu": ("pcm_mulaw", 8000),
    "audio/pcma": ("pcm_alaw", 8000),
}
BETA_NAMES = {"pcm16": "audio/pcm", "g711_ulaw": "audio/pcmu", "g711_alaw": "audio/pcma"}


def parse_format(value: object) -> str:
    """A GA ``{"type": "audio/pcmu"}`` object or a beta name (``g711_ulaw``) → format id."""
    if isinstance(value, dict):
        kind = value.get("type")
        rate = value.get("rate")
        if kind == "audio/pcm" and rate not in (None, 24000):
            raise ValueError("audio/pcm is supported at 24000 Hz only")
    else:
        kind = BETA_NAMES.get(value) if isinstance(value, str) else None
    if kind not in FORMATS:
        raise ValueError(f"unsupported audio format {value!r}; use audio/pcm (24 kHz), audio/pcmu or audio/pcma")
    return str(kind)


def format_object(fmt: str) -> dict[str, object]:
    return {"type": fmt, "rate": FORMATS[fmt][1]}


class Decoder:
    """Bytes in one format → float32 mono 16 kHz, across calls."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        codec, self.rate = FORMATS[fmt]
        self._codec: AudioCodecContext | None = None
        if codec != "pcm_s16le":
            self._codec = cast(AudioCodecContext, av.CodecContext.create(codec, "r"))
            self._codec.sample_rate = self.rate
            self._codec.layout = "mono"
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=IN_RATE)
        self._odd = b""

    def bytes_per_second(self) -> int:
        return self.rate * (2 if self._codec is None else 1)

    def decode(self, data: bytes) -> np.ndarray:
        if self._codec is None:
            data = self._odd + data
            cut = len(data) - len(data) % 2
            self._odd = data[cut:]
            pcm = np.frombuffer(data[:cut], "<i2")
        else:
            frames = self._codec.decode(av.Packet(data)) if data else []
            pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]) if frames else np.zeros(0, "<i2")
        if pcm.size == 0:
            return np.zeros(0, np.float32)
        return resample_s16(self._resampler, pcm, self.rate)


def resample_s16(resampler: av.AudioResampler, pcm: np.ndarray, rate: int) -> np.ndarray:
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm.astype("<i2"))[None, :], format="s16", layout="mono")
    frame.sample_rate = rate
    out = resampler.resample(frame)
    if not out:
        return np.zeros(0, np.float32)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in out]).astype(np.float32, copy=False)


def to_s16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


class Encoder:
    """float32 mono 24 kHz → bytes in one format, across calls."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        codec, self.rate = FORMATS[fmt]
        self._codec: AudioCodecContext | None = None
        self._resampler: av.AudioResampler | None = None
        if codec != "pcm_s16le":
            self._codec = cast(AudioCodecContext, av.CodecContext.create(codec, "w"))
            self._codec.sample_rate = self.rate
            self._codec.format = "s16"
            self._codec.layout = "mono"
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self.rate)

    def encode(self, audio: np.ndarray) -> bytes:
        pcm = to_s16(audio)
        if self._codec is None:
            return pcm.tobytes()
        assert self._resampler is not None
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = OUT_RATE
        out = bytearray()
        for f in self._resampler.resample(frame):
            for packet in self._codec.encode(f):
                out += bytes(packet)
        return bytes(out)
