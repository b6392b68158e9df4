"""What a running server holds: settings, the store, the CPU scheduler, caches, metrics.

Built once by :func:`agent_server.app.create_app` and reached from handlers as
``request.app.state.ctx``; nothing here is a module global, so tests can run several
servers in one process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from agent_server.config import Settings
from agent_server.cpu import CpuScheduler
from agent_server.metrics import Metrics
from agent_server.profiles import ProfileCache
from agent_server.rate_limits import Limiter
from agent_server.stores.base import Store

if TYPE_CHECKING:
    from agent_server.enrollment.worker import EnrollmentWorker
    from agent_server.realtime.resources import RealtimeResources
    from agent_server.realtime.transports.webrtc import Call

T = TypeVar("T")


class Extras(TypedDict, total=False):
    """What parts of the server attach once started, named so each use is type-checked;
    they live here rather than as fields because they are made after the context."""

    worker: EnrollmentWorker
    realtime: RealtimeResources  # made at the first session
    realtime_calls: dict[str, Call]  # live WebRTC calls by id
    on_shutdown: list[Callable[[], Awaitable[None]]]


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
    extras: Extras = field(default_factory=lambda: Extras())
    models_ready: bool = False

    async def run_cpu(self, fn: Callable[..., T], *args: Any) -> T:
        """A short job somebody is waiting for now (an upload's decoding, loading a model)."""
        return await self.sched.run(self.sched.now(), "cpu", fn, *args)
