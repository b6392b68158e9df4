"""Bad input never crashes a session or the server: it gets a clear error."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
import websockets

from tests.realtime.conftest import LiveServer
from tests.realtime.helpers import Client


async def _status(url: str, key: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        await websockets.connect(url, additional_headers=headers)
    resp = info.value.response
    return resp.status_code, json.loads(resp.body or b"{}")


async def test_garbage_and_out_of_order_events(rt_server: LiveServer, agent_id: str) -> None:
    c = await Client.connect(f"{rt_server.ws_url}/v1/realtime?agent={agent_id}", rt_server.api_key)
    await c.until("session.created")
    await c.until("response.done")  # the greeting
    bad = [
        "not json",
        json.dumps({"type": "input_audio_buffer.append", "audio": "%%%not-base64%%%"}),
        json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\0" * (24000 * 2 * 31)).decode()}),
        json.dumps({"type": "session.update", "session": {"audio": {"input": {"format": {"type": "audio/pcm",
                                                                                        "rate": 16000}}}}}),
        json.dumps({"type": "no.such.event"}),
        json.dumps({"type": "response.cancel"}),
        json.dumps({"type": "input_audio_buffer.commit"}),
        json.dumps({"type": "conversation.item.create", "item": {"type": "function_call"}}),
    ]
    codes = []
    for msg in bad:
        await c.ws.send(msg)
        # The greeting may be in flight: skip its events.
        ev = await c.until("error", 20)
        codes.append(ev["error"]["code"])
    assert codes == ["invalid_json", "invalid_audio", "audio_too_large", "invalid_value", "unknown_event",
                     "response_cancel_not_active", "input_audio_buffer_commit_empty", "invalid_item"]
    # Still alive: a text turn works.
    await c.send("conversation.item.create", item={"type": "message", "role": "user",
                                                   "content": [{"type": "input_text", "text": "when are you open"}]})
    await c.send("response.create")
    done = await c.until("response.done")
    assert "noon to ten" in done["response"]["output"][0]["content"][0]["transcript"]
    await c.close()


async def test_refusals(rt_server: LiveServer, agent_id: str) -> None:
    base = f"{rt_server.ws_url}/v1/realtime"
    assert (await _status(f"{base}?agent={agent_id}", None))[0] == 401
    status, body = await _status(f"{base}?agent=agent_nope", rt_server.api_key)
    assert status == 404 and body["error"]["code"] == "agent_not_found"
    # An expired client secret.
    async with httpx.AsyncClient(base_url=rt_server.base_url,
                                 headers={"authorization": f"Bearer {rt_server.api_key}"}) as http:
        r = await http.post("/v1/realtime/client_secrets", json={"agent": agent_id})
        assert r.status_code == 200 and r.json()["value"].startswith("ek")
        secret = r.json()["value"]
    ok = await websockets.connect(f"{base}", subprotocols=["realtime", f"openai-insecure-api-key.{secret}"])
    assert json.loads(await ok.recv())["type"] == "session.created"
    await ok.close()
    from agent_server.auth import hash_key
    from agent_server.config import load_settings
    from agent_server.stores import open_store

    store = open_store(load_settings(env={}, data_dir=str(rt_server.data_dir)))
    key = await store.key_by_hash(hash_key(secret))
    key.expires_at = 1
    await store.put_key(key)
    await store.close()
    status, body = await _status(f"{base}?agent={agent_id}", secret)
    assert status == 401 and body["error"]["code"] == "expired_secret"


async def test_deleted_voice_fails_clearly(rt_server: LiveServer) -> None:
    from agent_server.config import load_settings
    from agent_server.stores import open_store

    store = open_store(load_settings(env={}, data_dir=str(rt_server.data_dir)))
    await store.insert("agent", "default", "agent_orphan", {
        "id": "agent_orphan", "object": "agent", "name": "o", "voice": "voice_gone", "greeting": "",
        "instructions": "", "responder": {"type": "knowledge"}, "turn_detection": None, "created_at": 0})
    await store.close()
    # Told as an error event on the open socket (what realtime clients show), then closed.
    ws = await websockets.connect(f"{rt_server.ws_url}/v1/realtime?agent=agent_orphan",
                                  additional_headers={"Authorization": f"Bearer {rt_server.api_key}"})
    ev = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ev["type"] == "error" and ev["error"]["code"] == "voice_not_found"
    assert "deleted" in ev["error"]["message"] and "agent_orphan" in ev["error"]["message"]
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1008


async def test_session_limit_and_disconnects(rt_server: LiveServer, agent_id: str) -> None:
    """Past the limit (6 in these tests) new sessions get 429; the open ones keep
    working; clients that vanish mid-reply or never send audio free their slot."""
    url = f"{rt_server.ws_url}/v1/realtime?agent={agent_id}"

    async def attempt() -> object:
        try:
            return await Client.connect(url, rt_server.api_key)
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code

    results = await asyncio.gather(*[attempt() for _ in range(20)])
    clients = [r for r in results if isinstance(r, Client)]
    refused = [r for r in results if r == 429]
    try:
        # Earlier tests' sessions may still be winding down, so up to 6 get in.
        assert 1 <= len(clients) <= 6 and len(clients) + len(refused) == 20
        for c in clients:
            await c.until("session.created")
        # One of them still has a working conversation.
        await clients[0].send("conversation.item.create", item={"type": "message", "role": "user",
                                                                "content": [{"type": "input_text", "text": "hello"}]})
        await clients[0].send("response.create")
        await clients[0].until("response.created")
    finally:
        for c in clients:  # hang up mid-greeting / mid-reply
            await c.ws.close()
    for _ in range(100):
        if (await attempt()) != 429:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("slots were not released after the clients left")
