"""Reply lifecycle: a reply's pipeline is produced into a small queue, released to the
speaker (which hands it to the transport, paced there), and finished,
completed or cancelled, with the transcript of what was actually sent.

A mixin of :class:`agent_server.realtime.session.RealtimeSession`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from agent_server.ids import new_id
from agent_server.realtime import audio as rt_audio
from agent_server.realtime.outbound import AudioOut
from agent_server.realtime.pipeline import (
    Frame,
    Pipeline,
    ReplyAudio,
    ReplyEnd,
    Transcript,
    UserAudio,
    UserText,
)
from agent_server.realtime.response import PIECE_S, Piece, Response
from agent_server.realtime.stages.asr import AsrStage
from agent_server.realtime.stages.responder import ResponderStage
from agent_server.realtime.stages.tts import TtsStage
from agent_server.responders import Message

log = logging.getLogger("agent_server.realtime")
OUT_RATE = rt_audio.OUT_RATE


class Replies:
    """Producing, speaking, finishing and cancelling replies; mixed into the session."""

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
            except Exception as exc:
                log.exception("session %s: reply pipeline failed", self.id)
                # The client learns that it failed, not why: internals stay in the log.
                resp.error = {"type": "server_error", "code": "reply_failed",
                              "message": f"The reply could not be produced ({type(exc).__name__}); "
                                         "the session goes on and the next turn is answered as usual."}
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
        self.emit(self.events.response_created(resp.id, self.id, self.transport.output_format, self.voice))
        self.emit(self.events.output_item_added(resp.id, resp.item_id))

    async def _speak(self, resp: Response) -> None:
        while True:
            frame = await resp.queue.get()
            if frame is None:
                break
            if isinstance(frame, Transcript | UserText):
                if isinstance(frame, Transcript):
                    self.emit(self.events.transcription_completed(resp.user_item_id, frame.text))
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
                piece = Piece(frame.text, len(frame.audio))
                resp.pieces.append(piece)
                if frame.text:
                    self.emit(self.events.transcript_delta(
                        resp.id, resp.item_id, frame.text if len(resp.pieces) == 1 else " " + frame.text))
                step = int(PIECE_S * OUT_RATE)
                for i in range(0, len(frame.audio), step):
                    chunk = frame.audio[i:i + step]
                    await self.transport.play(AudioOut(resp.id, resp.item_id, self.events.next_id(), chunk,
                                                       piece.add_sent))
                self.transport.mark(resp.id, f"{resp.id}.{len(resp.pieces)}")
            elif isinstance(frame, ReplyEnd):
                resp.timings.update(frame.timings)
                resp.end_call = frame.end_call
        if self.active is resp:
            self.active = None
        if resp.status == "skipped":
            return
        await self._send_created(resp)
        resp.status = "failed" if resp.error else "completed"
        await self._finish(resp, resp.full_transcript())
        if resp.end_call:
            await asyncio.sleep(self.transport.playing_for() + 0.3)
            self.transport.close_after_queued("the agent ended the call")

    async def _finish(self, resp: Response, transcript: str, reason: str | None = None) -> None:
        if transcript:
            self.history.append(Message("assistant", transcript))
        details = ({"type": resp.status, "reason": reason} if reason else
                   {"type": "failed", "error": resp.error} if resp.error else None)
        for ev in self.events.response_finished(response_id=resp.id, item_id=resp.item_id, conversation_id=self.id,
                                                status=resp.status, transcript=transcript, status_details=details,
                                                timings=resp.timings):
            self.emit(ev)

    async def _cancel(self, resp: Response, reason: str) -> None:
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
            self.emit(self.events.output_cleared(resp.id))
        await self._send_created(resp)
        await self._finish(resp, resp.sent_transcript(), reason)
