"""WebSocket sessions end to end: greeting, spoken and typed turns, formats, barge-in."""

from __future__ import annotations

import asyncio

import numpy as np

from tests.realtime.conftest import LiveServer
from tests.realtime.helpers import Client, silence


async def _open(srv: LiveServer, agent_id: str, param: str = "agent") -> Client:
    c = await Client.connect(f"{srv.ws_url}/v1/realtime?{param}={agent_id}", srv.api_key)
    created = await c.until("session.created")
    assert created["session"]["audio"]["output"]["voice"] == "joe"
    return c


async def test_greeting_then_spoken_question(rt_server: LiveServer, agent_id: str, speech) -> None:
    c = await _open(rt_server, agent_id)
    done = await c.until("response.done")
    assert done["response"]["status"] == "completed"
    assert "thanks for calling" in done["response"]["output"][0]["content"][0]["transcript"]
    assert len(c.audio(done["response"]["id"])) > 24000  # > 0.5 s of s16 audio
    await c.stream(np.concatenate([speech("When are you open?"), silence(1.2)]), realtime=False)
    tr = await c.until("conversation.item.input_audio_transcription.completed")
    assert "open" in tr["transcript"].lower()
    done = await c.until("response.done")
    assert done["response"]["status"] == "completed"
    assert "noon to ten" in done["response"]["output"][0]["content"][0]["transcript"]
    order = c.types()
    for a, b in [("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"),
                 ("input_audio_buffer.speech_stopped", "input_audio_buffer.committed"),
                 ("input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed")]:
        assert order.index(a) < order.index(b)
    await c.close()


async def test_text_turn_with_slots_and_end_call(rt_server: LiveServer, agent_id: str) -> None:
    c = await _open(rt_server, agent_id, "model")
    await c.until("response.done")  # greeting
    await c.send("conversation.item.create", item={"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "can I reserve a table tomorrow at seven thirty pm"}]})
    await c.send("response.create")
    done = await c.until("response.done")
    assert done["response"]["output"][0]["content"][0]["transcript"] == "For how many people?"
    await c.send("conversation.item.create", item={"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "for four"}]})
    await c.send("response.create")
    done = await c.until("response.done")
    said = done["response"]["output"][0]["content"][0]["transcript"]
    assert said.startswith("Booked: a table for 4 on ") and "7:30 PM" in said
    await c.send("conversation.item.create", item={"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "that's all, thank you, goodbye"}]})
    await c.send("response.create")
    done = await c.until("response.done")
    assert done["response"]["output"][0]["content"][0]["transcript"] == "Goodbye!"
    # The agent hangs up once its goodbye has played.
    await asyncio.wait_for(c.ws.wait_closed(), 15)


async def test_reply_of_many_sentences_completes(rt_server: LiveServer) -> None:
    """A reply with more sentences than the look-ahead queue holds: TTS runs ahead of
    playback and fills the queue, and the reply must still end (it once hung after its
    last sentence when the end marker found the queue full)."""
    body = {"name": "Talker", "voice": "joe", "greeting": "", "responder": {
        "type": "knowledge", "intents": [],
        "fallback": "One. Two is next. Then comes three. Four follows. Five ends it."}}
    with rt_server.client() as http:
        r = http.post("/v1/agents", json=body)
    assert r.status_code == 201, r.text
    c = await Client.connect(f"{rt_server.ws_url}/v1/realtime?agent={r.json()['id']}", rt_server.api_key)
    await c.until("session.created")
    await c.send("conversation.item.create", item={"type": "message", "role": "user",
                                                   "content": [{"type": "input_text",
                                                                "text": "what is the capital of peru"}]})
    await c.send("response.create")
    done = await c.until("response.done", 60)
    assert done["response"]["status"] == "completed"
    assert done["response"]["output"][0]["content"][0]["transcript"].endswith("Five ends it.")
    await c.close()
