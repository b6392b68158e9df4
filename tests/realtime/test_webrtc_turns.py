"""WebRTC turns with a real microphone track: barge-in over the Opus path, and a
peer that only listens (never sends audio)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from agent_server.realtime.resources import resources
from tests.realtime.conftest import LiveServer
from tests.realtime.rtc_peer import RATE, Peer


async def test_webrtc_barge_in(rt_server: LiveServer, chatty_agent: str, speech: Callable[..., np.ndarray]) -> None:
    peer = Peer()
    await peer.call(rt_server.base_url, chatty_agent, rt_server.api_key)
    greeting = await peer.until("response.created")
    await peer.until("response.output_audio_transcript.delta", response_id=greeting["response"]["id"])
    await asyncio.sleep(1.0)  # well into the ~12 s greeting
    peer.mic.say(np.concatenate([speech("When are you open?", RATE), np.zeros(RATE, np.float32)]))
    started = await peer.until("input_audio_buffer.speech_started", 30)
    cleared = await peer.until("output_audio_buffer.cleared", 30)
    done = await peer.until("response.done", 30, id=greeting["response"]["id"])
    assert cleared["response_id"] == greeting["response"]["id"]
    assert done["response"]["status"] == "cancelled"
    cut = done["response"]["output"][0]["content"][0]["transcript"]
    assert cut and "chocolate tart" not in cut  # only what was sent before the barge-in
    assert peer.events.index(started) < peer.events.index(cleared)
    tr = await peer.until("conversation.item.input_audio_transcription.completed", 30)
    assert "open" in tr["transcript"].lower()
    answer = await peer.until("response.done", 60, after=peer.events.index(done) + 1)
    assert answer["response"]["status"] == "completed"
    assert "noon to ten" in answer["response"]["output"][0]["content"][0]["transcript"]
    # The greeting's audio stopped on the track: between the clear (plus the jitter
    # buffer's worth) and the answer, the agent's track carried silence.
    answer_created = next(e for e in peer.events if e["type"] == "response.created"
                          and e["response"]["id"] == answer["response"]["id"])
    gap = [peak for t, peak in peer.heard if cleared["_t"] + 1.0 < t < answer_created["_t"]]
    assert max(gap, default=0) < 300, max(gap)
    await peer.close()


async def test_listen_only_peer_stays_healthy(rt_server: LiveServer, agent_id: str) -> None:
    """No microphone at all (a recvonly audio section): the greeting plays, typed
    turns work, and nothing in the session waits for audio that never comes."""
    peer = Peer(with_mic=False)
    await peer.call(rt_server.base_url, agent_id, rt_server.api_key)
    greeting = await peer.until("response.done")
    assert greeting["response"]["status"] == "completed"
    await asyncio.sleep(1.5)
    assert max((p for _, p in peer.heard), default=0) > 1000  # heard on the track
    n = len(peer.events)
    peer.send("conversation.item.create", item={"type": "message", "role": "user",
                                                "content": [{"type": "input_text", "text": "when are you open"}]})
    peer.send("response.create")
    done = await peer.until("response.done", 60, after=n)
    assert "noon to ten" in done["response"]["output"][0]["content"][0]["transcript"]
    assert not [e for e in peer.events if e["type"] == "error"]
    await peer.close()


async def test_idle_sessions_are_closed_and_free_their_slot(rt_server: LiveServer, agent_id: str) -> None:
    """A peer that never sends audio or events is hung up after the idle timeout,
    with an error saying why, and its session slot is given back."""
    from tests.realtime.helpers import Client

    ctx = rt_server.app.state.ctx
    res = resources(ctx)
    saved, res.idle_timeout_s = res.idle_timeout_s, 2.0
    try:
        peer = Peer(with_mic=False)
        await peer.call(rt_server.base_url, agent_id, rt_server.api_key)
        ws = await Client.connect(f"{rt_server.ws_url}/v1/realtime?agent={agent_id}", rt_server.api_key)
        await peer.until("response.done")  # the greeting does not count as idling
        assert peer.call_id in ctx.extras["realtime_calls"]
        err = await peer.until("error", 30)
        assert err["error"]["code"] == "session_idle_timeout"
        await asyncio.wait_for(peer.closed.wait(), 15)
        ev = await ws.until("error", 30)
        assert ev["error"]["code"] == "session_idle_timeout"
        await asyncio.wait_for(ws.ws.wait_closed(), 15)
        # Call.end gives the session slot back, then forgets the call.
        for _ in range(100):
            if peer.call_id not in ctx.extras["realtime_calls"]:
                break
            await asyncio.sleep(0.1)
        assert peer.call_id not in ctx.extras["realtime_calls"]
        await peer.close()
    finally:
        res.idle_timeout_s = saved
