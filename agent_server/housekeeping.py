"""Periodic upkeep that no request should pay for: dropping expired client secrets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from agent_server.context import ServerContext

log = logging.getLogger("agent_server.housekeeping")
INTERVAL_S = 300.0


async def housekeeping(ctx: ServerContext, interval_s: float = INTERVAL_S) -> None:
    while True:
        with contextlib.suppress(Exception):
            purged = await ctx.store.purge_expired_keys(before=time.time() - 60)
            if purged:
                log.info("purged %d expired client secrets", purged)
        await asyncio.sleep(interval_s)
