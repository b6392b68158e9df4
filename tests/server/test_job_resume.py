"""A process that dies holding an enrollment job gives it up within its short lease:
the job was claimed with the default lease by a worker that then vanished (kill -9
leaves exactly this), and the next process finishes the voice, on either store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from agent_server.config import load_settings
from agent_server.stores.base import Store
from agent_server.stores.redis import RedisStore
from agent_server.stores.sqlite import SQLiteStore
from tests.conftest import REDIS_TEST_URL, flush_redis, require_redis, start_server, stop_server, wait_status


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_crashed_job_resumes_within_its_lease(tmp_path: Path, speech_wav: bytes, backend: str) -> None:
    env: dict[str, str] = {}
    if backend == "redis":
        require_redis()
        flush_redis()
        env["REDIS_URL"] = REDIS_TEST_URL
    lease = load_settings(env={}).worker.job_lease_s
    assert lease <= 15

    async def crashed_worker() -> float:
        store: Store = RedisStore(REDIS_TEST_URL) if backend == "redis" else SQLiteStore(tmp_path)
        try:
            await store.put_blob("ref/voice_orphan", speech_wav)
            await store.insert_with_job("default", "voice_orphan", {
                "id": "voice_orphan", "object": "voice", "name": "orphan", "status": "pending",
                "created_at": 0, "language": "en", "failure": None, "quality": None})
            assert await store.claim_job(lease) is not None  # claimed, then the process died
            return time.monotonic()
        finally:
            await store.close()

    claimed = asyncio.run(crashed_worker())
    server = start_server(tmp_path, env)
    up = time.monotonic() - claimed  # the lease may still run when the new process is ready
    try:
        voice = wait_status(server, "voice_orphan", timeout=120)
        took = time.monotonic() - claimed
    finally:
        stop_server(server)
        if backend == "redis":
            flush_redis()
    assert voice["status"] == "ready", voice
    print(f"{backend}: orphaned job finished {took:.1f} s after the dead worker claimed it "
          f"(the new process was ready after {up:.1f} s; lease {lease:.0f} s)")
    # Lease (10 s) + the poll + one enrollment; with the old 120 s lease this was > 2 min.
    assert took < 60, took
