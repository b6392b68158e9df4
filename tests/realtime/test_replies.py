"""A reply whose pipeline raised is reported as failed, never as completed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from agent_server.realtime.pipeline import Frame, Pipeline, ReplyEnd, ReplyText, Stage, UserText
from agent_server.realtime.resources import resources
from agent_server.realtime.session import RealtimeSession
from tests.realtime.conftest import AGENT_BODY, LiveServer
from tests.realtime.fakes import RecordingTransport


class _Broken(Stage):
    """A stage that raises on the reply's text, as a failing model or responder does."""

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        async for frame in frames:
            if isinstance(frame, ReplyText):
                raise RuntimeError("secret internals: sk-not-for-clients")
            yield frame


async def test_a_reply_whose_pipeline_raised_is_failed(rt_server: LiveServer) -> None:
    ctx = rt_server.app.state.ctx
    transport = RecordingTransport()
    session = RealtimeSession(resources=resources(ctx), agent=AGENT_BODY, profile=None, transport=transport,
                              voice="joe")
    writer = asyncio.create_task(transport.run())
    resp = session.replies.produce(lambda r: Pipeline([_Broken()]), UserText("hello"), ReplyText("Hi there."),
                                   ReplyEnd())
    session.replies.release(resp)
    await resp.speaker
    transport.close_after_queued("done")
    await writer
    done = transport.of("response.done")
    assert len(done) == 1
    body = done[0]["response"]
    assert body["status"] == "failed"
    assert body["status_details"]["type"] == "failed"
    assert body["status_details"]["error"]["code"] == "reply_failed"
    assert body["output"][0]["status"] == "incomplete"
    assert "sk-not-for-clients" not in json.dumps(transport.events)
