"""What every transport does the same way: the session's audio formats (decode what
comes in, encode what goes out), one ordered outbound queue of typed messages
(:mod:`..outbound`) written by one task, pacing of reply audio, playback marks, and
clearing on barge-in.

A transport subclass only says how one message goes on its wire (:meth:`Transport.write_event`,
:meth:`Transport.write_audio`, and where it has them :meth:`Transport.write_mark` and
:meth:`Transport.clear_playback`) and how the connection closes.

Pacing: reply audio is queued at real time plus :data:`LEAD_S`, so a barge-in leaves at
most that much audio in the client's (or the track's) buffer; what was never sent is
taken out of the queue, and its reply's transcript is cut to what was sent.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from agent_server.realtime import audio as rt_audio
from agent_server.realtime.outbound import AudioOut, CloseOut, EventOut, MarkOut, Outbound

LEAD_S = 0.2  # audio sent ahead of real time: absorbs network jitter, bounds barge-in tail


class Transport(ABC):
    """One connection's outbound side and its audio formats."""

    def __init__(self, input_format: str = "audio/pcm", output_format: str = "audio/pcm") -> None:
        self.input_format = input_format
        self.output_format = output_format
        self.decoder = rt_audio.Decoder(input_format)
        self.encoder = rt_audio.Encoder(output_format)
        self._queue: asyncio.Queue[Outbound] = asyncio.Queue()
        self._play_end = 0.0  # event-loop time the audio queued so far has played out

    # ---- formats ---------------------------------------------------------------------

    def set_formats(self, input_format: str, output_format: str) -> None:
        """``session.update``: codec state restarts only for a direction that changed."""
        if input_format != self.input_format:
            self.input_format, self.decoder = input_format, rt_audio.Decoder(input_format)
        if output_format != self.output_format:
            self.output_format, self.encoder = output_format, rt_audio.Encoder(output_format)

    def decode(self, data: bytes) -> np.ndarray:
        """Bytes in the input format → float32 mono 16 kHz."""
        return self.decoder.decode(data)

    def input_bytes_per_second(self) -> int:
        return self.decoder.bytes_per_second()

    # ---- what the session hands over ------------------------------------------------------

    def send_event(self, event: dict[str, Any]) -> None:
        self._queue.put_nowait(EventOut(event))

    async def play(self, msg: AudioOut) -> None:
        """Queue reply audio, waiting first while more than :data:`LEAD_S` of it is
        ahead of real time."""
        loop = asyncio.get_running_loop()
        wait = self._play_end - loop.time() - LEAD_S
        if wait > 0:
            await asyncio.sleep(wait)
        self._queue.put_nowait(msg)
        self._play_end = max(self._play_end, loop.time()) + len(msg.audio) / rt_audio.OUT_RATE

    def mark(self, response_id: str, name: str) -> None:
        """After the audio queued so far: one reply piece has been sent."""
        self._queue.put_nowait(MarkOut(response_id, name))

    def close_after_queued(self, reason: str, code: int = 1000) -> None:
        self._queue.put_nowait(CloseOut(reason, code))

    def playing_for(self) -> float:
        """Seconds until the audio queued so far has played out."""
        return max(0.0, self._play_end - asyncio.get_running_loop().time())

    async def clear(self, response_id: str | None = None) -> bool:
        """Barge-in: the unsent audio and marks of ``response_id`` leave the queue and
        whatever this transport still buffers is dropped. True when the transport
        plays out of a buffer of its own (the client is then told
        ``output_audio_buffer.cleared``)."""
        if response_id is not None:
            for m in self._drain():
                if not (isinstance(m, AudioOut | MarkOut) and m.response_id == response_id):
                    self._queue.put_nowait(m)
            self._play_end = 0.0
        return await self.clear_playback()

    def _drain(self) -> list[Outbound]:
        out: list[Outbound] = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    async def run(self) -> None:
        """Write the queue out in order until a :class:`CloseOut`; raises when the
        connection fails under a write (the client went away)."""
        while True:
            msg = await self._queue.get()
            if isinstance(msg, EventOut):
                await self.write_event(msg.event)
            elif isinstance(msg, AudioOut):
                await self.write_audio(msg)
                msg.on_sent(len(msg.audio))
            elif isinstance(msg, MarkOut):
                await self.write_mark(msg.name)
            else:
                await self.close(msg.code, msg.reason)
                return

    # ---- the wire ----------------------------------------------------------------------

    @abstractmethod
    async def write_event(self, event: dict[str, Any]) -> None:
        """One server event."""

    @abstractmethod
    async def write_audio(self, msg: AudioOut) -> None:
        """One piece of reply audio (float32 mono 24 kHz; :attr:`encoder` makes the
        output format of it where the wire carries bytes)."""

    async def write_mark(self, name: str) -> None:
        """Where the client reports playback progress, ask it to echo ``name``."""
        return None

    async def clear_playback(self) -> bool:
        """Drop audio already handed over but not yet played; see :meth:`clear`."""
        return False

    @abstractmethod
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """End the connection (idempotent)."""
