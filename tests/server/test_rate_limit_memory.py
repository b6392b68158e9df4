"""A process remembers the rate refusals it gave: the same client is refused again
from memory, without asking the shared store, until the moment the refusal named."""

from __future__ import annotations

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
