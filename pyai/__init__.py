"""Python SDK for the self-hosted PyAI voice server.

``from pyai import PyAI`` is all most code needs; errors and result types are exported
here too so callers never import from private modules.
"""

__version__ = "0.1.0"

from pyai.client import AsyncPyAI, PyAI
from pyai.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PyAIError,
    RateLimitError,
    UnprocessableEntityError,
)
from pyai.types import Agent, DeletedObject, Page, Voice, VoiceFailure, VoiceQuality

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Agent",
    "AsyncPyAI",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DeletedObject",
    "InternalServerError",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PyAI",
    "PyAIError",
    "RateLimitError",
    "UnprocessableEntityError",
    "Voice",
    "VoiceFailure",
    "VoiceQuality",
    "__version__",
]
