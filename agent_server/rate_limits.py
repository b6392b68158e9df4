"""Limits that keep one client from starving the others, shared by every process.

Two kinds:

- **Rates** (requests per key per second, failed auth per address, client secrets per
  key per minute): the `limits` library's sliding-window counter, in Redis when the
  server runs on Redis (so N processes share one budget, not N budgets) and in memory
  otherwise. Chosen over a hand-written token bucket because it is maintained, has both
  backends behind one interface, and does each check in one atomic Redis script.
- **Concurrency** (realtime sessions per tenant, speech requests in flight per tenant
  and their queue): leases in a sorted set per (limit, tenant), member = lease id,
  score = expiry. A holder renews its lease while it works, so a crashed process's
  leases lapse by themselves instead of holding a tenant's slots forever.

Every refusal is :class:`~agent_server.errors.TooManyRequests`: 429, the limit's name
as the code, and ``Retry-After``. A process remembers each rate refusal until the
moment it named, and refuses the same client again from memory until then: a flood of
refused requests (hundreds a second from one key or address) then costs no Redis round
trips and no key lookup, only the answer. Even that answer costs the server CPU (a
flood on one key was measured at ~800 requests a second from one client, each HTTP
exchange ~0.5 ms of the server's time), so a client refused again before the
Retry-After it was last given gets its refusal ``limits.repeat_refusal_delay_s`` late
(at most that Retry-After): a client that waits for its answers before asking again (as
most do) then asks at most once per that delay per connection, and one that honours
Retry-After never meets the delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from agent_server.config import Settings
from agent_server.errors import TooManyRequests

REMEMBERED_MAX = 10_000  # refusals kept in memory before the lapsed ones are dropped
LEASE_S = 30.0  # a lease lapses this long after its holder last renewed it
POLL_S = 0.05  # how often a queued request looks for a free slot

# Take a slot if fewer than ARGV[2] live leases hold the set; expired ones are dropped first.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


@dataclass
class Lease:
    key: str
    member: str
    renewer: asyncio.Task[None] | None = field(default=None, repr=False)


class _MemoryLeases:
    def __init__(self) -> None:
        self.sets: dict[str, dict[str, float]] = {}

    async def acquire(self, key: str, member: str, limit: int, ttl: float) -> bool:
        now = time.time()
        held = {m: t for m, t in self.sets.get(key, {}).items() if t > now}
        if len(held) >= limit:
            self.sets[key] = held
            return False
        held[member] = now + ttl
        self.sets[key] = held
        return True

    async def renew(self, key: str, member: str, ttl: float) -> None:
        if member in self.sets.get(key, {}):
            self.sets[key][member] = time.time() + ttl

    async def release(self, key: str, member: str) -> None:
        self.sets.get(key, {}).pop(member, None)

    async def count(self, key: str) -> int:
        now = time.time()
        return sum(1 for t in self.sets.get(key, {}).values() if t > now)


class _RedisLeases:
    def __init__(self, client: Any, prefix: str) -> None:
        self.r = client
        self.p = prefix
        self._acquire = client.register_script(_ACQUIRE)

    async def acquire(self, key: str, member: str, limit: int, ttl: float) -> bool:
        now = time.time()
        args = [now, limit, now + ttl, member, int(ttl * 2000)]
        return bool(await self._acquire(keys=[self.p + key], args=args))

    async def renew(self, key: str, member: str, ttl: float) -> None:
        await self.r.zadd(self.p + key, {member: time.time() + ttl}, xx=True)

    async def release(self, key: str, member: str) -> None:
        await self.r.zrem(self.p + key, member)

    async def count(self, key: str) -> int:
        return int(await self.r.zcount(self.p + key, time.time(), "+inf"))


def _redis_options() -> dict[str, Any]:
    from agent_server.stores.redis import CLIENT_OPTIONS

    return dict(CLIENT_OPTIONS)


def _set_until(times: dict[tuple[str, str], float], code: str, idents: tuple[str, ...],
               until: float) -> dict[tuple[str, str], float]:
    """``times`` with each ident's entry set to ``until``; past :data:`REMEMBERED_MAX`
    entries the lapsed ones are dropped first, so a flood of new names stays bounded."""
    if len(times) >= REMEMBERED_MAX:
        now = time.time()
        times = {k: t for k, t in times.items() if t > now}
    for ident in idents:
        times[(code, ident)] = until
    return times


def _retry_after(reset_time: float) -> float:
    return max(1.0, reset_time - time.time())


class Limiter:
    def __init__(self, settings: Settings, redis_client: Any = None) -> None:
        self.limits = settings.limits
        if settings.redis_url and redis_client is not None:
            url = settings.redis_url
            storage: Any = RedisStorage("async+" + url, implementation="redispy",
                                        key_prefix="agent_server:limits", **_redis_options())
            self.leases: _MemoryLeases | _RedisLeases = _RedisLeases(redis_client, "agent_server:leases:")
        else:
            storage = MemoryStorage()
            self.leases = _MemoryLeases()
        self.storage = storage
        self.local = _MemoryLeases()  # limits of this process alone
        self.rates = SlidingWindowCounterRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {}
        self._refused: dict[tuple[str, str], float] = {}  # (code, ident) -> refused until (time.time())
        self._told: dict[tuple[str, str], float] = {}  # (code, ident) -> the Retry-After last given, as a time
        self.repeat_delay_s = settings.limits.repeat_refusal_delay_s

    def _item(self, spec: str) -> RateLimitItem:
        if spec not in self._items:
            self._items[spec] = parse(spec)
        return self._items[spec]

    # ---- rates ---------------------------------------------------------------------------

    def refused(self, code: str, ident: str) -> float | None:
        """Seconds left of a refusal this process remembers for ``ident`` (None: none)."""
        until = self._refused.get((code, ident))
        if until is None:
            return None
        if until <= time.time():
            del self._refused[(code, ident)]
            return None
        return _retry_after(until)

    async def refusing(self, code: str, idents: tuple[str, ...], wait: float) -> float:
        """A refusal about to be answered with Retry-After ``wait``: to a client that
        was told to wait and asks again before that time, it is answered
        :attr:`repeat_delay_s` late (never past ``wait``). Returns the wait left."""
        now = time.time()
        if self.repeat_delay_s > 0 and any(self._told.get((code, i), 0.0) > now for i in idents):
            slept = min(self.repeat_delay_s, wait)
            await asyncio.sleep(slept)
            wait = max(1.0, wait - slept)
        self._told = _set_until(self._told, code, idents, time.time() + wait)
        return wait

    def _remember(self, code: str, idents: tuple[str, ...], until: float) -> None:
        self._refused = _set_until(self._refused, code, idents, until)

    async def hit(self, code: str, amount: int, per: str, ident: str, message: str, also: str | None = None) -> None:
        """Count one event against ``amount`` per ``per`` (second, minute) for ``ident``;
        over the budget: 429 ``code``, remembered for ``ident`` and ``also`` (another name
        of the same client, known before ``ident`` is: a key's hash). ``amount`` 0 turns
        the limit off."""
        if amount <= 0:
            return
        idents = (ident,) if also is None else (ident, also)
        wait = self.refused(code, ident)
        if wait is None:
            item = self._item(f"{amount}/{per}")
            if await self.rates.hit(item, code, ident):
                return
            until = (await self.rates.get_window_stats(item, code, ident)).reset_time
            self._remember(code, idents, until)
            wait = _retry_after(until)
        raise TooManyRequests(message, code=code, retry_after=await self.refusing(code, idents, wait))

    async def over(self, code: str, amount: int, per: str, ident: str) -> float | None:
        """Seconds until ``ident`` may try again, if its budget is spent (None if not)."""
        if amount <= 0:
            return None
        wait = self.refused(code, ident)
        if wait is None:
            item = self._item(f"{amount}/{per}")
            if await self.rates.test(item, code, ident):
                return None
            until = (await self.rates.get_window_stats(item, code, ident)).reset_time
            self._remember(code, (ident,), until)
            wait = _retry_after(until)
        return await self.refusing(code, (ident,), wait)

    async def count_only(self, code: str, amount: int, per: str, ident: str) -> None:
        """Count an event without refusing anything (failed auth: the refusal comes
        at the next attempt, from :meth:`over`)."""
        if amount > 0:
            await self.rates.hit(self._item(f"{amount}/{per}"), code, ident)

    # ---- concurrency ---------------------------------------------------------------------

    async def acquire(self, code: str, scope: str, limit: int, message: str, retry_after: float = 1.0,
                      *, pool: str | None = None) -> Lease:
        """A slot among ``limit`` for ``scope`` (a tenant) in ``pool`` (default: the
        limit's code), renewed until released; ``limit`` 0 turns the limit off."""
        if limit <= 0:
            return Lease(f"{pool or code}:{scope}", "")
        lease = Lease(f"{pool or code}:{scope}", secrets.token_hex(8))
        if not await self.leases.acquire(lease.key, lease.member, limit, LEASE_S):
            raise TooManyRequests(message, code=code, retry_after=retry_after)
        lease.renewer = asyncio.create_task(self._renew(lease), name=f"lease-{code}")
        return lease

    async def acquire_local(self, code: str, limit: int, message: str, retry_after: float = 1.0) -> Lease:
        """A slot among ``limit`` of this process (memory bounds are per process)."""
        lease = Lease(f"local:{code}", secrets.token_hex(8) if limit > 0 else "")
        if limit > 0 and not await self.local.acquire(lease.key, lease.member, limit, float("inf")):
            raise TooManyRequests(message, code=code, retry_after=retry_after)
        return lease

    async def release(self, lease: Lease | None) -> None:
        if lease is None or not lease.member:
            return
        if lease.renewer is not None:
            lease.renewer.cancel()
            lease.renewer = None
        if lease.key.startswith("local:"):
            await self.local.release(lease.key, lease.member)
            return
        # Shielded: releases run in `finally` blocks of cancelled requests, and a release
        # cut short would hold the slot until the lease lapses.
        done = asyncio.ensure_future(self.leases.release(lease.key, lease.member))
        with contextlib.suppress(Exception):  # a lost release lapses within LEASE_S anyway
            await asyncio.shield(done)

    async def _renew(self, lease: Lease) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            with contextlib.suppress(Exception):
                await self.leases.renew(lease.key, lease.member, LEASE_S)

    async def acquire_queued(self, code: str, scope: str, limit: int, queue: int, timeout_s: float,
                             message: str) -> Lease:
        """One of ``limit`` slots for ``scope``; with all taken, wait (polling) as one of
        at most ``queue`` waiters for up to ``timeout_s``. A full queue or a wait past the
        timeout: 429 ``code``. Give it back with :meth:`release`."""
        if limit <= 0:
            return Lease(f"{code}:{scope}", "")
        lease = Lease(f"{code}:{scope}", secrets.token_hex(8))
        deadline = time.monotonic() + timeout_s
        waiting: Lease | None = None
        try:
            while not await self.leases.acquire(lease.key, lease.member, limit, LEASE_S):
                if waiting is None:  # one of the bounded queue's places, or 429 now
                    waiting = await self.acquire(code, scope, queue, message, retry_after=timeout_s / 2,
                                                 pool=f"{code}_queue") if queue > 0 else None
                    if waiting is None:
                        raise TooManyRequests(message, code=code, retry_after=1.0)
                if time.monotonic() > deadline:
                    raise TooManyRequests(message, code=code, retry_after=timeout_s / 2)
                await asyncio.sleep(POLL_S)
        finally:
            await self.release(waiting)
        lease.renewer = asyncio.create_task(self._renew(lease), name=f"lease-{code}")
        return lease
