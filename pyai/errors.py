"""Exceptions raised by the SDK.

One class per HTTP status family, so callers can ``except NotFoundError`` instead of
comparing numbers; each carries the server's machine-readable ``code`` (for example
``voice_not_ready``) because the status alone is too coarse to act on (a 409 can mean
several things). The status-to-class mapping lives in :func:`error_for_response`, the
one place that knows it.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PyAIError",
    "RateLimitError",
    "UnprocessableEntityError",
    "error_for_response",
]


class PyAIError(Exception):
    """Base of every exception the SDK raises, so one ``except`` catches them all."""

    status_code: int | None = None
    code: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(PyAIError):
    """The server could not be reached, or the connection broke before an answer.

    Raised only after the configured retries are spent.
    """

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out; a subclass so ``except APIConnectionError`` covers it."""


class APIStatusError(PyAIError):
    """The server answered with a non-2xx status.

    ``type``, ``code`` and ``message`` come from the contract's error body
    ``{"error": {"type", "code", "message"}}``; ``body`` keeps the parsed JSON (or the
    raw text when a proxy in front of the server answered with something else).
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
        code: str | None = None,
        type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.code = code
        self.type = type
        self.param: str | None = None  # the offending request field, when the server names one
        self.request_id = response.headers.get("x-request-id")

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.status_code}{code}: {self.message}"


class BadRequestError(APIStatusError):
    """400: the request itself is wrong (e.g. ``invalid_audio``, empty input)."""


class AuthenticationError(APIStatusError):
    """401: no API key, or one the server does not know."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but lacks the scope (e.g. ``voice:clone``)."""


class NotFoundError(APIStatusError):
    """404: no such object, or it belongs to another tenant (never revealed as 403)."""


class ConflictError(APIStatusError):
    """409: the object is not in a state that allows this (e.g. ``voice_not_ready``)."""


class PayloadTooLargeError(APIStatusError):
    """413: the upload is over the server's limit (25 MB by default)."""


class UnprocessableEntityError(BadRequestError):
    """422: well-formed but semantically invalid; a BadRequestError for simple handlers."""


class RateLimitError(APIStatusError):
    """429: too many requests; retried automatically where that is safe."""


class InternalServerError(APIStatusError):
    """5xx: the server failed; retried automatically."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for_response(response: httpx.Response) -> APIStatusError:
    """Build the exception for a non-2xx response whose body has been read."""
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        message = str(err.get("message") or response.reason_phrase or "error")
        code = err.get("code")
        err_type = err.get("type")
        param = err.get("param")
    else:
        text = body if isinstance(body, str) else ""
        message = text.strip()[:500] or response.reason_phrase or f"HTTP {response.status_code}"
        code = None
        err_type = None
        param = None
    status = response.status_code
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    exc = cls(
        message,
        response=response,
        body=body,
        code=str(code) if code is not None else None,
        type=str(err_type) if err_type is not None else None,
    )
    exc.param = str(param) if param is not None else None
    return exc
