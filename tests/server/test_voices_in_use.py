"""Deleting a voice that agents speak with: allowed, and nobody is left guessing why
the agent went quiet — the DELETE answer names the agents, GET shows it, a realtime
socket is told in an ``error`` event."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.conftest import LiveServer, wait_status


def test_deleted_voice_is_reported(live_server: LiveServer, speech_wav: bytes) -> None:
    with httpx.Client(base_url=live_server.base_url, headers=live_server.headers, timeout=60) as c:
        r = c.post("/v1/voice/clones", data={"name": "in use"}, files={"file": ("r.wav", speech_wav)})
        voice = wait_status(live_server, r.json()["id"])
        assert voice["status"] == "ready", voice
        users = [c.post("/v1/agents", json={"name": f"uses {i}", "voice": voice["id"]}).json() for i in range(2)]
        other = c.post("/v1/agents", json={"name": "stock", "voice": "joe"}).json()
        assert [a["voice_status"] for a in users] == ["ready", "ready"]

        r = c.delete(f"/v1/voice/clones/{voice['id']}")
        assert r.status_code == 200
        lost = r.json()["agents"]
        assert sorted(a["id"] for a in lost) == sorted(a["id"] for a in users)
        assert {a["name"] for a in lost} == {"uses 0", "uses 1"}

        assert c.get(f"/v1/agents/{users[0]['id']}").json()["voice_status"] == "deleted"
        assert c.get(f"/v1/agents/{other['id']}").json()["voice_status"] == "ready"
        listed = {a["id"]: a["voice_status"] for a in c.get("/v1/agents", params={"limit": 100}).json()["data"]}
        assert listed[users[1]["id"]] == "deleted" and listed[other["id"]] == "ready"
        # The agent can't be saved with that voice again, and is mended with a new one.
        assert c.patch(f"/v1/agents/{users[0]['id']}", json={"voice": voice["id"]}).status_code == 400
        r = c.patch(f"/v1/agents/{users[0]['id']}", json={"voice": "alloy"})
        assert r.status_code == 200 and r.json()["voice_status"] == "ready"

    async def connect() -> tuple[dict, int | None]:
        url = live_server.base_url.replace("http", "ws") + f"/v1/realtime?agent={users[1]['id']}"
        ws = await websockets.connect(url, additional_headers=live_server.headers)
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        return event, ws.close_code

    event, code = asyncio.run(connect())
    assert event["type"] == "error" and event["error"]["code"] == "voice_not_found"
    assert "deleted" in event["error"]["message"] and code == 1008
