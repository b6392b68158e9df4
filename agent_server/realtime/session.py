"""One live conversation with an agent: the REALTIME.md protocol, transport-agnostic.

A transport (WebSocket, WebRTC data channel + tracks, Twilio) hands the session client
events (:meth:`RealtimeSession.handle_event`) and/or raw audio (:meth:`push_audio`) and
receives server events and audio through the small :class:`Transport` interface.

Turn flow with server VAD::

    audio ─► VAD ─ paused ─► reply pipeline starts (ASR → responder → TTS), output held
                  ─ resumed ─► held reply thrown away
                  ─ stopped ─► committed; the held reply is released to the speaker
                  ─ started while the agent speaks ─► barge-in: reply cancelled

The speaker paces audio out at real time plus :data:`LEAD_S`, so a barge-in leaves at
most that much audio in the client's buffer; what was never sent is dropped and the
transcript reported in ``response.done`` is cut to what was sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from agent_server.ids import new_id
from agent_server.realtime import audio as rt_audio
from agent_server.realtime.pipeline import (
    Frame,
    Pipeline,
    ReplyAudio,
    ReplyEnd,
    ReplyText,
    Transcript,
    UserAudio,
    UserText,
)
from agent_server.realtime.resources import RealtimeResources
from agent_server.realtime.stages.asr import AsrStage
from agent_server.realtime.stages.responder import ResponderStage
from agent_server.realtime.stages.tts import TtsStage
from agent_server.realtime.stages.vad import (
    MAX_TURN_S,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    SpeechStopped,
    VadDetector,
    VadEvent,
)
from agent_server.responders import Message, build_responder

log = logging.getLogger("agent_server.realtime")

OUT_RATE = rt_audio.OUT_RATE
LEAD_S = 0.2  # audio sent ahead of real time: absorbs network jitter, bounds barge-in tail
PIECE_S = 0.04  # audio delta size
MAX_APPEND_BYTES = 15 * 1024 * 1024  # OpenAI's per-event limit on base64 audio
MAX_APPEND_S = 30.0
MAX_EVENT_BYTES = 16 * 1024 * 1024
DEADLINE_MARGIN_S = 0.3  # about one sentence of TTS on two busy cores


class Transport(Protocol):
    kind: str
    # True: audio rides `response.output_audio.delta` events (WebSocket); False: the
    # transport plays float32 24 kHz itself (WebRTC track, Twilio media).
    audio_events: bool

    async def send_event(self, event: dict[str, Any]) -> None: ...
    async def play(self, audio: np.ndarray) -> None: ...
    # Called once all audio of one reply piece has been played out (Twilio echoes marks).
    async def mark(self, name: str) -> None: ...
    async def clear_audio(self) -> None: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass
class _Piece:
    text: str
    samples: int
    sent: int = 0


@dataclass
class Response:
    id: str
    item_id: str
    queue: asyncio.Queue[Frame | None]
    user_item_id: str | None = None
    turn_id: int | None = None  # the VAD turn a speculative reply was started for
    producer: asyncio.Task[None] | None = None
    speaker: asyncio.Task[None] | None = None
    released_at: float | None = None
    created_sent: bool = False
    status: str = "in_progress"
    pieces: list[_Piece] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    end_call: bool = False
    responder_state: object = None
    user_text: str | None = None
    due: float = 0.0  # event-loop time the caller starts waiting for this reply
    produced_s: float = 0.0  # seconds of audio synthesized so far

    def deadline(self) -> float:
        """When the next piece of work is needed: once the audio produced so far
        would have played out, counted from ``due``, less a margin for the work itself."""
        return self.due + self.produced_s - DEADLINE_MARGIN_S

    def sent_transcript(self) -> str:
        words: list[str] = []
        for p in self.pieces:
            if p.sent <= 0 or not p.text:
                continue
            if p.sent >= p.samples:
                words.extend(p.text.split())
            else:
                ws = p.text.split()
                words.extend(ws[: max(1, round(len(ws) * p.sent / max(1, p.samples)))])
        return " ".join(words)

    def full_transcript(self) -> str:
        return " ".join(p.text for p in self.pieces if p.text)


class RealtimeSession:
    def __init__(self, *, resources: RealtimeResources, run_cpu: Callable[..., Awaitable[Any]],
                 agent: dict[str, Any], profile: Any, transport: Transport, voice: str) -> None:
        self.id = new_id("sess")
        self.res = resources
        self.run_cpu = run_cpu
        self.agent = agent
        self.profile = profile
        self.transport = transport
        self.voice = voice
        self.instructions: str = agent.get("instructions") or ""
        self.turn_detection: dict[str, Any] | None = agent.get("turn_detection")
        self.create_response = True
        self.input_format = "audio/pcm"
        self.output_format = "audio/pcm"
        self.decoder = rt_audio.Decoder(self.input_format)
        self.encoder = rt_audio.Encoder(self.output_format)
        self.responder = build_responder(agent.get("responder"), self.instructions)
        self.history: list[Message] = []
        self._vad_model: Any = None
        self.vad: VadDetector | None = None
        self._in_q: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self._out_q: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._ptt: list[np.ndarray] = []
        self._ptt_len = 0
        self._pending_user: str | None = None
        self._pending_asr: asyncio.Task[None] | None = None
        self.active: Response | None = None  # released, being spoken
        self.spec: Response | None = None  # speculative, held
        self._tasks: list[asyncio.Task[Any]] = []
        self._play_end = 0.0
        self._event_n = 0
        self._user_item: str | None = None
        self.closed = asyncio.Event()
        self._closing = False
        self.started_at = time.time()
        self._last_input = time.monotonic()

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._vad_model = await self.res.run_vad(self.res.vad_pool.acquire)
        td = self.turn_detection or {}
        self.vad = VadDetector(self._vad_model, td.get("threshold", 0.5), td.get("silence_duration_ms", 500),
                               td.get("prefix_padding_ms", 300))
        self._tasks = [asyncio.create_task(self._writer(), name=f"{self.id}-writer"),
                       asyncio.create_task(self._input_loop(), name=f"{self.id}-input"),
                       asyncio.create_task(self._idle_watch(), name=f"{self.id}-idle")]
        await self.emit("session.created", session=self.session_object())
        greeting = (self.agent.get("greeting") or "").strip()
        if greeting:
            resp = self._produce(lambda r: Pipeline([self._tts(r)]), ReplyText(greeting), ReplyEnd())
            self._release(resp)

    def touch(self) -> None:
        """The client is alive (an event, an audio packet, a played-mark echo)."""
        self._last_input = time.monotonic()

    async def _idle_watch(self) -> None:
        limit = self.res.idle_timeout_s
        while True:
            await asyncio.sleep(min(5.0, max(0.2, limit / 4)))
            if self.active is not None or self.spec is not None:
                self.touch()  # the agent talking is not the client being idle
                continue
            if time.monotonic() - self._last_input >= limit:
                await self.error("session_idle_timeout", f"No audio or events from the client for {limit:.0f} s; "
                                 "the session was closed. Open a new one to talk again.")
                self._out_q.put_nowait(("close", "idle timeout"))
                return

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        for resp in (self.spec, self.active):
            if resp is not None:
                for t in (resp.producer, resp.speaker):
                    if t is not None:
                        t.cancel()
        if self._pending_asr is not None:
            self._pending_asr.cancel()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(BaseException):
                await t
        if self._vad_model is not None:
            model, self._vad_model = self._vad_model, None
            with contextlib.suppress(Exception):
                await self.res.run_vad(self.res.vad_pool.release, model)
        with contextlib.suppress(Exception):
            await self.responder.aclose()
        self.closed.set()

    # ---- outbound ----------------------------------------------------------------------

    def _event(self, type_: str, **fields: Any) -> dict[str, Any]:
        self._event_n += 1
        return {"type": type_, "event_id": f"event_{self.id[5:13]}{self._event_n:06d}", **fields}

    async def emit(self, type_: str, **fields: Any) -> None:
        self._out_q.put_nowait(("event", self._event(type_, **fields)))

    async def error(self, code: str, message: str, *, type_: str = "invalid_request_error",
                    event_id: str | None = None, param: str | None = None) -> None:
        err: dict[str, Any] = {"type": type_, "code": code, "message": message}
        if event_id:
            err["event_id"] = event_id
        if param:
            err["param"] = param
        await self.emit("error", error=err)

    async def _writer(self) -> None:
        try:
            while True:
                kind, item = await self._out_q.get()
                if kind == "event":
                    await self.transport.send_event(item)
                elif kind == "audio":
                    resp, piece, chunk = item
                    # Not `!= "in_progress"`: a reply is marked completed as soon as its
                    # last chunk is queued, and that chunk must still go out.
                    if resp.status == "cancelled":
                        continue
                    if self.transport.audio_events:
                        await self.transport.send_event(self._event(
                            "response.output_audio.delta", response_id=resp.id, item_id=resp.item_id,
                            output_index=0, content_index=0,
                            delta=base64.b64encode(self.encoder.encode(chunk)).decode()))
                    else:
                        await self.transport.play(chunk)
                    piece.sent += len(chunk)
                elif kind == "mark":
                    resp, name = item
                    if resp.status != "cancelled":
                        await self.transport.mark(name)
                elif kind == "close":
                    await self.transport.close(1000, item)
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client went away mid-write
            log.debug("session %s writer stopped: %s", self.id, exc)
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.close()))

    def _drop_queued_audio(self, resp: Response) -> None:
        kept: list[tuple[str, Any]] = []
        while not self._out_q.empty():
            kind, item = self._out_q.get_nowait()
            if kind in ("audio", "mark") and item[0] is resp:
                continue
            kept.append((kind, item))
        for k in kept:
            self._out_q.put_nowait(k)

    # ---- session state -----------------------------------------------------------------

    def session_object(self) -> dict[str, Any]:
        td = dict(self.turn_detection) if self.turn_detection else None
        if td is not None:
            td["create_response"] = self.create_response
            td["interrupt_response"] = True
        return {
            "type": "realtime", "object": "realtime.session", "id": self.id, "model": self.agent["id"],
            "agent": self.agent["id"], "output_modalities": ["audio"], "instructions": self.instructions,
            "audio": {
                "input": {"format": rt_audio.format_object(self.input_format), "turn_detection": td,
                          "transcription": {"model": "whisper-tiny.en", "language": "en"}},
                "output": {"format": rt_audio.format_object(self.output_format), "voice": self.voice,
                           "speed": 1.0},
            },
            "voice": self.voice,
            "expires_at": int(self.started_at) + 3600,
        }

    async def _session_update(self, event: dict[str, Any]) -> None:
        from agent_server.api.agents import validate_turn_detection
        from agent_server.errors import ApiError

        s = event.get("session")
        if not isinstance(s, dict):
            await self.error("invalid_event", "'session.update' needs a 'session' object.",
                             event_id=event.get("event_id"))
            return
        try:
            audio = s.get("audio") if isinstance(s.get("audio"), dict) else {}
            inp = audio.get("input") if isinstance(audio.get("input"), dict) else {}
            out = audio.get("output") if isinstance(audio.get("output"), dict) else {}
            in_fmt = inp.get("format", s.get("input_audio_format"))
            out_fmt = out.get("format", s.get("output_audio_format"))
            new_in = rt_audio.parse_format(in_fmt) if in_fmt is not None else self.input_format
            new_out = rt_audio.parse_format(out_fmt) if out_fmt is not None else self.output_format
            td_given = "turn_detection" in inp or "turn_detection" in s
            td_raw = inp["turn_detection"] if "turn_detection" in inp else s.get("turn_detection")
            td = self.turn_detection
            create_response = self.create_response
            if td_given:
                if isinstance(td_raw, dict):
                    create_response = bool(td_raw.get("create_response", True))
                    td_raw = {k: v for k, v in td_raw.items()
                              if k in ("type", "threshold", "silence_duration_ms", "prefix_padding_ms")}
                td = validate_turn_detection(td_raw, self.turn_detection)
            instructions = s.get("instructions", self.instructions)
            if not isinstance(instructions, str):
                raise ValueError("'instructions' must be a string")
        except ValueError as exc:
            await self.error("invalid_value", str(exc), event_id=event.get("event_id"))
            return
        except ApiError as exc:
            await self.error(exc.code, exc.message, event_id=event.get("event_id"), param=exc.param)
            return
        if new_in != self.input_format:
            self.input_format, self.decoder = new_in, rt_audio.Decoder(new_in)
        if new_out != self.output_format:
            self.output_format, self.encoder = new_out, rt_audio.Encoder(new_out)
        self.turn_detection, self.create_response = td, create_response
        if td is not None and self.vad is not None:
            self.vad.configure(td["threshold"], td["silence_duration_ms"], td["prefix_padding_ms"])
        self.instructions = instructions
        await self.emit("session.updated", session=self.session_object())

    # ---- inbound -------------------------------------------------------------------------

    async def handle_event(self, raw: str | bytes) -> None:
        self.touch()
        if len(raw) > MAX_EVENT_BYTES:
            await self.error("event_too_large", "The event is larger than 16 MiB; send audio in smaller appends.")
            return
        try:
            event = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            await self.error("invalid_json", "Events must be JSON objects with a 'type'.")
            return
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            await self.error("invalid_event", "Events must be JSON objects with a 'type'.")
            return
        kind = event["type"]
        handler = {
            "session.update": self._session_update,
            "input_audio_buffer.append": self._append,
            "input_audio_buffer.commit": self._commit,
            "input_audio_buffer.clear": self._clear,
            "conversation.item.create": self._item_create,
            "response.create": self._response_create,
            "response.cancel": self._response_cancel,
            "output_audio_buffer.clear": self._output_clear,
        }.get(kind)
        if handler is None:
            await self.error("unknown_event", f"Unsupported event type {kind!r}.", event_id=event.get("event_id"))
            return
        await handler(event)

    async def _append(self, event: dict[str, Any]) -> None:
        b64 = event.get("audio")
        if not isinstance(b64, str):
            await self.error("invalid_audio", "'audio' must be a base64 string.", event_id=event.get("event_id"))
            return
        if len(b64) > MAX_APPEND_BYTES:
            await self.error("audio_too_large", "One append may carry at most 15 MiB of base64 audio.",
                             event_id=event.get("event_id"))
            return
        try:
            data = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            await self.error("invalid_audio", "'audio' is not valid base64.", event_id=event.get("event_id"))
            return
        if len(data) > MAX_APPEND_S * self.decoder.bytes_per_second():
            await self.error("audio_too_large", f"One append may carry at most {MAX_APPEND_S:.0f} s of audio.",
                             event_id=event.get("event_id"))
            return
        try:
            pcm = self.decoder.decode(data)
        except Exception:
            await self.error("invalid_audio", f"The audio could not be decoded as {self.input_format}.",
                             event_id=event.get("event_id"))
            return
        self.push_audio(pcm)

    def push_audio(self, pcm16k: np.ndarray) -> None:
        """Raw audio from a transport, float32 mono 16 kHz."""
        if pcm16k.size == 0 or self._closing:
            return
        self._last_input = time.monotonic()
        if self.turn_detection is None:
            if self._ptt_len + len(pcm16k) <= MAX_TURN_S * 16000:
                self._ptt.append(pcm16k)
                self._ptt_len += len(pcm16k)
            return
        self._in_q.put_nowait(pcm16k)

    async def _input_loop(self) -> None:
        while True:
            chunks = [await self._in_q.get()]
            while not self._in_q.empty():
                chunks.append(self._in_q.get_nowait())
            if self.turn_detection is None or self.vad is None:
                continue
            events = await self.res.run_vad(self.vad.feed, np.concatenate(chunks))
            for ev in events:
                await self._on_vad(ev)

    async def _on_vad(self, ev: VadEvent) -> None:
        if isinstance(ev, SpeechStarted):
            self._user_item = new_id("item")
            await self.emit("input_audio_buffer.speech_started", audio_start_ms=ev.audio_start_ms,
                            item_id=self._user_item)
            if self.active is not None and self.active.status == "in_progress":
                await self._cancel(self.active, "turn_detected")
        elif isinstance(ev, SpeechPaused):
            self._discard_spec()
            # Speculation spends CPU on turns that may go on; with work already waiting
            # for the pool it would only delay replies that callers are waiting for.
            if not self.res.sched.busy:
                slack = max(0.0, (self.vad.silence - self.vad.speculate) / 16000) if self.vad else 0.0
                self.spec = self._produce_for_turn(UserAudio(ev.audio), ev.turn_id, slack)
        elif isinstance(ev, SpeechResumed):
            self._discard_spec()
        elif isinstance(ev, SpeechStopped):
            item = self._user_item or new_id("item")
            self._user_item = None
            await self.emit("input_audio_buffer.speech_stopped", audio_end_ms=ev.audio_end_ms, item_id=item)
            await self.emit("input_audio_buffer.committed", item_id=item, previous_item_id=None)
            resp = self.spec if self.spec is not None and self.spec.turn_id == ev.turn_id else None
            self.spec = None
            if resp is None:
                resp = self._produce_for_turn(UserAudio(ev.audio), ev.turn_id)
            else:
                resp.timings["speculative"] = 1.0
            resp.user_item_id = item
            if self.create_response:
                if self.active is not None and self.active.status == "in_progress":
                    await self._cancel(self.active, "turn_detected")
                self._release(resp)
            else:
                self._pending_asr = asyncio.create_task(self._transcribe_only(resp))

    def _discard_spec(self) -> None:
        if self.spec is not None:
            if self.spec.producer is not None:
                self.spec.producer.cancel()
            self.responder.restore(self.spec.responder_state)
            self.spec = None

    # ---- turns by hand and by text ------------------------------------------------------

    async def _commit(self, event: dict[str, Any]) -> None:
        if self.turn_detection is None:
            audio = np.concatenate(self._ptt) if self._ptt else np.zeros(0, np.float32)
            self._ptt, self._ptt_len = [], 0
        else:
            audio = self.vad.take_turn() if self.vad is not None else np.zeros(0, np.float32)
            self._discard_spec()
        if audio.size < 1600:  # 100 ms
            await self.error("input_audio_buffer_commit_empty",
                             "The input audio buffer holds less than 100 ms of audio; append audio first.",
                             event_id=event.get("event_id"))
            return
        item = self._user_item or new_id("item")
        self._user_item = None
        await self.emit("input_audio_buffer.committed", item_id=item, previous_item_id=None)
        resp = self._produce(lambda r: self._pipeline(r, with_asr=True), UserAudio(audio))
        resp.user_item_id = item
        if self.turn_detection is not None and self.create_response:
            if self.active is not None and self.active.status == "in_progress":
                await self._cancel(self.active, "turn_detected")
            self._release(resp)
        else:
            self._pending_asr = asyncio.create_task(self._transcribe_only(resp))

    async def _transcribe_only(self, resp: Response) -> None:
        """Push-to-talk: report the transcript now, answer on ``response.create``."""
        frame = await resp.queue.get()
        if resp.producer is not None:
            resp.producer.cancel()
        self.responder.restore(resp.responder_state)
        if isinstance(frame, Transcript):
            await self.emit("conversation.item.input_audio_transcription.completed", item_id=resp.user_item_id,
                            content_index=0, transcript=frame.text)
            if frame.text.strip():
                self._pending_user = frame.text

    async def _clear(self, event: dict[str, Any]) -> None:
        self._ptt, self._ptt_len = [], 0
        if self.vad is not None:
            await self.res.run_vad(self.vad.reset_turn)
        self._discard_spec()
        await self.emit("input_audio_buffer.cleared")

    async def _item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        text = None
        if isinstance(item, dict) and item.get("type", "message") == "message" and item.get("role") == "user":
            parts = item.get("content")
            if isinstance(parts, list):
                text = " ".join(p.get("text", "") for p in parts
                                if isinstance(p, dict) and p.get("type") in ("input_text", "text")
                                and isinstance(p.get("text"), str)).strip()
        if not text:
            await self.error("invalid_item", "Only user messages with 'input_text' content are supported.",
                             event_id=event.get("event_id"), param="item")
            return
        if len(text) > 4096:
            await self.error("invalid_item", "A text message may have at most 4096 characters.",
                             event_id=event.get("event_id"), param="item")
            return
        item_id = item.get("id") if isinstance(item.get("id"), str) else new_id("item")
        self._pending_user = text
        obj = {"id": item_id, "object": "realtime.item", "type": "message", "role": "user", "status": "completed",
               "content": [{"type": "input_text", "text": text}]}
        await self.emit("conversation.item.added", previous_item_id=None, item=obj)
        await self.emit("conversation.item.done", previous_item_id=None, item=obj)

    async def _response_create(self, event: dict[str, Any]) -> None:
        if self.active is not None and self.active.status == "in_progress":
            await self.error("conversation_already_has_active_response",
                             "A response is in progress; cancel it or wait for response.done.",
                             event_id=event.get("event_id"))
            return
        if self._pending_asr is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending_asr
            self._pending_asr = None
        if self._pending_user is None:
            await self.error("no_user_input", "There is no new user input to respond to: commit audio or "
                             "create a user message first.", event_id=event.get("event_id"))
            return
        text, self._pending_user = self._pending_user, None
        self._release(self._produce(lambda r: self._pipeline(r, with_asr=False), UserText(text)))

    async def _response_cancel(self, event: dict[str, Any]) -> None:
        if self.active is None or self.active.status != "in_progress":
            await self.error("response_cancel_not_active", "There is no response in progress to cancel.",
                             event_id=event.get("event_id"))
            return
        await self._cancel(self.active, "client_cancelled")

    async def _output_clear(self, event: dict[str, Any]) -> None:
        if self.active is not None and self.active.status == "in_progress":
            await self._cancel(self.active, "client_cancelled")
        else:
            await self.transport.clear_audio()
            await self.emit("output_audio_buffer.cleared")

    # ---- replies -----------------------------------------------------------------------

    def _tts(self, resp: Response) -> TtsStage:
        return TtsStage(self.profile, self._cpu(resp, "tts"))

    def _pipeline(self, resp: Response, *, with_asr: bool) -> Pipeline:
        stages: list[Any] = []
        if with_asr:
            stages.append(AsrStage(self.res.asr, self._cpu(resp, "asr")))
        stages.append(ResponderStage(self.responder, lambda: self.history, lambda: self.instructions,
                                     self._cpu(resp, "responder")))
        stages.append(self._tts(resp))
        return Pipeline(stages)

    def _cpu(self, resp: Response, kind: str) -> Callable[..., Awaitable[Any]]:
        """The CPU runner for one reply's stages: each job goes to the shared scheduler
        with the reply's current deadline (see :mod:`.scheduler`)."""

        async def run(fn: Callable[..., Any], *args: Any) -> Any:
            return await self.res.sched.run(resp.deadline(), kind, fn, *args)

        return run

    def _produce_for_turn(self, frame: UserAudio, turn_id: int, slack: float = 0.0) -> Response:
        resp = self._produce(lambda r: self._pipeline(r, with_asr=True), frame, slack=slack)
        resp.turn_id = turn_id
        return resp

    def _produce(self, build: Callable[[Response], Pipeline], *frames: Frame, slack: float = 0.0) -> Response:
        """Start a reply's pipeline. ``slack``: how long until anyone waits for it (a
        speculative reply is due when the silence would close the turn)."""
        # Two frames of look-ahead: enough for the next sentence to be ready when the
        # current one ends, little enough that a barge-in wastes little synthesis.
        resp = Response(new_id("resp"), new_id("item"), asyncio.Queue(maxsize=3))
        resp.due = asyncio.get_running_loop().time() + slack
        resp.responder_state = self.responder.snapshot()
        pipeline = build(resp)

        async def run() -> None:
            try:
                async for out in pipeline.run(*frames):
                    if isinstance(out, ReplyAudio):
                        resp.produced_s += len(out.audio) / OUT_RATE
                    await resp.queue.put(out)
            except asyncio.CancelledError:
                with contextlib.suppress(asyncio.QueueFull):
                    resp.queue.put_nowait(None)
                raise
            except Exception:
                log.exception("session %s: reply pipeline failed", self.id)
                resp.timings["failed"] = 1.0
            # Waits for room: with the look-ahead queue full, a dropped end marker
            # left the speaker waiting forever after the reply's last piece.
            await resp.queue.put(None)

        resp.producer = asyncio.create_task(run(), name=f"{resp.id}-producer")
        return resp

    def _release(self, resp: Response) -> None:
        resp.released_at = time.perf_counter()
        resp.due = min(resp.due, asyncio.get_running_loop().time())
        self.active = resp
        resp.speaker = asyncio.create_task(self._speak(resp), name=f"{resp.id}-speaker")

    async def _send_created(self, resp: Response) -> None:
        if resp.created_sent:
            return
        resp.created_sent = True
        await self.emit("response.created", response={
            "id": resp.id, "object": "realtime.response", "status": "in_progress", "output": [],
            "conversation_id": self.id, "output_modalities": ["audio"],
            "audio": {"output": {"format": rt_audio.format_object(self.output_format), "voice": self.voice}}})
        await self.emit("response.output_item.added", response_id=resp.id, output_index=0, item={
            "id": resp.item_id, "object": "realtime.item", "type": "message", "role": "assistant",
            "status": "in_progress", "content": []})

    async def _speak(self, resp: Response) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frame = await resp.queue.get()
            if frame is None:
                break
            if isinstance(frame, Transcript | UserText):
                if isinstance(frame, Transcript):
                    await self.emit("conversation.item.input_audio_transcription.completed",
                                    item_id=resp.user_item_id, content_index=0, transcript=frame.text)
                if frame.text.strip():
                    resp.user_text = frame.text
                    self.history.append(Message("user", frame.text))
                else:
                    # Noise or a cough: no words, no answer.
                    resp.status = "skipped"
                    break
            elif isinstance(frame, ReplyAudio):
                await self._send_created(resp)
                if "first_audio_ms" not in resp.timings and resp.released_at is not None:
                    resp.timings["first_audio_ms"] = (time.perf_counter() - resp.released_at) * 1000
                piece = _Piece(frame.text, len(frame.audio))
                resp.pieces.append(piece)
                if frame.text:
                    await self.emit("response.output_audio_transcript.delta", response_id=resp.id,
                                    item_id=resp.item_id, output_index=0, content_index=0,
                                    delta=frame.text if len(resp.pieces) == 1 else " " + frame.text)
                step = int(PIECE_S * OUT_RATE)
                for i in range(0, len(frame.audio), step):
                    chunk = frame.audio[i:i + step]
                    wait = self._play_end - loop.time() - LEAD_S
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._out_q.put_nowait(("audio", (resp, piece, chunk)))
                    self._play_end = max(self._play_end, loop.time()) + len(chunk) / OUT_RATE
                self._out_q.put_nowait(("mark", (resp, f"{resp.id}.{len(resp.pieces)}")))
            elif isinstance(frame, ReplyEnd):
                resp.timings.update(frame.timings)
                resp.end_call = frame.end_call
        if self.active is resp:
            self.active = None
        if resp.status == "skipped":
            return
        await self._send_created(resp)
        resp.status = "completed"
        await self._finish(resp, resp.full_transcript())
        if resp.end_call:
            await asyncio.sleep(max(0.0, self._play_end - loop.time()) + 0.3)
            self._out_q.put_nowait(("close", "the agent ended the call"))

    async def _finish(self, resp: Response, transcript: str, reason: str | None = None) -> None:
        if transcript:
            self.history.append(Message("assistant", transcript))
        await self.emit("response.output_audio.done", response_id=resp.id, item_id=resp.item_id,
                        output_index=0, content_index=0)
        await self.emit("response.output_audio_transcript.done", response_id=resp.id, item_id=resp.item_id,
                        output_index=0, content_index=0, transcript=transcript)
        item = {"id": resp.item_id, "object": "realtime.item", "type": "message", "role": "assistant",
                "status": "completed" if resp.status == "completed" else "incomplete",
                "content": [{"type": "output_audio", "transcript": transcript}]}
        await self.emit("response.output_item.done", response_id=resp.id, output_index=0, item=item)
        body: dict[str, Any] = {
            "id": resp.id, "object": "realtime.response", "status": resp.status, "output": [item],
            "conversation_id": self.id, "output_modalities": ["audio"],
            "status_details": {"type": resp.status, "reason": reason} if reason else None,
            "x_timings": {k: round(v, 1) for k, v in resp.timings.items()},
        }
        await self.emit("response.done", response=body)

    async def _cancel(self, resp: Response, reason: str) -> None:
        """Barge-in or response.cancel: stop synthesis, drop unsent audio, report what
        the caller actually got."""
        if resp.status != "in_progress":
            return
        resp.status = "cancelled"
        for t in (resp.producer, resp.speaker):
            if t is not None:
                t.cancel()
        self._drop_queued_audio(resp)
        self._play_end = 0.0
        if self.active is resp:
            self.active = None
        await self.transport.clear_audio()
        if not self.transport.audio_events:
            await self.emit("output_audio_buffer.cleared", response_id=resp.id)
        await self._send_created(resp)
        await self._finish(resp, resp.sent_transcript(), reason)
