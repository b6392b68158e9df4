"""What a narrow credential may see: the telephony token (it opens calls) only with
agents:write, a client secret only its own agent, and nothing once its key is revoked."""

from __future__ import annotations

import asyncio

import httpx

from agent_server.auth import create_key, hash_key
from agent_server.config import load_settings
from agent_server.stores import open_store
from agent_server.stores.base import ApiKey
from tests.realtime.conftest import LiveServer
from tests.realtime.conftest import rt_server as rt_server  # the shared live-server fixture


def _keys(srv: LiveServer, *scopes: list[str]) -> list[str]:
    async def make() -> list[str]:
        store = open_store(load_settings(env={}, data_dir=str(srv.data_dir)))
        try:
            return [(await create_key(store, "default", list(s)))[0] for s in scopes]
        finally:
            await store.close()

    return asyncio.run(make())


def _as(srv: LiveServer, key: str) -> httpx.Client:
    return httpx.Client(base_url=srv.base_url, headers={"authorization": f"Bearer {key}"}, timeout=30)


def test_telephony_token_only_for_agents_write(rt_server: LiveServer) -> None:
    ro, rw = _keys(rt_server, ["agents:read"], ["agents:write"])
    with _as(rt_server, rw) as c:
        created = c.post("/v1/agents", json={"name": "scoped"}).json()
        assert created["telephony_token"].startswith("tel_")
        assert c.get(f"/v1/agents/{created['id']}").json()["telephony_token"] == created["telephony_token"]
    with _as(rt_server, ro) as c:
        got = c.get(f"/v1/agents/{created['id']}").json()
        assert got["id"] == created["id"] and "telephony_token" not in got
        listed = c.get("/v1/agents", params={"limit": 100}).json()["data"]
        assert listed and all("telephony_token" not in a for a in listed)


def test_client_secret_sees_only_its_agent(rt_server: LiveServer) -> None:
    with rt_server.client() as c:
        mine = c.post("/v1/agents", json={"name": "mine"}).json()["id"]
        other = c.post("/v1/agents", json={"name": "other"}).json()["id"]
        secret = c.post("/v1/realtime/client_secrets", json={"agent": mine}).json()["value"]
        assert other in {m["id"] for m in c.get("/v1/models").json()["data"]}
    assert secret.startswith("ek_")  # API.md's spelling
    with _as(rt_server, secret) as c:
        agents = [m["id"] for m in c.get("/v1/models").json()["data"] if m["type"] == "agent"]
    assert agents == [mine]


def test_client_secret_dies_with_its_key(rt_server: LiveServer) -> None:
    (parent,) = _keys(rt_server, ["realtime", "agents:write"])
    with _as(rt_server, parent) as c:
        agent = c.post("/v1/agents", json={"name": "revoked parent"}).json()["id"]
        secret = c.post("/v1/realtime/client_secrets", json={"agent": agent}).json()["value"]
    with _as(rt_server, secret) as c:
        assert c.get("/v1/models").status_code == 200
    parent_id = next(k.id for k in asyncio.run(_list_keys(rt_server)) if k.hash == hash_key(parent))
    asyncio.run(_revoke(rt_server, parent_id))
    with _as(rt_server, secret) as c:
        r = c.get("/v1/models")
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]


def test_old_client_secret_spelling_still_works(rt_server: LiveServer) -> None:
    old = "ek-" + "A" * 32

    async def put() -> None:
        store = open_store(load_settings(env={}, data_dir=str(rt_server.data_dir)))
        try:
            await store.put_key(ApiKey(id="key_oldspelling01", tenant="default", hash=hash_key(old),
                                       scopes=["realtime"], expires_at=2**31 - 1))
        finally:
            await store.close()

    asyncio.run(put())
    with _as(rt_server, old) as c:
        assert c.get("/v1/models").status_code == 200


async def _list_keys(srv: LiveServer) -> list[ApiKey]:
    store = open_store(load_settings(env={}, data_dir=str(srv.data_dir)))
    try:
        return await store.list_keys("default")
    finally:
        await store.close()


async def _revoke(srv: LiveServer, key_id: str) -> None:
    store = open_store(load_settings(env={}, data_dir=str(srv.data_dir)))
    try:
        assert await store.revoke_key(key_id)
    finally:
        await store.close()
