"""A transport that keeps what the session sends it, for tests that drive a session
without a network (as Pipecat's ``run_test`` drives a pipeline)."""

from __future__ import annotations

from typing import Any

from agent_server.realtime.outbound import AudioOut
from agent_server.realtime.transports.base import Transport


class RecordingTransport(Transport):
    """Written messages in order; ``buffers``: whether it plays out of a buffer of its
    own (as WebRTC and Twilio do), so a clear is reported to the client."""

    def __init__(self, *, buffers: bool = False) -> None:
        super().__init__()
        self.buffers = buffers
        self.events: list[dict[str, Any]] = []
        self.audio: list[AudioOut] = []
        self.marks: list[str] = []
        self.clears = 0
        self.closed: tuple[int, str] | None = None

    async def write_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    async def write_audio(self, msg: AudioOut) -> None:
        self.audio.append(msg)

    async def write_mark(self, name: str) -> None:
        self.marks.append(name)

    async def clear_playback(self) -> bool:
        self.clears += 1
        return self.buffers

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]
