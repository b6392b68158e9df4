"""`/v1/voice/clones`: upload a reference clip, watch it go pending → ready | failed."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent_server.api.agents import agents_using_voice
from agent_server.api.common import ctx_of, page_params, principal, read_body
from agent_server.api.schemas import MAX_NAME
from agent_server.cpu import Due
from agent_server.errors import BadRequest, InvalidAudio, NotFound, PayloadTooLarge, UnsupportedMediaType
from agent_server.ids import new_id
from api_contract import FAILURES
from voices.audio_io import AudioDecodeError, AudioTooLongError, decode

KIND = "voice"


def ref_blob(voice_id: str) -> str:
    return f"ref/{voice_id}"


def profile_blob(voice_id: str) -> str:
    return f"profile/{voice_id}"


async def _read_limited(request: Request, limit: int) -> None:
    """Read the body into memory, refusing as soon as it passes the limit, so a 2 GB
    upload costs us 25 MB at most. Starlette's form parser then reads the cached body."""
    too_large = PayloadTooLarge(f"The upload is larger than {limit // (1024 * 1024)} MB.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    request._body = await read_body(request, limit, too_large)  # Starlette reads its cached body


async def create_clone(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "voice:clone")
    if not request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        raise UnsupportedMediaType("Upload the clip as multipart/form-data with fields 'name' and 'file'.")
    uploads = ctx.settings.limits.max_concurrent_uploads
    lease = await ctx.limiter.acquire_local(
        "upload_limit", uploads, f"This server is reading {uploads} uploads at once (its limit); retry shortly.")
    try:
        return await _create(request, who.tenant)
    finally:
        await ctx.limiter.release(lease)


async def _create(request: Request, tenant: str) -> JSONResponse:
    ctx = ctx_of(request)
    limit = ctx.settings.limits.max_upload_bytes
    await _read_limited(request, limit)
    try:
        form = await request.form(max_files=2, max_fields=10, max_part_size=limit)
    except Exception as exc:  # malformed multipart of any kind is the client's problem
        raise BadRequest(f"The multipart body could not be parsed: {exc}", code="invalid_multipart") from exc
    try:
        name = form.get("name")
        upload = form.get("file")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("The 'name' field is required.", param="name", code="missing_name")
        name = name.strip()
        if len(name) > MAX_NAME:
            raise BadRequest(f"'name' must be 1 to {MAX_NAME} characters.", param="name", code="invalid_name")
        if not isinstance(upload, UploadFile):
            raise BadRequest("The 'file' field (the audio clip) is required.", param="file", code="missing_file")
        data = await upload.read()
    finally:
        await form.close()
    if not data:
        raise InvalidAudio("The uploaded file is empty.")
    try:
        await ctx.sched.run(ctx.sched.now() + Due.DECODE_S, "decode",
                            partial(decode, data, max_duration_s=ctx.settings.limits.max_audio_s),
                            tenant=tenant)
    except AudioTooLongError as exc:
        raise InvalidAudio(str(exc), code="audio_too_long") from exc
    except AudioDecodeError as exc:
        raise InvalidAudio(
            f"Unreadable audio: {exc}. Upload WAV, FLAC, OGG/Opus, MP3, M4A/AAC or WebM."
        ) from exc
    voice_id = new_id("voice")
    doc = {
        "id": voice_id, "object": "voice", "name": name, "status": "pending",
        "created_at": int(time.time()), "language": "en", "failure": None, "quality": None,
    }
    await ctx.store.put_blob(ref_blob(voice_id), data)
    await ctx.store.insert_with_job(tenant, voice_id, doc)
    worker = ctx.extras.get("worker")
    if worker is not None:
        worker.wake()
    return JSONResponse(doc, status_code=201)


def shown(doc: dict[str, Any]) -> dict[str, Any]:
    """A voice as the API answers it: a failure carries the guide's fix for its code (from
    api_contract), so the console and other clients keep no copy of that table."""
    failure = doc.get("failure")
    if isinstance(failure, dict) and failure.get("code") in FAILURES:
        return {**doc, "failure": {**failure, "fix": FAILURES[failure["code"]].fix}}
    return doc


async def get_clone(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "voice:read")
    doc = await ctx.store.get(KIND, who.tenant, request.path_params["voice_id"])
    if doc is None:
        raise NotFound("No such voice.", code="voice_not_found")
    return JSONResponse(shown(doc))


async def list_clones(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "voice:read")
    limit, after = page_params(request, ctx.settings.limits.max_list_limit)
    page = await ctx.store.list(KIND, who.tenant, limit, after)
    return JSONResponse({"object": "list", "data": [shown(d) for d in page.data], "has_more": page.has_more})


async def delete_clone(request: Request) -> JSONResponse:
    ctx = ctx_of(request)
    who = await principal(request, "voice:clone")
    voice_id = request.path_params["voice_id"]
    if not await ctx.store.delete(KIND, who.tenant, voice_id):
        raise NotFound("No such voice.", code="voice_not_found")
    await ctx.store.complete_job(voice_id)
    await ctx.store.delete_blob(ref_blob(voice_id))
    await ctx.store.delete_blob(profile_blob(voice_id))
    ctx.profiles.invalidate(voice_id)
    # Deleting a voice in use is allowed; the answer names the agents now without one.
    agents = await agents_using_voice(ctx, who.tenant, voice_id)
    return JSONResponse({"id": voice_id, "object": "voice", "deleted": True, "agents": agents})


async def clones(request: Request) -> JSONResponse:
    return await (create_clone if request.method == "POST" else list_clones)(request)


async def clone(request: Request) -> JSONResponse:
    return await (delete_clone if request.method == "DELETE" else get_clone)(request)


routes = [
    Route("/v1/voice/clones", clones, methods=["GET", "POST"]),
    Route("/v1/voice/clones/{voice_id}", clone, methods=["GET", "DELETE"]),
]
