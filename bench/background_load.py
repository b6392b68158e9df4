"""The background work of a busy server, for the mixed-load bench: cloned speech
streaming and clips enrolling, each started again as soon as it ends."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

SPEECH_TEXT = ("Thank you for calling. Your order left our warehouse this morning and should arrive on "
               "Thursday. If you are not at home, the driver will leave it with a neighbour. "
               "You can change the delivery day on our website at any time.")


@dataclass
class Load:
    """What the mixed phase's background work did."""

    ttfb: list[float] = field(default_factory=list)
    speech_done: int = 0
    enrolled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def speech_once(client: httpx.AsyncClient, voice: str, load: Load) -> None:
    t0 = time.perf_counter()
    async with client.stream("POST", "/v1/audio/speech", json={
            "model": "tts-1", "voice": voice, "input": SPEECH_TEXT, "response_format": "pcm"}) as r:
        if r.status_code != 200:
            load.errors.append(f"speech {r.status_code}: {(await r.aread())[:200]!r}")
            return
        first = None
        async for chunk in r.aiter_bytes():
            if first is None and chunk:
                first = time.perf_counter()
                load.ttfb.append((first - t0) * 1000)
    load.speech_done += 1


async def speech_streams(client: httpx.AsyncClient, voice: str, load: Load, streams: int,
                         stop: asyncio.Event | None, rounds: int = 1) -> None:
    """``streams`` concurrent speech requests, each followed by another until ``stop``
    (or for ``rounds`` requests each)."""

    async def one() -> None:
        done = 0
        while (stop is None and done < rounds) or (stop is not None and not stop.is_set()):
            await speech_once(client, voice, load)
            done += 1

    await asyncio.gather(*(one() for _ in range(streams)))


async def enrollments(client: httpx.AsyncClient, clips: list[bytes], load: Load, stop: asyncio.Event) -> None:
    """Each clip enrolled, deleted once ready or failed, and uploaded again, until ``stop``."""

    async def one(clip: bytes) -> None:
        while not stop.is_set():
            r = await client.post("/v1/voice/clones", data={"name": "bench load"}, files={"file": ("c.wav", clip)})
            if r.status_code != 201:
                load.errors.append(f"clone upload {r.status_code}: {r.text[:200]}")
                return
            vid = r.json()["id"]
            while (doc := (await client.get(f"/v1/voice/clones/{vid}")).json())["status"] == "pending":
                await asyncio.sleep(0.2)
            load.enrolled.append(doc["status"])
            await client.delete(f"/v1/voice/clones/{vid}")

    await asyncio.gather(*(one(c) for c in clips))
