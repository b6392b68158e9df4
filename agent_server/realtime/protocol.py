"""REALTIME.md's events in one place: client events parsed into typed values, server
events built by one :class:`ServerEvents` per session.

Parsing checks the shape of an event (types, sizes, base64) and raises
:class:`ProtocolError` with the code and message the client is sent as an ``error``
event; what depends on the session's state (the audio's duration in its input format,
whether a response is active) stays with the session. Server events are plain JSON
objects; building them here keeps the wire names and the ``event_id`` numbering in one
place, so a change to the protocol is a change to this file.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from agent_server.errors import ApiError
from agent_server.realtime import audio as rt_audio

MAX_APPEND_BYTES = 15 * 1024 * 1024  # OpenAI's per-event limit on base64 audio
MAX_EVENT_BYTES = 16 * 1024 * 1024
MAX_TEXT_CHARS = 4096
ASR_MODEL_NAME = "whisper-tiny.en"

Json = dict[str, Any]


class ProtocolError(Exception):
    """A client event that cannot be used; becomes one ``error`` event, never a close."""

    def __init__(self, code: str, message: str, *, event_id: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.event_id = event_id
        self.param = param


# ---- client → server --------------------------------------------------------------------


@dataclass(frozen=True)
class SessionUpdate:
    """``session.update``: each field ``None`` when the event leaves it as it is."""

    event_id: str | None
    input_format: str | None
    output_format: str | None
    turn_detection_given: bool
    turn_detection: Json | None  # as sent (server_vad fields only); None: push-to-talk
    create_response: bool | None
    instructions: str | None

    def turn_detection_over(self, current: Json | None) -> Json | None:
        """The session's new turn detection: the given fields over the current ones."""
        from agent_server.api.agents import validate_turn_detection

        return validate_turn_detection(self.turn_detection, current)


@dataclass(frozen=True)
class AudioAppend:
    event_id: str | None
    data: bytes  # the audio bytes, in the session's input format


@dataclass(frozen=True)
class AudioCommit:
    event_id: str | None


@dataclass(frozen=True)
class AudioClear:
    event_id: str | None


@dataclass(frozen=True)
class UserMessage:
    """``conversation.item.create`` with a user text message."""

    event_id: str | None
    item_id: str | None
    text: str


@dataclass(frozen=True)
class ResponseCreate:
    event_id: str | None


@dataclass(frozen=True)
class ResponseCancel:
    event_id: str | None


@dataclass(frozen=True)
class OutputAudioClear:
    event_id: str | None


ClientEvent = (SessionUpdate | AudioAppend | AudioCommit | AudioClear | UserMessage | ResponseCreate
               | ResponseCancel | OutputAudioClear)


def _obj(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _event_id(event: Json) -> str | None:
    eid = event.get("event_id")
    return eid if isinstance(eid, str) else None


def _session_update(event: Json, eid: str | None) -> SessionUpdate:
    s = event.get("session")
    if not isinstance(s, dict):
        raise ProtocolError("invalid_event", "'session.update' needs a 'session' object.", event_id=eid)
    from agent_server.api.agents import validate_turn_detection

    try:
        audio = _obj(s.get("audio"))
        inp, out = _obj(audio.get("input")), _obj(audio.get("output"))
        in_fmt = inp.get("format", s.get("input_audio_format"))
        out_fmt = out.get("format", s.get("output_audio_format"))
        new_in = rt_audio.parse_format(in_fmt) if in_fmt is not None else None
        new_out = rt_audio.parse_format(out_fmt) if out_fmt is not None else None
        td_given = "turn_detection" in inp or "turn_detection" in s
        td_raw = inp["turn_detection"] if "turn_detection" in inp else s.get("turn_detection")
        create_response = None
        if td_given:
            if isinstance(td_raw, dict):
                create_response = bool(td_raw.get("create_response", True))
                td_raw = {k: v for k, v in td_raw.items()
                          if k in ("type", "threshold", "silence_duration_ms", "prefix_padding_ms")}
            validate_turn_detection(td_raw)  # the shape only; merged over the session's later
        instructions = s.get("instructions")
        if "instructions" in s and not isinstance(instructions, str):
            raise ValueError("'instructions' must be a string")
    except ValueError as exc:
        raise ProtocolError("invalid_value", str(exc), event_id=eid) from exc
    except ApiError as exc:
        raise ProtocolError(exc.code, exc.message, event_id=eid, param=exc.param) from exc
    return SessionUpdate(eid, new_in, new_out, td_given, td_raw if td_given else None, create_response,
                         instructions if isinstance(instructions, str) else None)


def _append(event: Json, eid: str | None) -> AudioAppend:
    b64 = event.get("audio")
    if not isinstance(b64, str):
        raise ProtocolError("invalid_audio", "'audio' must be a base64 string.", event_id=eid)
    if len(b64) > MAX_APPEND_BYTES:
        raise ProtocolError("audio_too_large", "One append may carry at most 15 MiB of base64 audio.", event_id=eid)
    try:
        return AudioAppend(eid, base64.b64decode(b64, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("invalid_audio", "'audio' is not valid base64.", event_id=eid) from exc


def _user_message(event: Json, eid: str | None) -> UserMessage:
    item = event.get("item")
    text = None
    if isinstance(item, dict) and item.get("type", "message") == "message" and item.get("role") == "user":
        parts = item.get("content")
        if isinstance(parts, list):
            text = " ".join(p.get("text", "") for p in parts
                            if isinstance(p, dict) and p.get("type") in ("input_text", "text")
                            and isinstance(p.get("text"), str)).strip()
    if not text or not isinstance(item, dict):
        raise ProtocolError("invalid_item", "Only user messages with 'input_text' content are supported.",
                            event_id=eid, param="item")
    if len(text) > MAX_TEXT_CHARS:
        raise ProtocolError("invalid_item", f"A text message may have at most {MAX_TEXT_CHARS} characters.",
                            event_id=eid, param="item")
    item_id = item.get("id")
    return UserMessage(eid, item_id if isinstance(item_id, str) else None, text)


def parse_client_event(raw: str | bytes) -> ClientEvent:
    """One client message → its typed event; :class:`ProtocolError` when it can't be used."""
    if len(raw) > MAX_EVENT_BYTES:
        raise ProtocolError("event_too_large", "The event is larger than 16 MiB; send audio in smaller appends.")
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise ProtocolError("invalid_json", "Events must be JSON objects with a 'type'.") from exc
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ProtocolError("invalid_event", "Events must be JSON objects with a 'type'.")
    kind, eid = event["type"], _event_id(event)
    if kind == "session.update":
        return _session_update(event, eid)
    if kind == "input_audio_buffer.append":
        return _append(event, eid)
    if kind == "conversation.item.create":
        return _user_message(event, eid)
    simple: dict[str, type[AudioCommit | AudioClear | ResponseCreate | ResponseCancel | OutputAudioClear]] = {
        "input_audio_buffer.commit": AudioCommit,
        "input_audio_buffer.clear": AudioClear,
        "response.create": ResponseCreate,
        "response.cancel": ResponseCancel,
        "output_audio_buffer.clear": OutputAudioClear,
    }
    cls = simple.get(kind)
    if cls is None:
        raise ProtocolError("unknown_event", f"Unsupported event type {kind!r}.", event_id=eid)
    return cls(eid)


# ---- server → client ----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionState:
    """What ``session.created`` / ``session.updated`` describe."""

    session_id: str
    agent_id: str
    instructions: str
    input_format: str
    output_format: str
    turn_detection: Json | None
    create_response: bool
    voice: str
    started_at: float


def session_object(s: SessionState) -> Json:
    td = dict(s.turn_detection) if s.turn_detection else None
    if td is not None:
        td["create_response"] = s.create_response
        td["interrupt_response"] = True
    return {
        "type": "realtime", "object": "realtime.session", "id": s.session_id, "model": s.agent_id,
        "agent": s.agent_id, "output_modalities": ["audio"], "instructions": s.instructions,
        "audio": {
            "input": {"format": rt_audio.format_object(s.input_format), "turn_detection": td,
                      "transcription": {"model": ASR_MODEL_NAME, "language": "en"}},
            "output": {"format": rt_audio.format_object(s.output_format), "voice": s.voice, "speed": 1.0},
        },
        "voice": s.voice,
        "expires_at": int(s.started_at) + 3600,
    }


def audio_delta(event_id: str, response_id: str, item_id: str, data: bytes) -> Json:
    """``response.output_audio.delta``: built by the transport that encodes the audio,
    under the id the session gave it when it was queued (:meth:`ServerEvents.next_id`)."""
    return {"type": "response.output_audio.delta", "event_id": event_id, "response_id": response_id,
            "item_id": item_id, "output_index": 0, "content_index": 0, "delta": base64.b64encode(data).decode()}


def assistant_item(item_id: str, status: str, content: list[Json]) -> Json:
    return {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
            "status": status, "content": content}


class ServerEvents:
    """The server events of one session, each with its own ``event_id``."""

    def __init__(self, session_id: str) -> None:
        self._prefix = f"event_{session_id[5:13]}"
        self._n = 0

    def next_id(self) -> str:
        self._n += 1
        return f"{self._prefix}{self._n:06d}"

    def event(self, type_: str, **fields: Any) -> Json:
        return {"type": type_, "event_id": self.next_id(), **fields}

    def error(self, code: str, message: str, *, type_: str = "invalid_request_error", event_id: str | None = None,
              param: str | None = None) -> Json:
        err: Json = {"type": type_, "code": code, "message": message}
        if event_id:
            err["event_id"] = event_id
        if param:
            err["param"] = param
        return self.event("error", error=err)

    def protocol_error(self, exc: ProtocolError) -> Json:
        return self.error(exc.code, exc.message, event_id=exc.event_id, param=exc.param)

    def session_created(self, s: SessionState) -> Json:
        return self.event("session.created", session=session_object(s))

    def session_updated(self, s: SessionState) -> Json:
        return self.event("session.updated", session=session_object(s))

    # input audio buffer and conversation items

    def speech_started(self, audio_start_ms: int, item_id: str) -> Json:
        return self.event("input_audio_buffer.speech_started", audio_start_ms=audio_start_ms, item_id=item_id)

    def speech_stopped(self, audio_end_ms: int, item_id: str) -> Json:
        return self.event("input_audio_buffer.speech_stopped", audio_end_ms=audio_end_ms, item_id=item_id)

    def committed(self, item_id: str) -> Json:
        return self.event("input_audio_buffer.committed", item_id=item_id, previous_item_id=None)

    def input_cleared(self) -> Json:
        return self.event("input_audio_buffer.cleared")

    def transcription_completed(self, item_id: str | None, transcript: str) -> Json:
        return self.event("conversation.item.input_audio_transcription.completed", item_id=item_id,
                          content_index=0, transcript=transcript)

    def user_item(self, item_id: str, text: str) -> tuple[Json, Json]:
        """``conversation.item.added`` and ``.done`` for a user text message."""
        obj = {"id": item_id, "object": "realtime.item", "type": "message", "role": "user", "status": "completed",
               "content": [{"type": "input_text", "text": text}]}
        return (self.event("conversation.item.added", previous_item_id=None, item=obj),
                self.event("conversation.item.done", previous_item_id=None, item=obj))

    # responses

    def response_created(self, response_id: str, conversation_id: str, output_format: str, voice: str) -> Json:
        return self.event("response.created", response={
            "id": response_id, "object": "realtime.response", "status": "in_progress", "output": [],
            "conversation_id": conversation_id, "output_modalities": ["audio"],
            "audio": {"output": {"format": rt_audio.format_object(output_format), "voice": voice}}})

    def output_item_added(self, response_id: str, item_id: str) -> Json:
        return self.event("response.output_item.added", response_id=response_id, output_index=0,
                          item=assistant_item(item_id, "in_progress", []))

    def transcript_delta(self, response_id: str, item_id: str, delta: str) -> Json:
        return self.event("response.output_audio_transcript.delta", response_id=response_id, item_id=item_id,
                          output_index=0, content_index=0, delta=delta)

    def response_finished(self, *, response_id: str, item_id: str, conversation_id: str, status: str,
                          transcript: str, status_details: Json | None, timings: dict[str, float]) -> list[Json]:
        """The events that end a response, ``response.done`` last. ``status``:
        ``completed``, ``cancelled`` or ``failed`` (then ``status_details.error``)."""
        item = assistant_item(item_id, "completed" if status == "completed" else "incomplete",
                              [{"type": "output_audio", "transcript": transcript}])
        body: Json = {
            "id": response_id, "object": "realtime.response", "status": status, "output": [item],
            "conversation_id": conversation_id, "output_modalities": ["audio"],
            "status_details": status_details,
            "x_timings": {k: round(v, 1) for k, v in timings.items()},
        }
        return [
            self.event("response.output_audio.done", response_id=response_id, item_id=item_id, output_index=0,
                       content_index=0),
            self.event("response.output_audio_transcript.done", response_id=response_id, item_id=item_id,
                       output_index=0, content_index=0, transcript=transcript),
            self.event("response.output_item.done", response_id=response_id, output_index=0, item=item),
            self.event("response.done", response=body),
        ]

    def output_cleared(self, response_id: str | None = None) -> Json:
        if response_id is None:
            return self.event("output_audio_buffer.cleared")
        return self.event("output_audio_buffer.cleared", response_id=response_id)
