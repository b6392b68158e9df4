"""One live conversation with an agent: the REALTIME.md protocol, transport-agnostic.

A transport (WebSocket, WebRTC data channel + tracks, Twilio) hands the session client
events (:meth:`RealtimeSession.handle_event`) and/or raw audio (:meth:`push_audio`) and
gets server events and reply audio through its queue (:class:`.transports.base.Transport`,
which owns formats, pacing, marks and clearing). The session is composed of parts,
each with its own module:

- :mod:`.protocol` parses client events and builds server events;
- :mod:`.turns` decides what each VAD event means (barge-in, speculate, discard, commit);
- :mod:`.runner` starts, speaks, finishes and cancels replies;
- :mod:`.engines` are the speech-to-text and text-to-speech behind the reply stages.

The session itself holds the state that client events change (instructions, turn
detection, the push-to-talk buffer, pending user input) and carries the turn
decisions out. Turn flow with server VAD::

    audio ─► VAD ─ paused ─► reply pipeline starts (ASR → responder → TTS), output held
                  ─ resumed ─► held reply thrown away
                  ─ stopped ─► committed; the held reply is released to the speaker
                  ─ started while the agent speaks ─► barge-in: reply cancelled
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import numpy as np

from agent_server.ids import new_id
from agent_server.realtime import protocol as p
from agent_server.realtime.pipeline import UserAudio
from agent_server.realtime.protocol import Json, ServerEvents
from agent_server.realtime.resources import SessionResources
from agent_server.realtime.response import Response
from agent_server.realtime.runner import Conversation, ReplyRunner
from agent_server.realtime.stages.vad import MAX_TURN_S, VadDetector, VadEvent
from agent_server.realtime.transports.base import Transport
from agent_server.realtime.turns import Commit, Discard, Speculate, TurnTaking, UserStarted
from agent_server.responders import Responder, build_responder

log = logging.getLogger("agent_server.realtime")

MAX_APPEND_S = 30.0
MIN_COMMIT_SAMPLES = 1600  # 100 ms at 16 kHz


class RealtimeSession:
    """A session's state and lifecycle; client events and turn decisions carried out."""

    def __init__(self, *, resources: SessionResources, agent: dict[str, Any], profile: Any, transport: Transport,
                 voice: str, responder: Responder | None = None) -> None:
        """``responder``: one made elsewhere; by default the agent's own is built."""
        self.id = new_id("sess")
        self.res = resources
        self.agent = agent
        self.transport = transport
        self.voice = voice
        self.events = ServerEvents(self.id)
        instructions: str = agent.get("instructions") or ""
        self.conversation = Conversation(instructions)
        self.turn_detection: dict[str, Any] | None = agent.get("turn_detection")
        self.create_response = True
        self.responder = responder or build_responder(agent.get("responder"), instructions,
                                                      knowledge=agent.get("knowledge") or "",
                                                      name=agent.get("name") or "")
        self.replies = ReplyRunner(session_id=self.id, voice=voice, transport=transport, events=self.events,
                                   sched=resources.sched, stt=lambda: resources.stt,
                                   tts=resources.tts_for(profile), responder=self.responder,
                                   conversation=self.conversation)
        self.turns = TurnTaking(resources.turn_end)
        self._vad_model: Any = None
        self.vad: VadDetector | None = None
        self._in_q: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self._ptt: list[np.ndarray] = []
        self._ptt_len = 0
        self._pending_user: str | None = None
        self._pending_asr: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
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
            self.replies.release(self.replies.say(greeting))

    def touch(self) -> None:
        """The client is alive (an event, an audio packet, a played-mark echo)."""
        self._last_input = time.monotonic()

    async def _idle_watch(self) -> None:
        limit = self.res.idle_timeout_s
        while True:
            await asyncio.sleep(min(5.0, max(0.2, limit / 4)))
            if self.replies.busy:
                self.touch()  # the agent talking is not the client being idle
                continue
            if time.monotonic() - self._last_input >= limit:
                self.end("session_idle_timeout", f"No audio or events from the client for {limit:.0f} s; "
                         "the session was closed. Open a new one to talk again.", reason="idle timeout")
                return

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self.replies.stop()
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

    def end(self, code: str, message: str, *, reason: str | None = None) -> None:
        """Tell the client why the session ends, then close the connection (after
        everything already queued)."""
        self.error(code, message)
        self.transport.close_after_queued(reason or code)

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

    def state(self) -> p.SessionState:
        t = self.transport
        return p.SessionState(self.id, self.agent["id"], self.conversation.instructions, t.input_format,
                              t.output_format, self.turn_detection, self.create_response, self.voice, self.started_at)

    # ---- inbound audio and server VAD ---------------------------------------------------------

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
                await self.on_vad(ev)
            await self._end_early()

    async def _end_early(self) -> None:
        """Between two VAD feeds (so the detector is not in use): close the paused turn
        now if its held answer's transcript says the sentence is over."""
        spec, vad = self.replies.spec, self.vad
        if spec is None or vad is None:
            return
        quiet = vad.quiet_ms
        if not self.turns.ends_early(spec.turn_id, spec.heard, quiet, int(vad.silence * 1000 / 16000)):
            return
        if spec.turn_id is not None and (ev := vad.end_turn(spec.turn_id)) is not None:
            spec.timings["turn_end_silence_ms"] = quiet
            await self.on_vad(ev)

    async def on_vad(self, ev: VadEvent) -> None:
        """Carry out what :class:`.turns.TurnTaking` makes of one VAD event."""
        # Work with slack (an enrollment, a speech stream ahead of playback) goes after
        # urgent work anyway; only urgent work waiting rules speculation out.
        slack = max(0.0, (self.vad.silence - self.vad.speculate) / 16000) if self.vad else 0.0
        for d in self.turns.on_vad(ev, may_speculate=not self.res.sched.pressed, slack_s=slack):
            if isinstance(d, UserStarted):
                self.emit(self.events.speech_started(d.audio_start_ms, d.item_id))
                await self.replies.cancel_speaking("turn_detected")
            elif isinstance(d, Discard):
                self.replies.discard_spec()
            elif isinstance(d, Speculate):
                self.replies.hold(self.replies.to_audio(UserAudio(d.audio), d.turn_id, d.slack_s))
            elif isinstance(d, Commit):
                self.emit(self.events.speech_stopped(d.audio_end_ms, d.item_id))
                self.emit(self.events.committed(d.item_id))
                resp = self.replies.take_spec(d.turn_id)
                if resp is None:
                    resp = self.replies.to_audio(UserAudio(d.audio), d.turn_id)
                else:
                    resp.timings["speculative"] = 1.0
                await self._answer(resp, d.item_id, auto=self.create_response)

    async def _answer(self, resp: Response, item_id: str, *, auto: bool) -> None:
        """A committed user turn: spoken at once (``auto``), else only transcribed and
        answered on ``response.create``."""
        resp.user_item_id = item_id
        if auto:
            await self.replies.cancel_speaking("turn_detected")
            self.replies.release(resp)
        else:
            self._pending_asr = asyncio.create_task(self._transcribe_only(resp))

    async def _transcribe_only(self, resp: Response) -> None:
        frame = await self.replies.transcript_only(resp)
        if frame is not None:
            self.emit(self.events.transcription_completed(resp.user_item_id, frame.text))
            if frame.text.strip():
                self._pending_user = frame.text

    # ---- client events -------------------------------------------------------------------

    async def handle_event(self, raw: str | bytes) -> None:
        """One client message; a bad one gets an ``error`` event, never an exception."""
        self.touch()
        try:
            event = p.parse_client_event(raw)
        except p.ProtocolError as exc:
            self.emit(self.events.protocol_error(exc))
            return
        if isinstance(event, p.SessionUpdate):
            self._session_update(event)
        elif isinstance(event, p.AudioAppend):
            self._append(event)
        elif isinstance(event, p.AudioCommit):
            await self._commit(event)
        elif isinstance(event, p.AudioClear):
            await self._clear()
        elif isinstance(event, p.UserMessage):
            self._user_message(event)
        elif isinstance(event, p.ResponseCreate):
            await self._response_create(event)
        elif isinstance(event, p.ResponseCancel):
            await self._response_cancel(event)
        else:
            await self._output_clear()

    def _session_update(self, event: p.SessionUpdate) -> None:
        td = event.turn_detection_over(self.turn_detection) if event.turn_detection_given else self.turn_detection
        if event.create_response is not None:
            self.create_response = event.create_response
        self.transport.set_formats(event.input_format or self.transport.input_format,
                                   event.output_format or self.transport.output_format)
        self.turn_detection = td
        if td is not None and self.vad is not None:
            self.vad.configure(td["threshold"], td["silence_duration_ms"], td["prefix_padding_ms"])
        if event.instructions is not None:
            self.conversation.instructions = event.instructions
        self.emit(self.events.session_updated(self.state()))

    def _append(self, event: p.AudioAppend) -> None:
        if len(event.data) > MAX_APPEND_S * self.transport.input_bytes_per_second():
            self.error("audio_too_large", f"One append may carry at most {MAX_APPEND_S:.0f} s of audio.",
                       event_id=event.event_id)
            return
        try:
            pcm = self.transport.decode(event.data)
        except Exception:
            self.error("invalid_audio", f"The audio could not be decoded as {self.transport.input_format}.",
                       event_id=event.event_id)
            return
        self.push_audio(pcm)

    async def _commit(self, event: p.AudioCommit) -> None:
        if self.turn_detection is None:
            audio = np.concatenate(self._ptt) if self._ptt else np.zeros(0, np.float32)
            self._ptt, self._ptt_len = [], 0
        else:
            audio = self.vad.take_turn() if self.vad is not None else np.zeros(0, np.float32)
            self.turns.reset()
            self.replies.discard_spec()
        if audio.size < MIN_COMMIT_SAMPLES:
            self.error("input_audio_buffer_commit_empty",
                       "The input audio buffer holds less than 100 ms of audio; append audio first.",
                       event_id=event.event_id)
            return
        item = self.turns.take_item()
        self.emit(self.events.committed(item))
        await self._answer(self.replies.to_audio(UserAudio(audio)), item,
                           auto=self.turn_detection is not None and self.create_response)

    async def _clear(self) -> None:
        self._ptt, self._ptt_len = [], 0
        if self.vad is not None:
            await self.res.run_vad(self.vad.reset_turn)
        self.turns.reset()
        self.replies.discard_spec()
        self.emit(self.events.input_cleared())

    def _user_message(self, event: p.UserMessage) -> None:
        self._pending_user = event.text
        for ev in self.events.user_item(event.item_id or new_id("item"), event.text):
            self.emit(ev)

    async def _response_create(self, event: p.ResponseCreate) -> None:
        if self.replies.speaking is not None:
            self.error("conversation_already_has_active_response",
                       "A response is in progress; cancel it or wait for response.done.", event_id=event.event_id)
            return
        if self._pending_asr is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending_asr
            self._pending_asr = None
        if self._pending_user is None:
            self.error("no_user_input", "There is no new user input to respond to: commit audio or "
                       "create a user message first.", event_id=event.event_id)
            return
        text, self._pending_user = self._pending_user, None
        self.replies.release(self.replies.to_text(text))

    async def _response_cancel(self, event: p.ResponseCancel) -> None:
        if self.replies.speaking is None:
            self.error("response_cancel_not_active", "There is no response in progress to cancel.",
                       event_id=event.event_id)
            return
        await self.replies.cancel_speaking("client_cancelled")

    async def _output_clear(self) -> None:
        if self.replies.speaking is not None:
            await self.replies.cancel_speaking("client_cancelled")
        else:
            await self.transport.clear()
            self.emit(self.events.output_cleared())
