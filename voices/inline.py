"""An executor that runs each call at once, in the caller's thread.

Library functions that can overlap two parts of their work (the gate's ASR beside its
DSP checks, the profile's Piper reading beside WORLD) take an executor; this one, the
default, runs the parts one after the other. The server passes it too: an enrollment
step is one job of its CPU scheduler, so it must use one thread, leaving the others to
realtime work (``agent_server.cpu``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")


class InlineExecutor(Executor):
    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        fut: Future[T] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered by result(), as a pool's future would
            fut.set_exception(exc)
        return fut
