"""One behavioural suite, run against both real backends (SQLite file, Redis server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from agent_server.auth import create_key, hash_key
from agent_server.stores.base import Store
from agent_server.stores.redis import RedisStore
from agent_server.stores.sqlite import SQLiteStore
from tests.conftest import REDIS_TEST_URL, flush_redis, require_redis


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        s: Store = SQLiteStore(tmp_path)
    else:
        require_redis()
        flush_redis()
        s = RedisStore(REDIS_TEST_URL, prefix="test:")
    yield s
    await s.close()
    if request.param == "redis":
        flush_redis()


async def test_keys_are_hashed_and_revocable(store: Store) -> None:
    secret, key = await create_key(store, "acme", ["voice:read"], name="ci")
    assert secret not in key.hash and key.hash == hash_key(secret)
    found = await store.key_by_hash(hash_key(secret))
    assert found is not None and found.tenant == "acme" and found.scopes == ["voice:read"]
    assert await store.count_keys() == 1
    assert [k.id for k in await store.list_keys("acme")] == [key.id]
    assert await store.list_keys("other") == []
    assert await store.revoke_key(key.id)
    assert (await store.key_by_hash(hash_key(secret))).revoked
    assert not await store.revoke_key("key_nope")
    assert "acme" in await store.list_tenants()


async def test_expired_client_secrets_are_purged(store: Store) -> None:
    await create_key(store, "acme", ["*"])
    secret, _ = await create_key(store, "acme", ["realtime"], ttl_s=1, agent="agent_x")
    assert await store.purge_expired_keys(before=time.time()) == 0
    assert await store.purge_expired_keys(before=time.time() + 5) == 1
    assert await store.key_by_hash(hash_key(secret)) is None
    assert await store.count_keys() == 1


async def test_objects_are_tenant_scoped(store: Store) -> None:
    await store.insert("voice", "a", "voice_1", {"id": "voice_1", "status": "pending"})
    assert await store.get("voice", "a", "voice_1") == {"id": "voice_1", "status": "pending"}
    assert await store.get("voice", "b", "voice_1") is None
    assert await store.get_any("voice", "voice_1") == ("a", {"id": "voice_1", "status": "pending"})
    assert not await store.replace("voice", "b", "voice_1", {"id": "voice_1", "status": "ready"})
    assert not await store.delete("voice", "b", "voice_1")
    assert await store.replace("voice", "a", "voice_1", {"id": "voice_1", "status": "ready"})
    assert (await store.get("voice", "a", "voice_1"))["status"] == "ready"
    assert await store.delete("voice", "a", "voice_1")
    assert await store.get("voice", "a", "voice_1") is None
    # A deleted object is never resurrected by a late writer.
    assert not await store.replace("voice", "a", "voice_1", {"id": "voice_1", "status": "ready"})


async def test_cursor_pagination_newest_first(store: Store) -> None:
    for i in range(7):
        await store.insert("voice", "t", f"v{i}", {"id": f"v{i}"})
    await store.insert("voice", "other", "x", {"id": "x"})
    await store.insert("agent", "t", "a1", {"id": "a1"})
    seen: list[str] = []
    after = None
    while True:
        page = await store.list("voice", "t", 3, after)
        seen += [d["id"] for d in page.data]
        if not page.has_more:
            break
        after = page.data[-1]["id"]
    assert seen == [f"v{i}" for i in reversed(range(7))]
    assert (await store.list("voice", "t", 3, "unknown")).data == []


async def test_blobs(store: Store) -> None:
    await store.put_blob("ref/v1", b"\x00\x01" * 1000)
    assert await store.get_blob("ref/v1") == b"\x00\x01" * 1000
    await store.delete_blob("ref/v1")
    assert await store.get_blob("ref/v1") is None


async def test_jobs_lease_and_reappear(store: Store) -> None:
    await store.enqueue_job("v1")
    await store.enqueue_job("v2")
    first = await store.claim_job(lease_s=0.3)
    second = await store.claim_job(lease_s=0.3)
    assert {first.voice_id, second.voice_id} == {"v1", "v2"}
    assert await store.claim_job(lease_s=0.3) is None
    await store.complete_job(first.voice_id)
    await asyncio.sleep(0.4)
    again = await store.claim_job(lease_s=10)
    assert again.voice_id == second.voice_id and again.attempts == 2
    await store.complete_job(again.voice_id)
    assert await store.pending_jobs() == 0


async def test_extend_keeps_a_running_job_hidden(store: Store) -> None:
    await store.enqueue_job("v1")
    assert (await store.claim_job(lease_s=0.3)).voice_id == "v1"
    await store.extend_job("v1", 10)
    await asyncio.sleep(0.4)
    assert await store.claim_job(lease_s=10) is None
    await store.complete_job("v1")
    await store.extend_job("v1", 10)  # a finished job is not brought back
    assert await store.pending_jobs() == 0


async def test_concurrent_claims_never_double_book(store: Store) -> None:
    for i in range(10):
        await store.enqueue_job(f"v{i}")
    claims = await asyncio.gather(*(store.claim_job(30) for _ in range(20)))
    got = [c.voice_id for c in claims if c]
    assert sorted(got) == sorted(f"v{i}" for i in range(10))


async def test_voice_and_job_are_written_together(store: Store) -> None:
    doc = {"id": "voice_atomic", "object": "voice", "name": "a", "status": "pending"}
    await store.insert_with_job("acme", "voice_atomic", doc)
    assert await store.get("voice", "acme", "voice_atomic") == doc
    assert (await store.list("voice", "acme", 10, None)).data == [doc]
    job = await store.claim_job(lease_s=10)
    assert job is not None and job.voice_id == "voice_atomic" and job.attempts == 1


async def test_a_failed_voice_write_leaves_no_job(tmp_path) -> None:
    store = SQLiteStore(tmp_path)
    try:
        await store.insert("voice", "acme", "voice_dup", {"id": "voice_dup"})
        with pytest.raises(Exception, match="UNIQUE"):
            await store.insert_with_job("acme", "voice_dup", {"id": "voice_dup"})
        assert await store.pending_jobs() == 0
    finally:
        await store.close()


async def test_data_files_are_private(tmp_path) -> None:
    import os
    import stat

    data = tmp_path / "data"
    store = SQLiteStore(data)
    try:
        await store.put_blob("ref/voice_x", b"RIFF")
        await store.insert("voice", "acme", "voice_x", {"id": "voice_x"})
        files = [data / "agent_server.db", data / "agent_server.db-wal", data / "blobs" / "ref_voice_x"]
        for path in files:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        for d in (data, data / "blobs"):
            assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    finally:
        await store.close()


async def test_claims_are_fair_across_tenants(store: Store) -> None:
    """Tenant A queues a burst; B's one clip is next as soon as A has one running."""
    for i in range(8):
        await store.enqueue_job(f"a{i}", "A")
    first = await store.claim_job(lease_s=30)
    assert first is not None and first.voice_id == "a0"  # oldest first
    await store.enqueue_job("b0", "B")
    nxt = await store.claim_job(lease_s=30)
    assert nxt is not None and nxt.voice_id == "b0"
    then = await store.claim_job(lease_s=30)
    assert then is not None and then.voice_id == "a1"


async def test_claims_respect_the_per_tenant_cap(store: Store) -> None:
    for i in range(3):
        await store.enqueue_job(f"a{i}", "A")
    assert (await store.claim_job(30, per_tenant=2)).voice_id == "a0"
    assert (await store.claim_job(30, per_tenant=2)).voice_id == "a1"
    assert await store.claim_job(30, per_tenant=2) is None  # A is at its cap ...
    await store.enqueue_job("b0", "B")
    assert (await store.claim_job(30, per_tenant=2)).voice_id == "b0"  # ... B is not
    await store.complete_job("a0")
    assert (await store.claim_job(30, per_tenant=2)).voice_id == "a2"
