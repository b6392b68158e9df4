"""A process remembers the rate refusals it gave: the same client is refused again
from memory, without asking the shared store, until the moment the refusal named."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent_server.config import load_settings
from agent_server.errors import TooManyRequests
from agent_server.rate_limits import Limiter


async def test_a_refusal_is_remembered_until_the_moment_it_named(tmp_path: Path) -> None:
    limiter = Limiter(load_settings(env={}, data_dir=str(tmp_path)))
    for _ in range(2):
        await limiter.hit("key_rate_limit", 2, "minute", "key_a", "slow down", also="hash_a")
    with pytest.raises(TooManyRequests) as first:
        await limiter.hit("key_rate_limit", 2, "minute", "key_a", "slow down", also="hash_a")
    assert limiter.refused("key_rate_limit", "hash_a") is not None  # known by its other name too
    await limiter.storage.reset()  # the shared counts are gone; this process's refusal stands
    with pytest.raises(TooManyRequests) as again:
        await limiter.hit("key_rate_limit", 2, "minute", "key_a", "slow down")
    assert again.value.code == "key_rate_limit"
    assert again.value.retry_after <= first.value.retry_after
    # Other clients and other limits are untouched.
    assert limiter.refused("key_rate_limit", "key_b") is None
    assert limiter.refused("client_secret_limit", "key_a") is None
    await limiter.hit("key_rate_limit", 2, "minute", "key_b", "slow down")


async def test_an_address_over_its_failures_is_remembered(tmp_path: Path) -> None:
    limiter = Limiter(load_settings(env={}, data_dir=str(tmp_path)))
    for _ in range(3):
        await limiter.count_only("failed_auth_limit", 3, "minute", "203.0.113.9")
    wait = await limiter.over("failed_auth_limit", 3, "minute", "203.0.113.9")
    assert wait is not None and wait > 0
    await limiter.storage.reset()
    assert await limiter.over("failed_auth_limit", 3, "minute", "203.0.113.9") is not None
    assert await limiter.over("failed_auth_limit", 3, "minute", "203.0.113.10") is None


@pytest.mark.parametrize("delay", [0.0, 0.4])
async def test_a_client_refused_again_is_answered_late(tmp_path: Path, delay: float) -> None:
    """The first refusal is answered at once; asking again while it holds is answered
    ``repeat_refusal_delay_s`` late (a flood that waits for its answers slows to that
    pace), still refused, with a Retry-After that counts the time already waited."""
    env = {"AGENT_SERVER_LIMITS__REPEAT_REFUSAL_DELAY_S": str(delay)}
    limiter = Limiter(load_settings(env=env, data_dir=str(tmp_path)))
    await limiter.hit("key_rate_limit", 1, "minute", "key_a", "slow down")
    with pytest.raises(TooManyRequests) as first:
        await limiter.hit("key_rate_limit", 1, "minute", "key_a", "slow down")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TooManyRequests) as again:
        await limiter.hit("key_rate_limit", 1, "minute", "key_a", "slow down")
    waited = loop.time() - started
    assert again.value.code == "key_rate_limit"
    if delay:
        assert waited >= delay * 0.9
        assert again.value.retry_after <= first.value.retry_after - delay * 0.9
    await limiter.hit("key_rate_limit", 1, "minute", "key_b", "slow down")  # others are not held up
