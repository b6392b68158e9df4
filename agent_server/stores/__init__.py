"""Storage backends behind one interface; :func:`open_store` picks one from settings."""

from __future__ import annotations

from agent_server.config import Settings
from agent_server.stores.base import ApiKey, ClaimedJob, Page, Store


def open_store(settings: Settings) -> Store:
    if settings.redis_url:
        from agent_server.stores.redis import RedisStore

        return RedisStore(settings.redis_url)
    from agent_server.stores.sqlite import SQLiteStore

    return SQLiteStore(settings.data_path)


__all__ = ["ApiKey", "ClaimedJob", "Page", "Store", "open_store"]
