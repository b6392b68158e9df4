"""The profile cache hands out a clone's shared profile with the server's conversion options."""

from __future__ import annotations

import asyncio
from dataclasses import fields
from pathlib import Path

from agent_server.profiles import ProfileCache
from agent_server.stores.sqlite import SQLiteStore
from tests.voices.test_conversion_options import fixture_profile
from voices.conversion_options import ConversionOptions


def test_options_travel_beside_the_cached_profile(tmp_path: Path) -> None:
    """Two caches with different options on one store: each resolve carries its cache's
    options, the cached profile is shared between resolves and holds none of them."""

    async def run() -> None:
        store = SQLiteStore(tmp_path)
        await store.ensure_tenant("t1")
        await store.insert("voice", "t1", "voice_a", {"status": "ready"})
        await store.put_blob("profile/voice_a", fixture_profile().to_bytes())
        previous = ConversionOptions(caricature_from_average=False)
        cache = ProfileCache(store, 4, previous)
        one, two = await cache.resolve("t1", "voice_a"), await cache.resolve("t1", "voice_a")
        assert one.clone is not None and two.clone is not None
        assert one.clone.options == previous and one.clone.profile is two.clone.profile
        assert (cache.misses, cache.hits) == (1, 1)
        assert {f.name for f in fields(one.clone.profile)} == {"embedding", "target", "source", "version", "extras"}
        other = await ProfileCache(store, 4).resolve("t1", "voice_a")
        assert other.clone is not None and other.clone.options == ConversionOptions()
        assert (await cache.resolve("t1", "joe")).clone is None  # the stock voice
        await store.close()

    asyncio.run(run())
