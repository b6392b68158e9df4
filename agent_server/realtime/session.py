"""One live conversation with an agent: the REALTIME.md protocol, transport-agnostic.

A transport (WebSocket, WebRTC data channel + tracks, Twilio) hands the session client
events (:meth:`RealtimeSession.handle_event`) and/or raw audio (:meth:`push_audio`) and
hands server events and reply audio to the transport's queue
(:class:`.transports.base.Transport`), which owns formats, pacing, marks and clearing.

Turn flow with server VAD::

    audio ─► VAD ─ paused ─► reply pipeline starts (ASR → responder → TTS), output held
                  ─ resumed ─► held reply thrown away
                  ─ stopped ─► committed; the held reply is released to the speaker
                  ─ started while the agent speaks ─► barge-in: reply cancelled

The transport paces reply audio at real time plus ``LEAD_S``, so a barge-in leaves at
most that much audio in the client's buffer; what was never sent is dropped and the
transcript reported in ``response.done`` is cut to what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import numpy as np

from agent_server.ids import new_id
from agent_server.realtime import audio as rt_audio
from agent_server.realtime.client_events import ClientEvents
from agent_server.realtime.pipeline import (
    Pipeline,
    ReplyEnd,
    ReplyText,
    UserAudio,
)
from agent_server.realtime.protocol import Json, ServerEvents
from agent_server.realtime.replies import Replies
from agent_server.realtime.resources import RealtimeResources
from agent_server.realtime.response import Response
from agent_server.realtime.stages.vad import (
    MAX_TURN_S,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    SpeechStopped,
    VadDetector,
    VadEvent,
)
from agent_server.realtime.transports.base import Transport
from agent_server.responders import Message, build_responder

log = logging.getLogger("agent_server.realtime")

OUT_RATE = rt_audio.OUT_RATE


class RealtimeSession(ClientEvents, Replies):
    """Session state, its lifecycle, the outbound queue and server-VAD turn taking;
    client events live in :mod:`.client_events`, the reply lifecycle in :mod:`.replies`."""

    def __init__(self, *, resources: RealtimeResources, agent: dict[str, Any], profile: Any, transport: Transport,
                 voice: str) -> None:
        self.id = new_id("sess")
        self.res = resources
        self.agent = agent
        self.profile = profile
        self.transport = transport
        self.voice = voice
        self.instructions: str = agent.get("instructions") or ""
        self.turn_detection: dict[str, Any] | None = agent.get("turn_detection")
        self.create_response = True
        self.responder = build_responder(agent.get("responder"), self.instructions,
                                         knowledge=agent.get("knowledge") or "", name=agent.get("name") or "")
        self.history: list[Message] = []
        self._vad_model: Any = None
        self.vad: VadDetector | None = None
        self._in_q: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self.events = ServerEvents(self.id)
        self._ptt: list[np.ndarray] = []
        self._ptt_len = 0
        self._pending_user: str | None = None
        self._pending_asr: asyncio.Task[None] | None = None
        self.active: Response | None = None  # released, being spoken
        self.spec: Response | None = None  # speculative, held
        self._tasks: list[asyncio.Task[Any]] = []
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
        self.emit(self.events.session_created(self.state()))
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
                self.error("session_idle_timeout", f"No audio or events from the client for {limit:.0f} s; "
                           "the session was closed. Open a new one to talk again.")
                self.transport.close_after_queued("idle timeout")
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

    @property
    def closing(self) -> bool:
        """:meth:`close` has begun: transports stop feeding the session."""
        return self._closing

    def end(self, code: str, message: str) -> None:
        """Tell the client why the session ends, then close the connection (after
        everything already queued)."""
        self.error(code, message)
        self.transport.close_after_queued(code)

    # ---- outbound ----------------------------------------------------------------------

    def emit(self, event: Json) -> None:
        self.transport.send_event(event)

    def error(self, code: str, message: str, *, type_: str = "invalid_request_error",
              event_id: str | None = None, param: str | None = None) -> None:
        self.emit(self.events.error(code, message, type_=type_, event_id=event_id, param=param))

    async def _writer(self) -> None:
        try:
            await self.transport.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client went away mid-write
            log.debug("session %s writer stopped: %s", self.id, exc)
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.close()))

    # ---- inbound -------------------------------------------------------------------------

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
            self.emit(self.events.speech_started(ev.audio_start_ms, self._user_item))
            if self.active is not None and self.active.status == "in_progress":
                await self._cancel(self.active, "turn_detected")
        elif isinstance(ev, SpeechPaused):
            self._discard_spec()
            # Speculation spends CPU on turns that may go on; with urgent work already
            # waiting it would only delay replies that callers are waiting for (work with
            # slack, an enrollment or a speech stream ahead of playback, goes after it).
            if not self.res.sched.pressed:
                slack = max(0.0, (self.vad.silence - self.vad.speculate) / 16000) if self.vad else 0.0
                self.spec = self._produce_for_turn(UserAudio(ev.audio), ev.turn_id, slack)
        elif isinstance(ev, SpeechResumed):
            self._discard_spec()
        elif isinstance(ev, SpeechStopped):
            item = self._user_item or new_id("item")
            self._user_item = None
            self.emit(self.events.speech_stopped(ev.audio_end_ms, item))
            self.emit(self.events.committed(item))
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



















