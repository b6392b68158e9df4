"""Client events of REALTIME.md (``session.update``, ``input_audio_buffer.*``,
``conversation.item.create``, ``response.*``): validated here, each a clear ``error``
event when wrong, never an exception that would end the session.

A mixin of :class:`agent_server.realtime.session.RealtimeSession`: the handlers read and
change that session's state, and start replies through :class:`.replies.Replies`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
from typing import Any

import numpy as np

from agent_server.ids import new_id
from agent_server.realtime import audio as rt_audio
from agent_server.realtime.pipeline import (
    Transcript,
    UserAudio,
    UserText,
)
from agent_server.realtime.response import Response

MAX_APPEND_BYTES = 15 * 1024 * 1024  # OpenAI's per-event limit on base64 audio
MAX_APPEND_S = 30.0
MAX_EVENT_BYTES = 16 * 1024 * 1024


class ClientEvents:
    """Handlers of the client events; mixed into the session, whose state they use."""

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

    async def handle_event(self, raw: str | bytes) -> None:
        self.touch()
        if len(raw) > MAX_EVENT_BYTES:
            await self.error("event_too_large", "The event is larger than 16 MiB; send audio in smaller appends.")
            return
        try:
            event = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
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
