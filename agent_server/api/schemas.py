"""The HTTP API's objects as pydantic models: request bodies are validated by them and
``/openapi.json`` is generated from them, so the two cannot drift apart.

Request bodies refuse unknown fields and take JSON types as they are (strict: ``"1"``
is not a number, ``1`` is not ``true``). Each field may carry a :class:`Refusal` that
says which public error code and message a bad value gets (API.md's codes);
:mod:`agent_server.api.bodies` turns a validation error into that answer. Response
models describe what the server sends and stay open: API.md lets objects grow.

Pydantic over msgspec: its validation errors are structured (location, error type, the
constraint that failed), which is what mapping them onto the contract's codes and
messages needs, and its JSON Schema output is the 2020-12 dialect OpenAPI 3.1 uses. It
is already installed (typer depends on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api_contract import FAILURE_CODES, QualityValues
from voices.encode import FORMATS
from voices.synthesis import MAX_SPEED, MIN_SPEED

# The agent text limits. The embedded responder embeds every sentence of the knowledge
# text at a session's first question: 32k characters (~300 sentences) take about a
# second on one core.
MAX_NAME = 100
MAX_GREETING = 4096
MAX_INSTRUCTIONS = 32768
MAX_KNOWLEDGE = 32768


@dataclass(frozen=True)
class Refusal:
    """How a bad value of one field is answered: ``code`` (or ``codes`` per pydantic
    error type), and ``message`` in place of the generic one (``{input}`` is the value
    sent); ``hint`` is appended to the generic message."""

    code: str = "invalid_request"
    message: str | None = None
    codes: dict[str, str] = field(default_factory=dict)
    hint: str = ""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class Body(BaseModel):
    """A request body: unknown fields refused, JSON types taken as they are."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Open(BaseModel):
    """A response object: documented fields, others allowed (objects may be extended)."""

    model_config = ConfigDict(extra="allow")


# ---- speech ------------------------------------------------------------------------------

ResponseFormat = Literal[FORMATS]  # type: ignore[valid-type]  # the encoder's formats, one list

class SpeechRequest(Body):
    """``POST /v1/audio/speech`` (OpenAI-compatible)."""

    input: Annotated[str, AfterValidator(_not_blank), Field(
        min_length=1, description="The text to speak (the server's limit is 4096 characters by default)."),
        Refusal(message="'input' is required: the text to speak (1 to 4096 characters).")]
    voice: Annotated[str, Field(min_length=1, description="A stock voice id (joe, or an OpenAI name) or a "
                                                          "ready clone id."),
                     Refusal(message="'voice' is required: a stock voice id (joe) or a ready clone id.")]
    model: Annotated[str | None, Field(description="Accepted and ignored (tts-1, gpt-4o-mini-tts, ...).")] = None
    instructions: Annotated[str | None, Field(description="Accepted and ignored (OpenAI's voice instructions).")] \
        = None
    response_format: Annotated[ResponseFormat | None, Field(
        description="wav (default), mp3, opus (Ogg), flac, aac, pcm (s16le mono 24 kHz), ulaw, alaw."),
                               Refusal("invalid_format", f"Unknown response_format '{{input}}'; use one of "
                                                         f"{', '.join(FORMATS)}.")] = None
    speed: Annotated[float | None, Field(ge=MIN_SPEED, le=MAX_SPEED, description="Default 1."),
                     Refusal("invalid_speed", f"'speed' must be a number from {MIN_SPEED} to {MAX_SPEED}.")] = None
    stream: Annotated[bool, Field(description="Audio bytes flow as sentences are made (default true)."),
                      Refusal(message="'stream' must be true or false.")] = True
    stream_format: Annotated[Literal["audio"] | None, Field(description="Only 'audio' (raw bytes); no SSE."),
                             Refusal(message="'stream_format' must be 'audio' (server-sent events are not "
                                             "offered).")] = None


# ---- agents ------------------------------------------------------------------------------

class TurnDetection(Body):
    """Server VAD settings; an omitted or null setting keeps the current (or default) one.
    Bounds wide enough for any sane deployment and narrow enough that a typo can't make
    a session that never ends a turn."""

    type: Annotated[Literal["server_vad"], Refusal(
        message="'turn_detection.type' must be 'server_vad' (or send null for push-to-talk).")] = "server_vad"
    threshold: Annotated[float | None, Field(ge=0.05, le=0.95, description="Speech probability that opens a turn.")] \
        = None
    silence_duration_ms: Annotated[int | None, Field(ge=100, le=5000, description="Silence that ends a turn.")] = None
    prefix_padding_ms: Annotated[int | None, Field(ge=0, le=2000, description="Audio kept before the speech.")] = None


_TURN_REFUSAL = Refusal(message="'turn_detection' must be an object or null.")
_RESPONDER_REFUSAL = Refusal("invalid_responder", "Invalid 'responder': must be an object with a 'type' "
                                                  "('knowledge' or 'openai').")
_VOICE_REFUSAL = Refusal(message="'voice' must be a stock voice id (e.g. 'joe') or a ready clone id.")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME),
                 Refusal(codes={"string_too_long": "text_too_long"})]
Voice = Annotated[str, Field(min_length=1, description="Stock voice id or a ready clone of this tenant."),
                  _VOICE_REFUSAL]
Greeting = Annotated[str | None, Field(max_length=MAX_GREETING, description="Said when a session starts."),
                     Refusal(codes={"string_too_long": "text_too_long"})]
Instructions = Annotated[str | None, Field(max_length=MAX_INSTRUCTIONS, description="What the agent is for."),
                         Refusal(codes={"string_too_long": "text_too_long"})]
Knowledge = Annotated[str | None, Field(
    max_length=MAX_KNOWLEDGE, description="Facts the embedded responder answers from, sentence by sentence."),
    Refusal(codes={"string_too_long": "knowledge_too_long"}, hint=" Keep it to the facts callers ask about.")]
Responder = Annotated[dict[str, Any] | None, Field(
    description="How the agent answers: {'type': 'knowledge', 'intents': [...]} (embedded, no network) or "
                "{'type': 'openai', 'base_url', 'model', ...} (an OpenAI-compatible chat server)."),
    _RESPONDER_REFUSAL]
Turn = Annotated[TurnDetection | None, Field(description="Server VAD, or null for push-to-talk."), _TURN_REFUSAL]


class AgentCreate(Body):
    """``POST /v1/agents``."""

    name: Name
    voice: Voice = "joe"
    greeting: Greeting = None
    instructions: Instructions = None
    knowledge: Knowledge = None
    responder: Responder = None
    turn_detection: Turn = None


class AgentUpdate(Body):
    """``PATCH /v1/agents/{id}``: only the fields sent change; null clears a text."""

    # Absent means unchanged; the defaults are never used (a sent null is refused).
    name: Name = Field(default=None)  # type: ignore[assignment]
    voice: Voice = Field(default=None)  # type: ignore[assignment]
    greeting: Greeting = None
    instructions: Instructions = None
    knowledge: Knowledge = None
    responder: Responder = None
    turn_detection: Turn = None
    telephony_token: Annotated[Literal["rotate"] | None, Field(
        description="\"rotate\" for a new token (the server picks it)."),
        Refusal(message="'telephony_token' can only be set to \"rotate\" (the server picks the new token).")] = None


# ---- realtime ----------------------------------------------------------------------------

class ExpiresAfter(Body):
    anchor: Literal["created_at"] = "created_at"
    seconds: Annotated[int, Field(ge=1, description="Lifetime; the server's limit applies (600 s by default).")]


class ClientSecretRequest(Body):
    """``POST /v1/realtime/client_secrets``: the agent, by name or OpenAI-style in ``session``."""

    agent: Annotated[str | None, Field(description="agent_...")] = None
    session: Annotated[dict[str, Any] | None, Field(
        description="OpenAI-style session: 'agent' or 'model' names the agent.")] = None
    expires_after: ExpiresAfter | None = None


# ---- responses ---------------------------------------------------------------------------

class Evidence(Open):
    measure: str = Field(description="The quality field (or internal measurement) that decided.")
    value: float
    limit: float


class Failure(Open):
    code: Literal[FAILURE_CODES]  # type: ignore[valid-type]
    message: str
    evidence: Evidence | None = None
    fix: str | None = Field(default=None, description="The voice-cloning guide's advice for this code.")


class VoiceObject(Open):
    id: str
    object: Literal["voice"]
    name: str
    status: Literal["pending", "ready", "failed"]
    created_at: int
    language: str | None = None
    failure: Failure | None = None
    quality: QualityValues | None = None


class AgentObject(Open):
    id: str
    object: Literal["agent"]
    name: str
    voice: str
    greeting: str
    instructions: str
    knowledge: str = ""
    responder: dict[str, Any]
    turn_detection: dict[str, Any] | None
    voice_status: Literal["ready", "pending", "failed", "deleted"]
    telephony_token: str | None = Field(default=None, description="Only to keys with agents:write.")
    created_at: int


class AgentRef(Open):
    id: str
    name: str


class Deleted(Open):
    id: str
    object: str
    deleted: Literal[True]


class VoiceDeleted(Deleted):
    agents: list[AgentRef] = Field(default_factory=list, description="Agents that now have no voice.")


class VoiceList(Open):
    object: Literal["list"]
    data: list[VoiceObject]
    has_more: bool


class AgentList(Open):
    object: Literal["list"]
    data: list[AgentObject]
    has_more: bool


class CatalogVoice(Open):
    id: str
    object: Literal["voice"]
    name: str
    type: Literal["stock", "clone"]
    status: Literal["ready"]
    alias_of: str | None = None


class CatalogVoices(Open):
    object: Literal["list"]
    data: list[CatalogVoice]
    has_more: bool


class Model(Open):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    type: Literal["speech", "agent"]


class Models(Open):
    object: Literal["list"]
    data: list[Model]


class ClientSecret(Open):
    value: str
    expires_at: int
    agent: str
    session: dict[str, Any]


class CallEnded(Open):
    id: str
    object: Literal["realtime.call"]
    status: Literal["ended"]
    ended_at: int


class ErrorDetail(Open):
    type: str
    code: str
    message: str
    param: str | None = None


class Error(Open):
    error: ErrorDetail


class Health(Open):
    status: Literal["ok"]


class Readiness(Open):
    status: Literal["ready", "not_ready"]
    store: bool
    models: bool
