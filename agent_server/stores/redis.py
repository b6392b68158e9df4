"""Shared store in Redis: every server process pointed at the same URL serves the same
tenants, voices, agents and job queue."""

from __future__ import annotations

import json
import time
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from agent_server.stores.base import ApiKey, ClaimedJob, Page

# Claim fairly (see Store.claim_job) and push the job's visibility past the lease, in
# one script, so two processes never run the same enrollment at once. A job's score is
# the time it becomes visible: its enqueue time, or its lease's end while it runs.
_CLAIM = """
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[3])
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local running, best, best_n, best_score = {}, nil, nil, nil
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) > now then
    local t = redis.call('HGET', KEYS[3], all[i]) or ''
    running[t] = (running[t] or 0) + 1
  end
end
for i = 1, #all, 2 do
  local score = tonumber(all[i + 1])
  if score <= now then
    local t = redis.call('HGET', KEYS[3], all[i]) or ''
    local n = running[t] or 0
    if (cap <= 0 or n < cap) and (best == nil or n < best_n or (n == best_n and score < best_score)) then
      best, best_n, best_score = all[i], n, score
    end
  end
end
if best == nil then return false end
redis.call('ZADD', KEYS[1], ARGV[2], best)
local n = redis.call('HINCRBY', KEYS[2], best, 1)
return {best, n}
"""

# Replace only if present, keeping delete final.
_REPLACE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = cjson.decode(redis.call('GET', KEYS[1]))
if cur['__tenant'] ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


# An unreachable or frozen Redis must turn into a 503 within 2 s, not a request that
# hangs on retries: one attempt, short timeouts (the client reconnects by itself on the
# next call once Redis is back).
CONNECT_TIMEOUT_S = 1.0
COMMAND_TIMEOUT_S = 1.5  # a loaded host's event loop can stall ~1 s: not an outage
CLIENT_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": CONNECT_TIMEOUT_S, "socket_timeout": COMMAND_TIMEOUT_S,
    "retry": Retry(NoBackoff(), 0), "health_check_interval": 5,
}


# A new voice and its job in one step (see Store.insert_with_job).
_INSERT_WITH_JOB = """
local seq = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], seq, ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
redis.call('HSET', KEYS[6], ARGV[2], ARGV[4])
return seq
"""



def _text(value: Any) -> str:
    """A key or id as Redis returns it (bytes: the client does not decode responses)."""
    return value.decode() if isinstance(value, bytes) else str(value)

class RedisStore:
    def __init__(self, url: str, prefix: str = "agent_server:") -> None:
        self.r = aioredis.from_url(url, decode_responses=False, **CLIENT_OPTIONS)
        self.p = prefix
        self._claim = self.r.register_script(_CLAIM)
        self._replace = self.r.register_script(_REPLACE)
        self._insert_with_job = self.r.register_script(_INSERT_WITH_JOB)

    def k(self, *parts: str) -> str:
        return self.p + ":".join(parts)

    async def ping(self) -> bool:
        return bool(await self.r.ping())

    async def close(self) -> None:
        await self.r.aclose()

    async def ensure_tenant(self, tenant: str) -> None:
        await self.r.hsetnx(self.k("tenants"), tenant, int(time.time()))

    async def list_tenants(self) -> list[str]:
        return sorted(_text(t) for t in await self.r.hkeys(self.k("tenants")))

    async def put_key(self, key: ApiKey) -> None:
        await self.ensure_tenant(key.tenant)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.k("keys"), key.id, json.dumps(key.to_dict()))
            pipe.set(self.k("keyhash", key.hash), key.id)
            await pipe.execute()

    async def _key(self, key_id: str) -> ApiKey | None:
        raw = await self.r.hget(self.k("keys"), key_id)
        return ApiKey.from_dict(json.loads(raw)) if raw else None

    async def get_key(self, key_id: str) -> ApiKey | None:
        return await self._key(key_id)

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        key_id = await self.r.get(self.k("keyhash", key_hash))
        return await self._key(_text(key_id)) if key_id else None

    async def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        keys = [ApiKey.from_dict(json.loads(v)) for v in (await self.r.hgetall(self.k("keys"))).values()]
        return sorted((k for k in keys if tenant in (None, k.tenant)), key=lambda k: k.id)

    async def revoke_key(self, key_id: str) -> bool:
        key = await self._key(key_id)
        if key is None:
            return False
        key.revoked = True
        await self.r.hset(self.k("keys"), key.id, json.dumps(key.to_dict()))
        return True

    async def count_keys(self) -> int:
        return int(await self.r.hlen(self.k("keys")))

    async def purge_expired_keys(self, before: float) -> int:
        dead = [k for k in await self.list_keys() if k.expires_at is not None and k.expires_at < before]
        for key in dead:
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.hdel(self.k("keys"), key.id)
                pipe.delete(self.k("keyhash", key.hash))
                await pipe.execute()
        return len(dead)

    async def insert(self, kind: str, tenant: str, obj_id: str, doc: dict[str, Any]) -> None:
        seq = await self.r.incr(self.k("seq"))
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.set(self.k("obj", kind, obj_id), json.dumps({**doc, "__tenant": tenant}))
            pipe.zadd(self.k("idx", kind, tenant), {obj_id: seq})
            await pipe.execute()

    async def replace(self, kind: str, tenant: str, obj_id: str, doc: dict[str, Any]) -> bool:
        payload = json.dumps({**doc, "__tenant": tenant})
        return bool(await self._replace(keys=[self.k("obj", kind, obj_id)], args=[payload, tenant]))

    async def _load(self, kind: str, obj_id: str) -> tuple[str, dict[str, Any]] | None:
        raw = await self.r.get(self.k("obj", kind, obj_id))
        if raw is None:
            return None
        doc = json.loads(raw)
        return doc.pop("__tenant"), doc

    async def get(self, kind: str, tenant: str, obj_id: str) -> dict[str, Any] | None:
        found = await self._load(kind, obj_id)
        return found[1] if found and found[0] == tenant else None

    async def get_any(self, kind: str, obj_id: str) -> tuple[str, dict[str, Any]] | None:
        return await self._load(kind, obj_id)

    async def list(self, kind: str, tenant: str, limit: int, after: str | None) -> Page:
        idx = self.k("idx", kind, tenant)
        top: float | str = "+inf"
        if after:
            score = await self.r.zscore(idx, after)
            if score is None:
                return Page([], False)
            top = f"({int(score)}"
        ids = await self.r.zrevrangebyscore(idx, top, "-inf", start=0, num=limit + 1)
        docs: list[dict[str, Any]] = []
        if ids:
            raws = await self.r.mget([self.k("obj", kind, _text(i)) for i in ids[:limit]])
            for raw in raws:
                if raw is not None:
                    doc = json.loads(raw)
                    doc.pop("__tenant", None)
                    docs.append(doc)
        return Page(docs, len(ids) > limit)

    async def delete(self, kind: str, tenant: str, obj_id: str) -> bool:
        if await self.get(kind, tenant, obj_id) is None:
            return False
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.delete(self.k("obj", kind, obj_id))
            pipe.zrem(self.k("idx", kind, tenant), obj_id)
            await pipe.execute()
        return True

    async def put_blob(self, key: str, data: bytes) -> None:
        await self.r.set(self.k("blob", key), data)

    async def get_blob(self, key: str) -> bytes | None:
        raw = await self.r.get(self.k("blob", key))
        return raw.encode() if isinstance(raw, str) else raw

    async def delete_blob(self, key: str) -> None:
        await self.r.delete(self.k("blob", key))

    async def insert_with_job(self, tenant: str, voice_id: str, doc: dict[str, Any]) -> None:
        keys = [self.k("seq"), self.k("obj", "voice", voice_id), self.k("idx", "voice", tenant),
                self.k("jobs"), self.k("job_attempts"), self.k("job_tenant")]
        await self._insert_with_job(keys=keys, args=[json.dumps({**doc, "__tenant": tenant}), voice_id,
                                                     time.time(), tenant])

    async def enqueue_job(self, voice_id: str, tenant: str = "") -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.zadd(self.k("jobs"), {voice_id: time.time()})
            pipe.hdel(self.k("job_attempts"), voice_id)
            pipe.hset(self.k("job_tenant"), voice_id, tenant)
            await pipe.execute()

    async def claim_job(self, lease_s: float, per_tenant: int = 0) -> ClaimedJob | None:
        now = time.time()
        found = await self._claim(keys=[self.k("jobs"), self.k("job_attempts"), self.k("job_tenant")],
                                  args=[now, now + lease_s, per_tenant])
        if not found:
            return None
        return ClaimedJob(found[0].decode(), int(found[1]))

    async def extend_job(self, voice_id: str, lease_s: float) -> None:
        await self.r.zadd(self.k("jobs"), {voice_id: time.time() + lease_s}, xx=True)

    async def complete_job(self, voice_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.zrem(self.k("jobs"), voice_id)
            pipe.hdel(self.k("job_attempts"), voice_id)
            pipe.hdel(self.k("job_tenant"), voice_id)
            await pipe.execute()

    async def pending_jobs(self) -> int:
        return int(await self.r.zcard(self.k("jobs")))
