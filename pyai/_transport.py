"""HTTP plumbing shared by the sync and async clients: config, retries, error mapping.

Retry rules (why they are what they are):

* A request that never reached the server (connect error, connect/pool timeout) is
  always safe to resend.
* Idempotent requests (GET, DELETE, an agent PATCH, and speech synthesis, which has no
  side effects) are retried on 408, 429, any 5xx and any transport error.
* A non-idempotent POST (creating a voice or an agent) is never retried on a 4xx,
  429 included, and on 5xx only for 502/503/504, the statuses a proxy or an overloaded
  server gives before the app ran; a 500 or a connection that broke mid-answer may
  already have created the object, and a silent duplicate is worse than an error.

Backoff is exponential (0.5 s, 1 s, 2 s, ... capped at 8 s) with jitter so a fleet of
clients does not retry in lockstep; a ``Retry-After`` header from the server wins.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from pyai import __version__
from pyai.errors import APIConnectionError, APITimeoutError, PyAIError, error_for_response

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_MAX_RETRIES = 2
# Speech streams while sentences are synthesized and an upload may be 25 MB on a slow
# link, so the read timeout is generous; connecting should still fail fast.
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)

_INITIAL_BACKOFF_S = 0.5
_MAX_BACKOFF_S = 8.0
_MAX_RETRY_AFTER_S = 60.0
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_PROXY_STATUSES = frozenset({502, 503, 504})
# Raised before any byte of the request left this machine.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def normalize_base_url(url: str) -> str:
    """Accept ``http://host:8000``, ``.../`` and ``.../v1`` alike.

    Users copy the OpenAI-style ``.../v1`` base from other clients; paths here always
    start with ``/v1``, so a trailing ``/v1`` is dropped rather than doubled.
    """
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    if not url.startswith(("http://", "https://")):
        raise PyAIError(f"base_url must start with http:// or https://, got {url!r}")
    return url


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs, resolved once from arguments and environment."""

    # repr=False: a logged or printed config must not leak the key.
    api_key: str = field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def resolve(
        cls,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: dict[str, str] | None,
    ) -> ClientConfig:
        key = api_key if api_key is not None else os.environ.get("PYAI_API_KEY")
        if not key:
            raise PyAIError(
                "No API key: pass api_key=... or set PYAI_API_KEY "
                "(the server writes its first key to <data dir>/bootstrap-key.txt)."
            )
        url = base_url or os.environ.get("PYAI_BASE_URL") or DEFAULT_BASE_URL
        if max_retries < 0:
            raise PyAIError("max_retries must be >= 0")
        if timeout is None:
            resolved_timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            resolved_timeout = timeout
        else:
            resolved_timeout = httpx.Timeout(timeout)
        headers = {
            "Authorization": f"Bearer {key}",
            "User-Agent": f"pyai-python/{__version__}",
            "Accept": "application/json",
            **(default_headers or {}),
        }
        return cls(key, normalize_base_url(url), resolved_timeout, max_retries, headers)


@dataclass(frozen=True)
class RequestOptions:
    """One API call, described as data so that every retry can rebuild it identically.

    ``files`` must hold bytes, not open files, for that reason.
    """

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    idempotent: bool | None = None

    @property
    def is_idempotent(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method.upper() in _IDEMPOTENT_METHODS


def _should_retry_status(status: int, idempotent: bool) -> bool:
    if idempotent:
        return status in (408, 429) or status >= 500
    return status in _PROXY_STATUSES


def _should_retry_error(exc: httpx.TransportError, idempotent: bool) -> bool:
    return idempotent or isinstance(exc, _NOT_SENT_ERRORS)


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        seconds = email.utils.mktime_tz(parsed) - time.time()
    if 0 <= seconds <= _MAX_RETRY_AFTER_S:
        return seconds
    return None


def retry_delay(attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    server_says = _retry_after(response)
    if server_says is not None:
        return server_says
    backoff = min(_INITIAL_BACKOFF_S * 2.0**attempt, _MAX_BACKOFF_S)
    return backoff * (1.0 - 0.25 * random.random())


def _connection_error(exc: httpx.TransportError) -> APIConnectionError:
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:  # httpx raises when the error was not tied to a request
        request = None
    where = f" ({request.method} {request.url})" if request is not None else ""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out{where}: {exc or type(exc).__name__}", request=request)
    return APIConnectionError(f"Connection error{where}: {exc or type(exc).__name__}", request=request)


def _build(client: httpx.Client | httpx.AsyncClient, opts: RequestOptions) -> httpx.Request:
    return client.build_request(
        opts.method,
        opts.path,
        params=opts.params,
        json=opts.json,
        data=opts.data,
        files=opts.files,
    )


class SyncTransport:
    """Sends :class:`RequestOptions` with retries over one pooled ``httpx.Client``."""

    def __init__(self, config: ClientConfig, http_client: httpx.Client | None = None) -> None:
        self.config = config
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client()
        self._client.base_url = httpx.URL(config.base_url)
        self._client.timeout = config.timeout
        self._client.headers.update(config.headers)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _send(self, opts: RequestOptions, *, stream: bool) -> httpx.Response:
        idempotent = opts.is_idempotent
        attempt = 0
        while True:
            request = _build(self._client, opts)
            try:
                response = self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt < self.config.max_retries and _should_retry_error(exc, idempotent):
                    time.sleep(retry_delay(attempt, None))
                    attempt += 1
                    continue
                raise _connection_error(exc) from exc
            if response.is_success:
                return response
            try:
                response.read()
            finally:
                response.close()
            if attempt < self.config.max_retries and _should_retry_status(response.status_code, idempotent):
                time.sleep(retry_delay(attempt, response))
                attempt += 1
                continue
            raise error_for_response(response)

    def request(self, opts: RequestOptions) -> httpx.Response:
        """Send and read the whole body; raises the mapped error on non-2xx."""
        return self._send(opts, stream=False)

    def request_json(self, opts: RequestOptions) -> Any:
        return _json(self.request(opts))

    @contextmanager
    def stream(self, opts: RequestOptions) -> Iterator[httpx.Response]:
        """A 2xx response whose body is not read yet; retries happen before it opens."""
        response = self._send(opts, stream=True)
        try:
            yield response
        except httpx.TransportError as exc:
            raise _connection_error(exc) from exc
        finally:
            response.close()


class AsyncTransport:
    """The async twin of :class:`SyncTransport`, over ``httpx.AsyncClient``."""

    def __init__(self, config: ClientConfig, http_client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient()
        self._client.base_url = httpx.URL(config.base_url)
        self._client.timeout = config.timeout
        self._client.headers.update(config.headers)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _send(self, opts: RequestOptions, *, stream: bool) -> httpx.Response:
        idempotent = opts.is_idempotent
        attempt = 0
        while True:
            request = _build(self._client, opts)
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt < self.config.max_retries and _should_retry_error(exc, idempotent):
                    await anyio.sleep(retry_delay(attempt, None))
                    attempt += 1
                    continue
                raise _connection_error(exc) from exc
            if response.is_success:
                return response
            try:
                await response.aread()
            finally:
                await response.aclose()
            if attempt < self.config.max_retries and _should_retry_status(response.status_code, idempotent):
                await anyio.sleep(retry_delay(attempt, response))
                attempt += 1
                continue
            raise error_for_response(response)

    async def request(self, opts: RequestOptions) -> httpx.Response:
        return await self._send(opts, stream=False)

    async def request_json(self, opts: RequestOptions) -> Any:
        return _json(await self.request(opts))

    @asynccontextmanager
    async def stream(self, opts: RequestOptions) -> AsyncIterator[httpx.Response]:
        response = await self._send(opts, stream=True)
        try:
            yield response
        except httpx.TransportError as exc:
            raise _connection_error(exc) from exc
        finally:
            await response.aclose()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PyAIError(
            f"Expected JSON from {response.request.method} {response.request.url.path}, "
            f"got {response.headers.get('content-type', 'no content type')}"
        ) from exc
