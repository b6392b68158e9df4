"""`POST /v1/audio/speech`: OpenAI-compatible text to speech, streamed by sentence.

Synthesis is a blocking generator (Piper, then conversion to the cloned voice); each
sentence is pulled in the CPU pool, encoded, and sent. If the client goes away the
response stops pulling, the generator is closed, and no further sentence is made.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from agent_server.api.common import ctx_of, json_body, principal
from agent_server.context import ServerContext
from agent_server.errors import BadRequest
from voices.encode import FORMATS, MEDIA_TYPES, StreamEncoder, encode_all
from voices.synthesis import MAX_SPEED, MIN_SPEED, OUTPUT_RATE, synthesize_stream

_DONE = object()


def _next(gen: Iterator[np.ndarray]) -> Any:
    return next(gen, _DONE)


def _parse(body: dict[str, Any], max_chars: int) -> tuple[str, str, str, float, bool]:
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("'input' is required: the text to speak (1 to 4096 characters).", param="input")
    if len(text) > max_chars:
        raise BadRequest(f"'input' is {len(text)} characters; the maximum is {max_chars}. "
                         "Split the text into several requests.", param="input", code="input_too_long")
    voice = body.get("voice")
    if not isinstance(voice, str) or not voice:
        raise BadRequest("'voice' is required: a stock voice id (joe) or a ready clone id.", param="voice")
    fmt = body.get("response_format", "wav") or "wav"
    if fmt not in FORMATS:
        raise BadRequest(f"Unknown response_format '{fmt}'; use one of {', '.join(FORMATS)}.",
                         param="response_format", code="invalid_format")
    speed = body.get("speed", 1.0)
    if speed is None:
        speed = 1.0
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not (MIN_SPEED <= speed <= MAX_SPEED):
        raise BadRequest(f"'speed' must be a number from {MIN_SPEED} to {MAX_SPEED}.", param="speed",
                         code="invalid_speed")
    stream = body.get("stream", True)
    if not isinstance(stream, bool):
        raise BadRequest("'stream' must be true or false.", param="stream")
    return text, voice, fmt, float(speed), stream


async def speech(request: Request) -> Response:
    ctx = ctx_of(request)
    who = await principal(request, "audio:speech")
    text, voice_id, fmt, speed, stream = _parse(await json_body(request), ctx.settings.limits.max_speech_chars)
    voice = await ctx.profiles.resolve(who.tenant, voice_id)
    try:
        gen = synthesize_stream(text, voice.profile, speed)
    except ValueError as exc:
        raise BadRequest(f"Nothing to speak: {exc}.", param="input", code="invalid_input") from exc
    started = time.perf_counter()
    # The first sentence is made before answering, so a failure is still a clean 4xx
    # and time-to-first-byte is the first sentence's synthesis, not the whole text.
    try:
        first = await ctx.run_cpu(_next, gen)
    except ValueError as exc:
        gen.close()
        raise BadRequest(f"Nothing to speak: {exc}.", param="input", code="invalid_input") from exc
    ctx.metrics.speech_seconds.observe(time.perf_counter() - started)
    headers = {"X-Voice-Id": voice.id, "Cache-Control": "no-store"}
    if not stream:
        chunks = [] if first is _DONE else [first]
        while (nxt := await ctx.run_cpu(_next, gen)) is not _DONE:
            chunks.append(nxt)
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        body = await ctx.run_cpu(encode_all, audio, fmt, OUTPUT_RATE)
        return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
    return StreamingResponse(_stream(ctx, gen, first, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


async def _stream(ctx: ServerContext, gen: Iterator[np.ndarray], first: Any, fmt: str) -> AsyncIterator[bytes]:
    encoder = StreamEncoder(fmt, OUTPUT_RATE)
    try:
        chunk = first
        while chunk is not _DONE:
            data = encoder.feed(chunk)
            if data:
                yield data
            chunk = await ctx.run_cpu(_next, gen)
        tail = encoder.finish()
        if tail:
            yield tail
    finally:
        gen.close()


routes = [Route("/v1/audio/speech", speech, methods=["POST"])]
