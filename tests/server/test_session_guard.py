"""A live session in a cloned voice ends when that voice is deleted: the client gets an
`error` event naming why, then the close (real server, real enrollment)."""

from __future__ import annotations

import time

import httpx

from tests.conftest import LiveServer, wait_status
from tests.realtime.helpers import Client


async def test_deleting_the_voice_ends_its_sessions(live_server: LiveServer, speech_wav: bytes) -> None:
    with httpx.Client(base_url=live_server.base_url, headers=live_server.headers, timeout=120) as c:
        r = c.post("/v1/voice/clones", data={"name": "guarded"}, files={"file": ("r.wav", speech_wav)})
        voice = wait_status(live_server, r.json()["id"])
        assert voice["status"] == "ready", voice
        agent = c.post("/v1/agents", json={"name": "guarded", "voice": voice["id"]}).json()["id"]
    ws_url = live_server.base_url.replace("http://", "ws://")
    client = await Client.connect(f"{ws_url}/v1/realtime?agent={agent}", live_server.api_key)
    try:
        await client.until("session.created")
        with httpx.Client(base_url=live_server.base_url, headers=live_server.headers, timeout=60) as c:
            assert c.delete(f"/v1/voice/clones/{voice['id']}").status_code == 200
        deleted = time.monotonic()
        err = await client.until("error", 10)
        assert err["error"]["code"] == "voice_deleted"
        ended_after = time.monotonic() - deleted
        await client.ws.wait_closed()
    finally:
        await client.ws.close()
    assert ended_after < 5.0  # checked every 0.5 s; generous for a loaded machine
