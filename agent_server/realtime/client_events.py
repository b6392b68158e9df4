"""Client events of REALTIME.md (``session.update``, ``input_audio_buffer.*``,
``conversation.item.create``, ``response.*``): parsed by :mod:`.protocol`, each a clear
``error`` event when wrong, never an exception that would end the session.

A mixin of :class:`agent_server.realtime.session.RealtimeSession`: the handlers read and
change that session's state, and start replies through :class:`.replies.Replies`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import numpy as np

from agent_server.ids import new_id
from agent_server.realtime import protocol as p
from agent_server.realtime.pipeline import (
    Transcript,
    UserAudio,
    UserText,
)
from agent_server.realtime.response import Response

MAX_APPEND_S = 30.0


class ClientEvents:
    """Handlers of the client events; mixed into the session, whose state they use."""

    def state(self) -> p.SessionState:
        t = self.transport
        return p.SessionState(self.id, self.agent["id"], self.instructions, t.input_format, t.output_format,
                              self.turn_detection, self.create_response, self.voice, self.started_at)

    def session_object(self) -> dict[str, Any]:
        return p.session_object(self.state())

    async def handle_event(self, raw: str | bytes) -> None:
        self.touch()
        try:
            event = p.parse_client_event(raw)
        except p.ProtocolError as exc:
            self.emit(self.events.protocol_error(exc))
            return
        match event:
            case p.SessionUpdate():
                await self._session_update(event)
            case p.AudioAppend():
                self._append(event)
            case p.AudioCommit():
                await self._commit(event)
            case p.AudioClear():
                await self._clear()
            case p.UserMessage():
                self._user_message(event)
            case p.ResponseCreate():
                await self._response_create(event)
            case p.ResponseCancel():
                await self._response_cancel(event)
            case p.OutputAudioClear():
                await self._output_clear()

    async def _session_update(self, event: p.SessionUpdate) -> None:
        td = event.turn_detection_over(self.turn_detection) if event.turn_detection_given else self.turn_detection
        if event.create_response is not None:
            self.create_response = event.create_response
        self.transport.set_formats(event.input_format or self.transport.input_format,
                                   event.output_format or self.transport.output_format)
        self.turn_detection = td
        if td is not None and self.vad is not None:
            self.vad.configure(td["threshold"], td["silence_duration_ms"], td["prefix_padding_ms"])
        if event.instructions is not None:
            self.instructions = event.instructions
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
            self._discard_spec()
        if audio.size < 1600:  # 100 ms
            self.error("input_audio_buffer_commit_empty",
                       "The input audio buffer holds less than 100 ms of audio; append audio first.",
                       event_id=event.event_id)
            return
        item = self._user_item or new_id("item")
        self._user_item = None
        self.emit(self.events.committed(item))
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
            self.emit(self.events.transcription_completed(resp.user_item_id, frame.text))
            if frame.text.strip():
                self._pending_user = frame.text

    async def _clear(self) -> None:
        self._ptt, self._ptt_len = [], 0
        if self.vad is not None:
            await self.res.run_vad(self.vad.reset_turn)
        self._discard_spec()
        self.emit(self.events.input_cleared())

    def _user_message(self, event: p.UserMessage) -> None:
        self._pending_user = event.text
        for ev in self.events.user_item(event.item_id or new_id("item"), event.text):
            self.emit(ev)

    async def _response_create(self, event: p.ResponseCreate) -> None:
        if self.active is not None and self.active.status == "in_progress":
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
        self._release(self._produce(lambda r: self._pipeline(r, with_asr=False), UserText(text)))

    async def _response_cancel(self, event: p.ResponseCancel) -> None:
        if self.active is None or self.active.status != "in_progress":
            self.error("response_cancel_not_active", "There is no response in progress to cancel.",
                       event_id=event.event_id)
            return
        await self._cancel(self.active, "client_cancelled")

    async def _output_clear(self) -> None:
        if self.active is not None and self.active.status == "in_progress":
            await self._cancel(self.active, "client_cancelled")
        else:
            await self.transport.clear()
            self.emit(self.events.output_cleared())
