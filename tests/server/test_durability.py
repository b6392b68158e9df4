"""Enrollment survives restarts; Redis lets several processes serve one tenant."""

from __future__ import annotations

import asyncio
import os
import stat

import httpx

from agent_server.stores.sqlite import SQLiteStore
from tests.conftest import REDIS_TEST_URL, flush_redis, require_redis, start_server, stop_server, wait_status


def test_pending_voices_are_reprocessed_after_restart(tmp_path, speech_wav: bytes) -> None:
    """Voices left pending by a stopped server (queued, or claimed mid-work by a process
    that died) end ready after the next start, never stuck."""

    async def leave_pending() -> None:
        store = SQLiteStore(tmp_path)
        for vid in ("voice_queued", "voice_crashed"):
            await store.put_blob(f"ref/{vid}", speech_wav)
            await store.insert("voice", "default", vid, {
                "id": vid, "object": "voice", "name": vid, "status": "pending", "created_at": 0,
                "language": "en", "failure": None, "quality": None})
            await store.enqueue_job(vid)
        crashed = await store.claim_job(lease_s=1.0)  # a worker took it, then died
        assert crashed is not None
        await store.close()

    asyncio.run(leave_pending())
    server = start_server(tmp_path)
    try:
        assert oct(stat.S_IMODE(os.stat(tmp_path / "bootstrap-key.txt").st_mode)) == "0o600"
        for vid in ("voice_queued", "voice_crashed"):
            assert wait_status(server, vid)["status"] == "ready"
    finally:
        stop_server(server)
    # Second start: the key already exists, so no new bootstrap key is minted.
    before = (tmp_path / "bootstrap-key.txt").read_text()
    server = start_server(tmp_path)
    try:
        assert (tmp_path / "bootstrap-key.txt").read_text() == before
        assert len(server.cli("keys", "list", "--json").stdout) > 2
    finally:
        stop_server(server)


def test_two_processes_share_tenants_through_redis(tmp_path, speech_wav: bytes) -> None:
    require_redis()
    flush_redis()
    # A small client-secret budget, to see that both processes spend the same one.
    env = {"REDIS_URL": REDIS_TEST_URL, "AGENT_SERVER_LIMITS__CLIENT_SECRETS_PER_KEY_PER_MIN": "3"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = start_server(tmp_path / "a", env)
    b = start_server(tmp_path / "b", env)
    try:
        key = a.api_key or b.api_key
        assert key, "exactly one process mints the bootstrap key"
        h = {"Authorization": f"Bearer {key}"}
        r = httpx.post(f"{a.base_url}/v1/voice/clones", headers=h, data={"name": "shared"},
                       files={"file": ("r.wav", speech_wav)})
        vid = r.json()["id"]
        b.api_key = key
        assert wait_status(b, vid)["status"] == "ready"
        speak = {"input": "Hello from the other process.", "voice": vid, "response_format": "pcm"}
        assert httpx.post(f"{a.base_url}/v1/audio/speech", headers=h, json=speak, timeout=60).status_code == 200
        assert httpx.delete(f"{b.base_url}/v1/voice/clones/{vid}", headers=h).status_code == 200
        # Process A had the profile cached; the delete on B still takes effect at once.
        r = httpx.post(f"{a.base_url}/v1/audio/speech", headers=h, json=speak, timeout=60)
        assert r.status_code == 404
        # Keys made by the CLI against Redis work on both.
        other = a.create_key("tenant-r", "voice:read")
        for s in (a, b):
            got = httpx.get(f"{s.base_url}/v1/voice/clones", headers={"Authorization": f"Bearer {other}"})
            assert got.status_code == 200 and got.json()["data"] == []
        # Limits live in Redis: the key's three client secrets a minute are three over
        # both processes, not three on each.
        agent = httpx.post(f"{a.base_url}/v1/agents", headers=h, json={"name": "shared"}).json()["id"]
        minted = [httpx.post(f"{s.base_url}/v1/realtime/client_secrets", headers=h, json={"agent": agent})
                  for s in (a, b, a, b)]
        assert [r.status_code for r in minted] == [200, 200, 200, 429]
        assert minted[3].json()["error"]["code"] == "client_secret_limit" and "retry-after" in minted[3].headers
    finally:
        stop_server(a)
        stop_server(b)
        flush_redis()
