"""``pyai.audio``: text to speech, whole (``speech``) or as it is synthesized (``speech_stream``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pyai._transport import AsyncTransport, RequestOptions, SyncTransport

__all__ = ["RESPONSE_FORMATS", "AsyncAudio", "Audio"]

RESPONSE_FORMATS = ("wav", "mp3", "opus", "flac", "aac", "pcm", "ulaw", "alaw")


def _speech_options(
    input: str,
    voice: str,
    response_format: str,
    speed: float,
    model: str | None,
    stream: bool | None,
) -> RequestOptions:
    body: dict[str, Any] = {
        "input": input,
        "voice": voice,
        "response_format": response_format,
        "speed": speed,
    }
    if model is not None:
        body["model"] = model
    if stream is not None:
        body["stream"] = stream
    # Synthesis has no side effects, so unlike other POSTs it is safe to retry on 429.
    return RequestOptions("POST", "/v1/audio/speech", json=body, idempotent=True)


class Audio:
    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def speech(
        self,
        input: str,
        voice: str,
        response_format: str = "wav",
        speed: float = 1.0,
        *,
        model: str | None = None,
    ) -> bytes:
        """Synthesize ``input`` and return the whole encoded file.

        ``voice`` is a stock id (``joe``) or a ready clone id; a clone that is still
        pending or failed raises :class:`~pyai.errors.ConflictError` (``voice_not_ready``).
        Asked for unstreamed, so WAV and FLAC headers carry the real length.
        """
        opts = _speech_options(input, voice, response_format, speed, model, False)
        return self._t.request(opts).content

    def speech_stream(
        self,
        input: str,
        voice: str,
        response_format: str = "wav",
        speed: float = 1.0,
        *,
        model: str | None = None,
        chunk_size: int | None = None,
    ) -> Iterator[bytes]:
        """Yield audio bytes as the server synthesizes sentence by sentence.

        For playback that starts before the whole text is spoken. The request is sent on
        the first ``next()``; errors (and retries) happen there, before any audio.
        """
        opts = _speech_options(input, voice, response_format, speed, model, True)
        with self._t.stream(opts) as response:
            yield from response.iter_bytes(chunk_size)


class AsyncAudio:
    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport

    async def speech(
        self,
        input: str,
        voice: str,
        response_format: str = "wav",
        speed: float = 1.0,
        *,
        model: str | None = None,
    ) -> bytes:
        opts = _speech_options(input, voice, response_format, speed, model, False)
        return (await self._t.request(opts)).content

    async def speech_stream(
        self,
        input: str,
        voice: str,
        response_format: str = "wav",
        speed: float = 1.0,
        *,
        model: str | None = None,
        chunk_size: int | None = None,
    ) -> AsyncIterator[bytes]:
        opts = _speech_options(input, voice, response_format, speed, model, True)
        async with self._t.stream(opts) as response:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk
