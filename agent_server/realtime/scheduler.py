"""Earliest-deadline-first admission of realtime CPU work into the server's pool.

Every blocking step of every live session (ASR, the responder's embedding, one TTS
sentence) is a job with a deadline: the moment its output will be needed. The first
piece of a reply the caller is already waiting for is due at once; the next sentence
of a reply that is playing is due when the audio already produced runs out; the work
of a speculative reply is due when the silence would close the turn. Jobs wait here
(not in the executor's FIFO queue) and the earliest deadline goes first, so with four
callers a committed turn's ASR no longer queues behind another caller's third sentence,
which still has seconds of audio ahead of it.

Admission rules, from how the models use the two reference cores:

- at most ``slots`` jobs run at once (the pool's size): a job that has left this queue
  is already on a thread, so the order decided here is the order work really starts;
- jobs with more than :data:`URGENT_S` of slack may use ``slots - 1`` of them, keeping
  one free for the next urgent job instead of making it wait out a long sentence;
- one ASR at a time: CTranslate2 serialises ``generate`` calls on its single worker,
  so a second concurrent ASR would only block a pool thread that TTS could use.

A cancelled caller (barge-in, a discarded speculative reply) leaves the queue at once;
a job already running can't be interrupted, so its slot is held until its thread
really finishes, keeping the count honest.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

URGENT_S = 0.5
KIND_LIMITS = {"asr": 1}


@dataclass(order=True)
class _Job:
    deadline: float
    seq: int
    kind: str = field(compare=False)
    ready: asyncio.Future[None] = field(compare=False)
    admitted: bool = field(default=False, compare=False)
    background: bool = field(default=False, compare=False)


class CpuScheduler:
    def __init__(self, executor: Executor, slots: int) -> None:
        self.executor = executor
        self.slots = max(1, slots)
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._running: dict[str, int] = {}
        self._busy = 0
        self._background = 0

    @property
    def backlog(self) -> int:
        """Jobs waiting for a thread (cancelled ones excluded)."""
        return sum(1 for j in self._heap if not j.ready.done())

    @property
    def busy(self) -> bool:
        """Every slot taken or work waiting: speculative work would only delay others."""
        return self._busy >= self.slots or self.backlog > 0

    def _admissible(self, job: _Job, now: float) -> bool:
        if self._busy >= self.slots:
            return False
        if self._running.get(job.kind, 0) >= KIND_LIMITS.get(job.kind, self.slots):
            return False
        return job.deadline - now <= URGENT_S or self._background < max(1, self.slots - 1)

    def _dispatch(self) -> None:
        now = asyncio.get_running_loop().time()
        skipped: list[_Job] = []
        while self._heap and self._busy < self.slots:
            job = heapq.heappop(self._heap)
            if job.ready.done():  # its caller gave up
                continue
            if not self._admissible(job, now):
                skipped.append(job)
                continue
            job.admitted, job.background = True, job.deadline - now > URGENT_S
            self._busy += 1
            self._background += job.background
            self._running[job.kind] = self._running.get(job.kind, 0) + 1
            job.ready.set_result(None)
        for job in skipped:
            heapq.heappush(self._heap, job)

    def _give_back(self, job: _Job) -> None:
        self._busy -= 1
        self._background -= job.background
        self._running[job.kind] -= 1
        self._dispatch()

    async def run(self, deadline: float, kind: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the pool once it is this job's turn; ``deadline`` is on
        the event loop's clock."""
        loop = asyncio.get_running_loop()
        job = _Job(deadline, next(self._seq), kind, loop.create_future())
        heapq.heappush(self._heap, job)
        self._dispatch()
        try:
            await job.ready
        except asyncio.CancelledError:
            if job.admitted:  # admitted in the same instant it was cancelled: pass the slot on
                self._give_back(job)
            raise
        fut = loop.run_in_executor(self.executor, fn, *args)
        fut.add_done_callback(lambda _: self._give_back(job))
        return await asyncio.shield(fut)
