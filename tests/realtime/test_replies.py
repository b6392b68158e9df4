"""A reply whose pipeline raised is reported as failed, never as completed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from agent_server.realtime.outbound import EventOut
from agent_server.realtime.pipeline import Frame, Pipeline, ReplyEnd, ReplyText, Stage, UserText
from agent_server.realtime.resources import resources
from agent_server.realtime.session import RealtimeSession
from tests.realtime.conftest import AGENT_BODY, LiveServer


class _Recorder:
    """A transport that keeps what the session sends."""

    kind = "test"
    audio_events = True

    async def send_event(self, event: dict[str, Any]) -> None: ...
    async def play(self, audio: np.ndarray) -> None: ...
    async def mark(self, name: str) -> None: ...
    async def clear_audio(self) -> None: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class _Broken(Stage):
    """A stage that raises on the reply's text, as a failing model or responder does."""

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        async for frame in frames:
            if isinstance(frame, ReplyText):
                raise RuntimeError("secret internals: sk-not-for-clients")
            yield frame


async def test_a_reply_whose_pipeline_raised_is_failed(rt_server: LiveServer) -> None:
    ctx = rt_server.app.state.ctx
    session = RealtimeSession(resources=resources(ctx), run_cpu=ctx.run_cpu, agent=AGENT_BODY, profile=None,
                              transport=_Recorder(), voice="joe")
    resp = session._produce(lambda r: Pipeline([_Broken()]), UserText("hello"), ReplyText("Hi there."), ReplyEnd())
    session._release(resp)
    await resp.speaker
    events = []
    while not session._out_q.empty():
        msg = session._out_q.get_nowait()
        if isinstance(msg, EventOut):
            events.append(msg.event)
    done = [e for e in events if e["type"] == "response.done"]
    assert len(done) == 1
    body = done[0]["response"]
    assert body["status"] == "failed"
    assert body["status_details"]["type"] == "failed"
    assert body["status_details"]["error"]["code"] == "reply_failed"
    assert body["output"][0]["status"] == "incomplete"
    assert "sk-not-for-clients" not in json.dumps(events)
