"""One exception per public error code, mapped to an HTTP answer in one place."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import JSONResponse


class ApiError(Exception):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.param = param
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}

    def to_response(self) -> JSONResponse:
        body: dict[str, object] = {"type": self.type, "code": self.code, "message": self.message}
        if self.param:
            body["param"] = self.param
        return JSONResponse({"error": body}, status_code=self.status, headers=self.headers)


class BadRequest(ApiError):
    status = 400


class InvalidAudio(ApiError):
    status = 400
    code = "invalid_audio"


class Unauthorized(ApiError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class Forbidden(ApiError):
    status = 403
    type = "permission_error"
    code = "insufficient_scope"


class NotFound(ApiError):
    status = 404
    type = "not_found_error"
    code = "not_found"


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    type = "conflict_error"
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class RequestTimeout(ApiError):
    """408: the request body came too slowly; the connection is closed after the answer."""

    status = 408
    code = "body_timeout"

    @property
    def headers(self) -> dict[str, str]:
        return {**super().headers, "Connection": "close"}


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(ApiError):
    """Always says which limit (``code``) and when to come back (``Retry-After``)."""

    status = 429
    type = "rate_limit_error"
    code = "rate_limited"

    def __init__(self, message: str, *, code: str, retry_after: float, param: str | None = None) -> None:
        super().__init__(message, code=code, param=param, retry_after=retry_after)


class ServiceUnavailable(ApiError):
    status = 503
    type = "server_error"
    code = "not_ready"


class StoreUnavailable(ServiceUnavailable):
    code = "store_unavailable"


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.to_response()


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    from starlette.exceptions import HTTPException

    assert isinstance(exc, HTTPException)
    codes = {404: ("not_found_error", "not_found"), 405: ("invalid_request_error", "method_not_allowed")}
    typ, code = codes.get(exc.status_code, ("invalid_request_error", "http_error"))
    return JSONResponse(
        {"error": {"type": typ, "code": code, "message": str(exc.detail)}},
        status_code=exc.status_code,
    )


STORE_RETRY_S = 2.0


def store_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the store (Redis) is unreachable or not answering."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


def store_unavailable() -> StoreUnavailable:
    return StoreUnavailable("The data store is unreachable; retry in a few seconds.", retry_after=STORE_RETRY_S)


async def store_error_handler(request: Request, exc: Exception) -> JSONResponse:
    return store_unavailable().to_response()


async def client_gone_handler(request: Request, exc: Exception) -> JSONResponse:
    """The client left while its body was being read: nobody will read this answer, and
    it is no server fault (no traceback)."""
    return BadRequest("The client disconnected before its request was read.", code="client_disconnected").to_response()


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if store_error(exc):
        return store_unavailable().to_response()
    return JSONResponse(
        {"error": {"type": "server_error", "code": "internal_error",
                   "message": "The server hit an unexpected error; the request can be retried."}},
        status_code=500,
    )
