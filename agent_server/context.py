"""What a running server holds: settings, the store, the CPU pool, caches, metrics.

Built once by :func:`agent_server.app.create_app` and reached from handlers as
``request.app.state.ctx``; nothing here is a module global, so tests can run several
servers in one process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agent_server.config import Settings
from agent_server.metrics import Metrics
from agent_server.profiles import ProfileCache
from agent_server.rate_limits import Limiter
from agent_server.stores.base import Store

T = TypeVar("T")


@dataclass
class ServerContext:
    settings: Settings
    store: Store
    metrics: Metrics
    # Blocking model and DSP work; bounded so the event loop only moves bytes.
    cpu: ThreadPoolExecutor
    profiles: ProfileCache
    limiter: Limiter
    extras: dict[str, Any] = field(default_factory=dict)
    models_ready: bool = False

    async def run_cpu(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.cpu, fn, *args)
