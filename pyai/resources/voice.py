"""``pyai.voice.clones``: enroll, inspect, list and delete cloned voices."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import anyio

from pyai._transport import AsyncTransport, RequestOptions, SyncTransport
from pyai.pagination import AsyncPager, SyncPager, parse_page
from pyai.resources._files import FileInput, read_upload
from pyai.types import DeletedObject, Page, Voice

__all__ = ["AsyncClones", "AsyncVoiceResource", "Clones", "VoiceResource"]

_CLONES = "/v1/voice/clones"


def _item_path(voice_id: str) -> str:
    # An empty id would silently hit the list endpoint; quoting keeps a stray "/" or
    # "?" in a user-supplied id from reaching another route.
    if not voice_id:
        raise ValueError("voice_id must be a non-empty string")
    return f"{_CLONES}/{quote(voice_id, safe='')}"


def _create_options(name: str, file: FileInput, filename: str | None) -> RequestOptions:
    return RequestOptions("POST", _CLONES, data={"name": name}, files={"file": read_upload(file, filename)})


def _list_options(limit: int, after: str | None) -> RequestOptions:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return RequestOptions("GET", _CLONES, params=params)


class Clones:
    """Cloned voices of the key's tenant (``/v1/voice/clones``)."""

    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def create(self, name: str, file: FileInput, *, filename: str | None = None) -> Voice:
        """Upload a reference clip; the voice starts ``pending`` while the gate runs.

        ``file`` is an open binary file, bytes, a path, or ``(filename, bytes)``.
        Not retried on 4xx (see :mod:`pyai._transport`): a retry could enroll twice.
        """
        return Voice.from_dict(self._t.request_json(_create_options(name, file, filename)))

    def get(self, voice_id: str) -> Voice:
        return Voice.from_dict(self._t.request_json(RequestOptions("GET", _item_path(voice_id))))

    def list(self, *, limit: int = 20, after: str | None = None) -> SyncPager[Voice]:
        """Newest first; iterating fetches further pages as needed."""

        def fetch(cursor: str | None) -> Page[Voice]:
            return parse_page(self._t.request_json(_list_options(limit, cursor)), Voice.from_dict)

        return SyncPager(fetch, after)

    def delete(self, voice_id: str) -> DeletedObject:
        body = self._t.request_json(RequestOptions("DELETE", _item_path(voice_id)))
        return DeletedObject.from_dict(body)

    def wait(self, voice_id: str, *, timeout: float = 120.0, poll_interval: float = 1.0) -> Voice:
        """Poll until the voice is ``ready`` or ``failed`` and return it.

        A failed voice is returned, not raised: failing the quality gate is an expected
        outcome whose ``failure`` the caller wants to show. Raises ``TimeoutError``.
        """
        deadline = time.monotonic() + timeout
        while True:
            voice = self.get(voice_id)
            if voice.done:
                return voice
            if time.monotonic() >= deadline:
                raise TimeoutError(f"voice {voice_id} still {voice.status} after {timeout:g} s")
            time.sleep(poll_interval)


class AsyncClones:
    """The async twin of :class:`Clones`."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport

    async def create(self, name: str, file: FileInput, *, filename: str | None = None) -> Voice:
        return Voice.from_dict(await self._t.request_json(_create_options(name, file, filename)))

    async def get(self, voice_id: str) -> Voice:
        return Voice.from_dict(await self._t.request_json(RequestOptions("GET", _item_path(voice_id))))

    def list(self, *, limit: int = 20, after: str | None = None) -> AsyncPager[Voice]:
        async def fetch(cursor: str | None) -> Page[Voice]:
            body = await self._t.request_json(_list_options(limit, cursor))
            return parse_page(body, Voice.from_dict)

        return AsyncPager(fetch, after)

    async def delete(self, voice_id: str) -> DeletedObject:
        body = await self._t.request_json(RequestOptions("DELETE", _item_path(voice_id)))
        return DeletedObject.from_dict(body)

    async def wait(self, voice_id: str, *, timeout: float = 120.0, poll_interval: float = 1.0) -> Voice:
        deadline = time.monotonic() + timeout
        while True:
            voice = await self.get(voice_id)
            if voice.done:
                return voice
            if time.monotonic() >= deadline:
                raise TimeoutError(f"voice {voice_id} still {voice.status} after {timeout:g} s")
            await anyio.sleep(poll_interval)


class VoiceResource:
    """``pyai.voice``: a namespace, as in the URL ``/v1/voice/...``."""

    def __init__(self, transport: SyncTransport) -> None:
        self.clones = Clones(transport)


class AsyncVoiceResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self.clones = AsyncClones(transport)
