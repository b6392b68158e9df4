"""The Agents API: create, validate, list with pagination, update, delete, scopes."""

from __future__ import annotations

import pytest

from tests.realtime.conftest import AGENT_BODY, LiveServer
from tests.realtime.conftest import rt_server as rt_server  # the shared live-server fixture


def test_agent_crud_and_pagination(rt_server: LiveServer) -> None:
    with rt_server.client() as c:
        ids = []
        for i in range(3):
            r = c.post("/v1/agents", json={**AGENT_BODY, "name": f"agent {i}"})
            assert r.status_code == 201, r.text
            a = r.json()
            assert a["id"].startswith("agent_") and a["object"] == "agent" and a["voice"] == "joe"
            assert a["turn_detection"] == {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500,
                                           "prefix_padding_ms": 300}
            ids.append(a["id"])
        page = c.get("/v1/agents", params={"limit": 2}).json()
        assert page["object"] == "list" and len(page["data"]) == 2 and page["has_more"] is True
        rest = c.get("/v1/agents", params={"limit": 100, "after": page["data"][-1]["id"]}).json()
        assert not {a["id"] for a in rest["data"]} & {a["id"] for a in page["data"]}
        r = c.patch(f"/v1/agents/{ids[0]}", json={"greeting": "Hi!", "turn_detection": None})
        assert r.status_code == 200 and r.json()["greeting"] == "Hi!" and r.json()["turn_detection"] is None
        assert c.get(f"/v1/agents/{ids[0]}").json()["greeting"] == "Hi!"
        r = c.delete(f"/v1/agents/{ids[0]}")
        assert r.json() == {"id": ids[0], "object": "agent", "deleted": True}
        assert c.get(f"/v1/agents/{ids[0]}").status_code == 404


@pytest.mark.parametrize("body,code", [
    ({"name": "x", "voice": "voice_nope"}, "voice_not_found"),
    ({"name": ""}, "invalid_request"),
    ({"name": "x", "responder": {"type": "magic"}}, "invalid_responder"),
    ({"name": "x", "responder": {"type": "openai", "base_url": "ftp://x", "model": "m"}}, "invalid_responder"),
    ({"name": "x", "turn_detection": {"type": "server_vad", "threshold": 7}}, "invalid_request"),
])
def test_agent_validation(rt_server: LiveServer, body: dict, code: str) -> None:
    with rt_server.client() as c:
        r = c.post("/v1/agents", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == code


def test_agent_scopes(rt_server: LiveServer) -> None:
    import asyncio

    from agent_server.auth import create_key
    from agent_server.config import load_settings
    from agent_server.stores import open_store

    async def make() -> tuple[str, str]:
        store = open_store(load_settings(env={}, data_dir=str(rt_server.data_dir)))
        try:
            ro, _ = await create_key(store, "default", ["agents:read"])
            rt, _ = await create_key(store, "default", ["realtime"])
            return ro, rt
        finally:
            await store.close()

    ro, rt = asyncio.run(make())
    import httpx

    with httpx.Client(base_url=rt_server.base_url, headers={"authorization": f"Bearer {ro}"}) as c:
        assert c.get("/v1/agents").status_code == 200
        assert c.post("/v1/agents", json={"name": "x"}).status_code == 403
    with httpx.Client(base_url=rt_server.base_url, headers={"authorization": f"Bearer {rt}"}) as c:
        assert c.get("/v1/agents").status_code == 403
    assert httpx.get(f"{rt_server.base_url}/v1/agents").status_code == 401


def test_agent_knowledge(rt_server: LiveServer) -> None:
    with rt_server.client() as c:
        text = "We are open from nine to five on weekdays. Parking is free behind the building."
        r = c.post("/v1/agents", json={"name": "desk", "knowledge": text})
        assert r.status_code == 201 and r.json()["knowledge"] == text and r.json()["voice_status"] == "ready"
        agent_id = r.json()["id"]
        # A knowledge text of 1 MB: a clear 400 naming the limit, and nothing saved.
        huge = "All work and no play. " * 48_000
        r = c.post("/v1/agents", json={"name": "huge", "knowledge": huge})
        assert r.status_code == 400 and r.json()["error"]["code"] == "knowledge_too_long"
        assert "32768" in r.json()["error"]["message"]
        r = c.patch(f"/v1/agents/{agent_id}", json={"knowledge": huge, "name": "renamed"})
        assert r.status_code == 400
        got = c.get(f"/v1/agents/{agent_id}").json()
        assert got["knowledge"] == text and got["name"] == "desk"
        assert not [a for a in c.get("/v1/agents", params={"limit": 100}).json()["data"] if a["name"] == "huge"]
