"""`POST /v1/audio/speech`: OpenAI-compatible text to speech, streamed by sentence.

Each step of synthesis (Piper, then conversion to the cloned voice) is a job of the CPU
scheduler (:mod:`agent_server.speech_stream`), the first chunk due at once, the rest as
the audio sent plays out; each chunk is encoded and sent. If the client goes away the
response stops pulling, the stream is closed, and no further sentence is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import Any, TypeVar

import numpy as np
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from agent_server.api.bodies import parse
from agent_server.api.common import ctx_of, json_body, principal
from agent_server.api.schemas import SpeechRequest
from agent_server.context import ServerContext
from agent_server.cpu import Due
from agent_server.errors import BadRequest
from agent_server.profiles import ResolvedVoice
from agent_server.rate_limits import Lease
from agent_server.speech_stream import SpeechClock, speak
from voices.encode import MEDIA_TYPES, StreamEncoder, encode_all
from voices.synthesis import OUTPUT_RATE, plan
from voices.text_normalize import SpokenTooLongError

T = TypeVar("T")
Chunks = AsyncGenerator[tuple[int, np.ndarray], None]
PLAN_INLINE_CHARS = 256


def _parse(body: dict[str, Any], max_chars: int) -> SpeechRequest:
    req = parse(SpeechRequest, body)
    if len(req.input) > max_chars:  # the limit is configured, so it is checked here, not in the schema
        raise BadRequest(f"'input' is {len(req.input)} characters; the maximum is {max_chars}. "
                         "Split the text into several requests.", param="input", code="input_too_long")
    return req


async def speech(request: Request) -> Response:
    ctx = ctx_of(request)
    asked = ctx.sched.now()  # the first chunk is due relative to this, however long the tenant's queue
    who = await principal(request, "audio:speech")
    req = _parse(await json_body(request), ctx.settings.limits.max_speech_chars)
    text, voice_id, fmt, stream = req.input, req.voice, req.response_format or "wav", req.stream
    speed = 1.0 if req.speed is None else req.speed
    voice = await ctx.profiles.resolve(who.tenant, voice_id)
    try:
        pieces = [(0, piece) for piece in await _plan(ctx, who.tenant, text, speed)]
    except SpokenTooLongError as exc:
        raise BadRequest(f"'input' is too long to speak: {exc}.", param="input", code="input_too_long") from exc
    except ValueError as exc:
        raise BadRequest(f"Nothing to speak: {exc}.", param="input", code="invalid_input") from exc
    # From here the work is the tenant's queue place, then synthesis: the client leaving
    # cancels it at once, so an abandoned request costs no sentence after it left (an
    # unstreamed one nobody would receive, a queued one whose turn comes later).
    return await while_connected(request, _speak(ctx, who.tenant, pieces, voice, speed, fmt, stream, asked))


async def _speak(ctx: ServerContext, tenant: str, pieces: list[tuple[int, str]],
                 voice: ResolvedVoice, speed: float, fmt: str, stream: bool, asked: float) -> Response:
    lim = ctx.settings.limits
    lease = await ctx.limiter.acquire_queued(
            "speech_limit", tenant, lim.speech_in_flight_per_tenant, lim.speech_queue_per_tenant,
            lim.speech_queue_timeout_s,
            f"This tenant has {lim.speech_in_flight_per_tenant} speech requests synthesising and "
            f"{lim.speech_queue_per_tenant} waiting (its limits); retry after the Retry-After seconds.")
    clock = SpeechClock(ctx.sched, tenant, asked)
    chunks = speak(pieces, voice.clone, speed, clock.run)
    try:
        return await _answer(ctx, clock, chunks, voice.id, fmt, stream, lease)
    except BaseException:
        await chunks.aclose()
        await ctx.limiter.release(lease)
        raise


async def while_connected(request: Request, work: Awaitable[T]) -> T:
    """``work``'s result, or :class:`ClientGone` as soon as the client disconnects, with
    ``work`` cancelled (and waited for, so its ``finally`` blocks give back what it held).
    For the time before an answer starts: the request body is read by then, so the only
    message left to receive is the disconnect; a streamed answer is watched by Starlette."""
    task = asyncio.ensure_future(work)

    async def gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(gone())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    if task.cancelled():
        raise ClientGone
    return task.result()


async def _plan(ctx: ServerContext, tenant: str, text: str, speed: float) -> list[str]:
    """The text's pieces. Spelling numbers out is pure Python whose time grows with the
    input (~60 ms for 4096 characters of long numbers, refused only once spelled out), so
    a long input is planned as its tenant's CPU job, not on the event loop every request
    shares; a sentence or two is planned at once (well under a millisecond)."""
    if len(text) <= PLAN_INLINE_CHARS:
        return plan(text, speed)
    return await ctx.sched.run(ctx.sched.now() + Due.SPEECH_FIRST_S, "plan", plan, text, speed, tenant=tenant)


async def _answer(ctx: ServerContext, clock: SpeechClock, chunks: Chunks, voice_id: str,
                  fmt: str, stream: bool, lease: Lease) -> Response:
    started = time.perf_counter()
    # The first sentence is made before answering, so a failure is still a clean 4xx
    # and time-to-first-byte is the first sentence's synthesis, not the whole text.
    try:
        first = await anext(chunks, None)
    except ValueError as exc:
        raise BadRequest(f"Nothing to speak: {exc}.", param="input", code="invalid_input") from exc
    ctx.metrics.speech_seconds.observe(time.perf_counter() - started)
    headers = {"X-Voice-Id": voice_id, "Cache-Control": "no-store"}
    if not stream:
        parts, item = [], first
        while item is not None:
            clock.sent(item[1])
            parts.append(item[1])
            item = await anext(chunks, None)
        audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        body = await clock.run(encode_all, audio, fmt, OUTPUT_RATE)
        await ctx.limiter.release(lease)
        return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
    return StreamingResponse(_stream(ctx, clock, chunks, first, fmt, lease), media_type=MEDIA_TYPES[fmt],
                             headers=headers)


class ClientGone(BadRequest):
    """The client left before a whole (non-streamed) answer was made: nothing to send."""

    def __init__(self) -> None:
        super().__init__("The client disconnected.", code="client_disconnected")


# Formats whose readers need the length in the header: libsndfile (soundfile) cannot
# read a FLAC whose STREAMINFO says "unknown length" (it fails seeking to the end), so a
# streamed FLAC is sent once complete, with the exact length. WAV keeps the open-ended
# header OpenAI streams, which every reader accepts.
_WHOLE_WHEN_STREAMED = {"flac"}


async def _stream(ctx: ServerContext, clock: SpeechClock, chunks: Chunks, first: tuple[int, np.ndarray] | None,
                  fmt: str, lease: Lease) -> AsyncIterator[bytes]:
    encoder = StreamEncoder(fmt, OUTPUT_RATE, exact_length=fmt in _WHOLE_WHEN_STREAMED)
    try:
        item = first
        while item is not None:
            clock.sent(item[1])
            data = await clock.run(encoder.feed, item[1])
            if data:
                yield data
            item = await anext(chunks, None)
        tail = await clock.run(encoder.finish)
        if tail:
            yield tail
    finally:
        await chunks.aclose()
        await ctx.limiter.release(lease)


routes = [Route("/v1/audio/speech", speech, methods=["POST"])]
