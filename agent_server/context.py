"""What a running server holds: settings, the store, the CPU scheduler, caches, metrics.

Built once by :func:`agent_server.app.create_app` and reached from handlers as
``request.app.state.ctx``; nothing here is a module global, so tests can run several
servers in one process.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agent_server.config import Settings
from agent_server.cpu import CpuScheduler
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
    # Blocking model and DSP work: the one pool, entered only through ``sched``.
    cpu: ThreadPoolExecutor
    sched: CpuScheduler
    profiles: ProfileCache
    limiter: Limiter
    extras: dict[str, Any] = field(default_factory=dict)
    models_ready: bool = False

    async def run_cpu(self, fn: Callable[..., T], *args: Any) -> T:
        """A short job somebody is waiting for now (an upload's decoding, loading a model)."""
        return await self.sched.run(self.sched.now(), "cpu", fn, *args)
