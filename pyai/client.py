"""The entry points: :class:`PyAI` and its async twin :class:`AsyncPyAI`.

Both share one configuration resolver (arguments, then ``PYAI_API_KEY`` /
``PYAI_BASE_URL``, then the default local server) and one retry policy; they differ only
in the HTTP client they drive, so behaviour cannot drift between them.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from pyai._transport import DEFAULT_MAX_RETRIES, AsyncTransport, ClientConfig, SyncTransport
from pyai.resources.agents import Agents, AsyncAgents
from pyai.resources.audio import AsyncAudio, Audio
from pyai.resources.voice import AsyncVoiceResource, VoiceResource

__all__ = ["AsyncPyAI", "PyAI"]


class PyAI:
    """Synchronous client.

    >>> pyai = PyAI(api_key="sk-...", base_url="http://127.0.0.1:8000")
    >>> voice = pyai.voice.clones.create(name="Ava", file="reference.wav")

    ``base_url`` may end in ``/v1`` or not. ``max_retries`` counts retries after the
    first attempt. Pass ``http_client`` to control proxies, TLS or transports; the
    client then leaves closing it to you.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        config = ClientConfig.resolve(api_key, base_url, timeout, max_retries, default_headers)
        self._transport = SyncTransport(config, http_client)
        self.voice = VoiceResource(self._transport)
        self.audio = Audio(self._transport)
        self.agents = Agents(self._transport)

    @property
    def base_url(self) -> str:
        return self._transport.config.base_url

    @property
    def max_retries(self) -> int:
        return self._transport.config.max_retries

    def close(self) -> None:
        """Release pooled connections (also done by ``with PyAI() as pyai:``)."""
        self._transport.close()

    def __enter__(self) -> PyAI:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncPyAI:
    """Asynchronous client with the same surface; every call is awaited.

    ``list()`` returns an async pager: ``async for voice in pyai.voice.clones.list()``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        config = ClientConfig.resolve(api_key, base_url, timeout, max_retries, default_headers)
        self._transport = AsyncTransport(config, http_client)
        self.voice = AsyncVoiceResource(self._transport)
        self.audio = AsyncAudio(self._transport)
        self.agents = AsyncAgents(self._transport)

    @property
    def base_url(self) -> str:
        return self._transport.config.base_url

    @property
    def max_retries(self) -> int:
        return self._transport.config.max_retries

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> AsyncPyAI:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
