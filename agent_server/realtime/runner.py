"""Replies, from start to ``response.done``: a reply's pipeline (ASR → responder → TTS)
is produced into a small queue, released to the speaker (which hands its audio to the
transport, paced there), and finished, completed, cancelled or failed, with the
transcript of what was actually sent.

At most two replies live at once: the one being spoken (:attr:`ReplyRunner.active`) and
one held while the user's pause may still turn out to be the end of the turn
(:attr:`ReplyRunner.spec`, see :mod:`.turns`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent_server.cpu import CpuScheduler
from agent_server.ids import new_id
from agent_server.realtime import audio as rt_audio
from agent_server.realtime.engines import RunCpu, SpeechToText, TextToSpeech
from agent_server.realtime.outbound import AudioOut
from agent_server.realtime.pipeline import (
    Frame,
    Pipeline,
    ReplyAudio,
    ReplyEnd,
    ReplyText,
    Stage,
    Transcript,
    UserAudio,
    UserText,
)
from agent_server.realtime.protocol import ServerEvents
from agent_server.realtime.response import PIECE_S, Piece, Response
from agent_server.realtime.stages.asr import AsrStage
from agent_server.realtime.stages.responder import ResponderStage
from agent_server.realtime.stages.tts import TtsStage
from agent_server.realtime.transports.base import Transport
from agent_server.responders import Message, Responder

log = logging.getLogger("agent_server.realtime")
OUT_RATE = rt_audio.OUT_RATE
END_CALL_GRACE_S = 0.3  # after the goodbye has played, before hanging up


@dataclass
class Conversation:
    """What replies read and add to: the session's instructions and its history."""

    instructions: str
    history: list[Message] = field(default_factory=list)


class ReplyRunner:
    """Starts, speaks, finishes and cancels one session's replies."""

    def __init__(self, *, session_id: str, voice: str, transport: Transport, events: ServerEvents,
                 sched: CpuScheduler, stt: Callable[[], SpeechToText], tts: TextToSpeech, responder: Responder,
                 conversation: Conversation) -> None:
        self.session_id = session_id
        self.voice = voice
        self.transport = transport
        self.events = events
        self.sched = sched
        self._stt = stt  # looked up when a reply needs it: the engine loads once per server
        self.tts = tts
        self.responder = responder
        self.conversation = conversation
        self.active: Response | None = None  # released, being spoken
        self.spec: Response | None = None  # speculative, held

    # ---- state --------------------------------------------------------------------------

    @property
    def speaking(self) -> Response | None:
        """The reply being spoken, if it is still in progress."""
        return self.active if self.active is not None and self.active.status == "in_progress" else None

    @property
    def busy(self) -> bool:
        return self.active is not None or self.spec is not None

    # ---- starting replies ------------------------------------------------------------------

    def to_audio(self, audio: UserAudio, turn_id: int | None = None, slack: float = 0.0) -> Response:
        """A reply to a user turn's audio (transcribed first)."""
        resp = self.produce(lambda r: self._pipeline(r, with_asr=True), audio, slack=slack)
        resp.turn_id = turn_id
        return resp

    def to_text(self, text: str) -> Response:
        return self.produce(lambda r: self._pipeline(r, with_asr=False), UserText(text))

    def say(self, text: str) -> Response:
        """The agent's own words (the greeting): no responder, no history entry for the user."""
        return self.produce(lambda r: Pipeline([self._tts(r)]), ReplyText(text), ReplyEnd())

    def _tts(self, resp: Response) -> TtsStage:
        return TtsStage(self.tts, self._cpu(resp, "tts"))

    def _pipeline(self, resp: Response, *, with_asr: bool) -> Pipeline:
        stages: list[Stage] = []
        if with_asr:
            stages.append(AsrStage(self._stt(), self._cpu(resp, "asr")))
        conv = self.conversation
        stages.append(ResponderStage(self.responder, lambda: conv.history, lambda: conv.instructions,
                                     self._cpu(resp, "responder")))
        stages.append(self._tts(resp))
        return Pipeline(stages)

    def _cpu(self, resp: Response, kind: str) -> RunCpu:
        """The CPU runner for one reply's stages: each job goes to the shared scheduler
        with the reply's current deadline (see :mod:`agent_server.cpu`)."""

        async def run(fn: Callable[..., Any], *args: Any) -> Any:
            return await self.sched.run(resp.deadline(), kind, fn, *args)

        return run

    def produce(self, build: Callable[[Response], Pipeline], *frames: Frame, slack: float = 0.0) -> Response:
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
                    elif isinstance(out, Transcript):
                        resp.heard = out.text
                    await resp.queue.put(out)
            except asyncio.CancelledError:
                with contextlib.suppress(asyncio.QueueFull):
                    resp.queue.put_nowait(None)
                raise
            except Exception as exc:
                log.exception("session %s: reply pipeline failed", self.session_id)
                # The client learns that it failed, not why: internals stay in the log.
                resp.error = {"type": "server_error", "code": "reply_failed",
                              "message": f"The reply could not be produced ({type(exc).__name__}); "
                                         "the session goes on and the next turn is answered as usual."}
            # Waits for room: with the look-ahead queue full, a dropped end marker
            # left the speaker waiting forever after the reply's last piece.
            await resp.queue.put(None)

        resp.producer = asyncio.create_task(run(), name=f"{resp.id}-producer")
        return resp

    # ---- held replies ----------------------------------------------------------------------

    def hold(self, resp: Response) -> None:
        """Keep ``resp`` unspoken until its turn is committed (or the pause was not one)."""
        self.discard_spec()
        self.spec = resp

    def take_spec(self, turn_id: int) -> Response | None:
        """The held reply, if it was started for this turn; it is no longer held."""
        resp = self.spec if self.spec is not None and self.spec.turn_id == turn_id else None
        self.spec = None
        return resp

    def discard_spec(self) -> None:
        if self.spec is not None:
            self.discard(self.spec)
            self.spec = None

    def discard(self, resp: Response) -> None:
        """Stop a reply nobody heard, and forget what its responder turn changed."""
        if resp.producer is not None:
            resp.producer.cancel()
        self.responder.restore(resp.responder_state)

    async def transcript_only(self, resp: Response) -> Transcript | None:
        """Push-to-talk or no auto-response: the turn's transcript, and the rest of the
        reply thrown away (it is produced again on ``response.create``)."""
        frame = await resp.queue.get()
        self.discard(resp)
        return frame if isinstance(frame, Transcript) else None

    # ---- speaking ------------------------------------------------------------------------

    def release(self, resp: Response) -> None:
        resp.released_at = time.perf_counter()
        resp.due = min(resp.due, asyncio.get_running_loop().time())
        self.active = resp
        resp.speaker = asyncio.create_task(self._speak(resp), name=f"{resp.id}-speaker")

    def _send_created(self, resp: Response) -> None:
        if resp.created_sent:
            return
        resp.created_sent = True
        self.transport.send_event(self.events.response_created(resp.id, self.session_id, self.transport.output_format,
                                                               self.voice))
        self.transport.send_event(self.events.output_item_added(resp.id, resp.item_id))

    async def _speak(self, resp: Response) -> None:
        send = self.transport.send_event
        while True:
            frame = await resp.queue.get()
            if frame is None:
                break
            if isinstance(frame, Transcript | UserText):
                if isinstance(frame, Transcript):
                    send(self.events.transcription_completed(resp.user_item_id, frame.text))
                if frame.text.strip():
                    resp.user_text = frame.text
                    self.conversation.history.append(Message("user", frame.text))
                else:
                    # Noise or a cough: no words, no answer.
                    resp.status = "skipped"
                    break
            elif isinstance(frame, ReplyAudio):
                self._send_created(resp)
                if "first_audio_ms" not in resp.timings and resp.released_at is not None:
                    resp.timings["first_audio_ms"] = (time.perf_counter() - resp.released_at) * 1000
                piece = Piece(frame.text, len(frame.audio))
                resp.pieces.append(piece)
                if frame.text:
                    send(self.events.transcript_delta(resp.id, resp.item_id,
                                                      frame.text if len(resp.pieces) == 1 else " " + frame.text))
                step = int(PIECE_S * OUT_RATE)
                for i in range(0, len(frame.audio), step):
                    await self.transport.play(AudioOut(resp.id, resp.item_id, self.events.next_id(),
                                                       frame.audio[i:i + step], piece.add_sent))
                self.transport.mark(resp.id, f"{resp.id}.{len(resp.pieces)}")
            elif isinstance(frame, ReplyEnd):
                resp.timings.update(frame.timings)
                resp.end_call = frame.end_call
        if self.active is resp:
            self.active = None
        if resp.status == "skipped":
            return
        self._send_created(resp)
        resp.status = "failed" if resp.error else "completed"
        self._finish(resp, resp.full_transcript())
        if resp.end_call:
            await asyncio.sleep(self.transport.playing_for() + END_CALL_GRACE_S)
            self.transport.close_after_queued("the agent ended the call")

    def _finish(self, resp: Response, transcript: str, reason: str | None = None) -> None:
        if transcript:
            self.conversation.history.append(Message("assistant", transcript))
        details = ({"type": resp.status, "reason": reason} if reason else
                   {"type": "failed", "error": resp.error} if resp.error else None)
        for ev in self.events.response_finished(response_id=resp.id, item_id=resp.item_id,
                                                conversation_id=self.session_id, status=resp.status,
                                                transcript=transcript, status_details=details, timings=resp.timings):
            self.transport.send_event(ev)

    async def cancel(self, resp: Response, reason: str) -> None:
        """Barge-in or response.cancel: stop synthesis, drop unsent audio, report what
        the caller actually got."""
        if resp.status != "in_progress":
            return
        resp.status = "cancelled"
        for t in (resp.producer, resp.speaker):
            if t is not None:
                t.cancel()
        if self.active is resp:
            self.active = None
        if await self.transport.clear(resp.id):
            self.transport.send_event(self.events.output_cleared(resp.id))
        self._send_created(resp)
        self._finish(resp, resp.sent_transcript(), reason)

    async def cancel_speaking(self, reason: str) -> None:
        if (resp := self.speaking) is not None:
            await self.cancel(resp, reason)

    def stop(self) -> None:
        """The session closes: every reply's work stops where it is."""
        for resp in (self.spec, self.active):
            if resp is not None:
                for t in (resp.producer, resp.speaker):
                    if t is not None:
                        t.cancel()
