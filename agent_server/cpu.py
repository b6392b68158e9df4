"""The one admission point for the server's CPU work: earliest deadline first.

Every model or DSP job of the server (a realtime turn's ASR, responder and TTS steps,
the VAD, an HTTP speech stream's sentences, an enrollment's decode, gate and profile,
an upload's decoding) is a job with a deadline on the event loop's clock: the moment
its output will be needed. Jobs wait here, not in the executor's FIFO queue, and the
earliest deadline goes first, so a committed turn's ASR no longer queues behind an
enrollment or another caller's third sentence, which has seconds of audio ahead of it.

Work that is not a realtime reply gets its deadline from its class (:class:`Due`):

- HTTP speech, first chunk: due :data:`Due.SPEECH_FIRST_S` after the request, so it
  goes before a realtime reply with more slack than that (its first-byte promise);
- HTTP speech, later chunks: due when the audio already streamed would have played
  out, plus :data:`Due.SPEECH_GRACE_S` (an HTTP client buffers more than a realtime
  peer's 200 ms lead), so a stream that runs ahead of real time yields;
- an upload's decoding: due :data:`Due.DECODE_S` after the upload (somebody waits for
  the answer, but no caller's reply should wait for a 25 MB decode);
- enrollment: due :data:`Due.ENROLL_S` after it was asked for; it yields to all
  interactive work and still finishes on a server that is never idle.

Admission rules, from how the models use the cores (see :func:`voices.models.configure`:
each job's model runs ``cores // slots`` threads, so ``slots`` jobs fill the cores):

- at most ``slots`` jobs run at once: a job that has left this queue is already on a
  thread, so the order decided here is the order work really starts;
- jobs with more than :data:`URGENT_S` of slack may use ``slots - 1`` of them, keeping
  one free for the next urgent job instead of making it wait out a long sentence or an
  enrollment step;
- one realtime ASR at a time: on the reference two cores a second concurrent one only
  halves both and takes the thread TTS could use (the model's second worker is for
  the enrollment gate's ASR, which must not hold a turn's behind it);
- light jobs (the VAD: ~1 ms per 32 ms of audio) have their own ``light_slots`` and
  never wait behind a sentence: barge-in detection must not queue behind TTS.

A fair share between tenants, for the work a tenant can multiply from outside (HTTP
speech, uploads' decoding, enrollment: those jobs carry their tenant): when the order
is decided, each of a tenant's waiting jobs is pushed back by ``tenant_share_s`` for
every other job that tenant has running or waiting. So a tenant with more jobs in
yields to one with fewer whenever their deadlines are that close, and a tenant with
many long speech streams (whose overdue sentences would otherwise win every slot under
plain earliest deadline first) no longer goes ahead of another tenant's single first
sentence; its own jobs keep their order among themselves, and it is never held back
longer than its number of jobs times the share. Realtime work carries no tenant: a
call's reply is never pushed back for fairness (sessions are capped per tenant
instead). Urgency (the slot kept free, :attr:`CpuScheduler.pressed`) is judged on the
true deadline.

The order alone can't share the cores: a request's steps come one after another, so
between two of an honest request's jobs nothing of its tenant is waiting, and a tenant
that always has a next sentence queued takes every slot as it frees (a sentence can't
be interrupted); and the slots are not the cores when several processes share a
machine. So each tenant's recent use is counted (slot-seconds, halving every
:data:`USAGE_HALF_LIFE_S`), and a tenant using more than :data:`OVER_SHARE` times the
average of the other tenants that are active (jobs in, or one that ended within
:data:`ACTIVE_S`) is over its share: it may not start work with slack (its streams
advance as their deadlines come due). Enrollment is left out (its claims are already
shared across tenants, ``worker.enroll_per_tenant``, and one clip's steps are long).
With no other tenant active nothing is held back. A job held back is looked at again
every :data:`RECHECK_S` (use decays and deadlines come due without any job ending).

Enrollment also rests between its steps while other work is in: each of its steps
(the gate, the profile) holds a thread for seconds once started, and while one runs
the rest of the server has ``slots - 1`` threads, so on two cores every reply step,
speech chunk and first byte shared one. After a step that ends with other model work
running or waiting (with an earlier deadline), the next enrollment step waits
:data:`REST_FACTOR` times that step's length, or until no such work is left, whichever
comes first: under load an enrollment holds a thread about half the time, on an idle
server it never waits. The work of a tenant over its share does not count as other
work here: otherwise one client flooding speech keeps every honest clip resting.

A cancelled caller (barge-in, a discarded speculative reply, a client that left)
leaves the queue at once; a job already running can't be interrupted, so its slot is
held until its thread really finishes, keeping the count honest.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

URGENT_S = 0.5
TENANT_SHARE_S = 0.5  # about one sentence's synthesis on the reference cores
USAGE_HALF_LIFE_S = 5.0
OVER_SHARE = 2.0
ACTIVE_S = 1.0  # a tenant whose last job ended this recently counts as active (between its steps)
UNMETERED_KINDS = frozenset({"enroll"})
# Kinds whose steps hold a thread for seconds and have half a minute of slack: after a
# step that ran while other work was in, they rest REST_FACTOR times its length while
# work is still in (see the module docstring).
RESTING_KINDS = frozenset({"enroll"})
REST_FACTOR = 1.0
RECHECK_S = 0.1
KIND_LIMITS = {"asr": 1}
LIGHT_KINDS = frozenset({"vad"})


class Due:
    """Deadline classes of the work that is not a realtime reply's (seconds)."""

    SPEECH_FIRST_S = 0.25
    SPEECH_GRACE_S = 1.0
    DECODE_S = 1.0
    ENROLL_S = 30.0


@dataclass(eq=False)
class _Job:
    deadline: float
    seq: int
    kind: str
    ready: asyncio.Future[None]
    tenant: str | None = None
    admitted: bool = False
    background: bool = False
    light: bool = False
    due: float = field(default=0.0)  # the deadline with the tenant's share applied
    started: float = 0.0


class _Usage:
    """Each tenant's recent slot-seconds, decaying with :data:`USAGE_HALF_LIFE_S`."""

    def __init__(self) -> None:
        self._used: dict[str, float] = {}
        self._last: dict[str, float] = {}  # when each tenant's last job ended
        self._at = 0.0

    def _decay(self, now: float) -> None:
        factor = 0.5 ** ((now - self._at) / USAGE_HALF_LIFE_S)
        self._at = now
        self._used = {t: u * factor for t, u in self._used.items() if u * factor > 1e-3}
        self._last = {t: at for t, at in self._last.items() if t in self._used}

    def add(self, tenant: str, seconds: float, now: float) -> None:
        self._decay(now)
        self._used[tenant] = self._used.get(tenant, 0.0) + seconds
        self._last[tenant] = now

    def over_share(self, tenant: str, now: float, waiting: set[str]) -> bool:
        """More than :data:`OVER_SHARE` times the average recent use of the other active
        tenants (those with jobs in, ``waiting``, or whose last job ended within
        :data:`ACTIVE_S`)."""
        self._decay(now)
        others = {t for t, at in self._last.items() if now - at <= ACTIVE_S} | waiting
        others.discard(tenant)
        if not others:
            return False
        mean = sum(self._used.get(t, 0.0) for t in others) / len(others)
        used = self._used.get(tenant, 0.0)
        return used > 0.0 and used > OVER_SHARE * mean


class CpuScheduler:
    """Jobs into ``executor`` (which must have ``slots + light_slots`` threads)."""

    def __init__(self, executor: Executor, slots: int, light_slots: int = 1,
                 tenant_share_s: float = TENANT_SHARE_S) -> None:
        self.executor = executor
        self.slots = max(1, slots)
        self.light_slots = max(1, light_slots)
        self.tenant_share_s = tenant_share_s
        self._waiting: list[_Job] = []
        self._seq = itertools.count()
        self._running: dict[str, int] = {}
        self._tenant_running: dict[str, int] = {}
        self._usage = _Usage()
        self._recheck: asyncio.TimerHandle | None = None
        self._background = 0
        self._light = 0
        self._running_jobs: set[_Job] = set()
        self._rest_until = 0.0

    @property
    def _busy(self) -> int:
        """Slots taken (jobs running on them)."""
        return len(self._running_jobs)

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    @property
    def backlog(self) -> int:
        """Jobs waiting for a slot (cancelled ones excluded)."""
        return sum(1 for j in self._waiting if not j.ready.done() and not j.light)

    @property
    def busy(self) -> bool:
        """Every slot taken or work waiting: speculative work would only delay others."""
        return self._busy >= self.slots or self.backlog > 0

    @property
    def pressed(self) -> bool:
        """Urgent work waiting, or every slot running urgent work: no room for more."""
        now = self.now()
        waiting = any(not j.ready.done() and not j.light and j.deadline - now <= URGENT_S
                      for j in self._waiting)
        return waiting or self._busy - self._background >= self.slots

    def _contended(self, job: _Job) -> bool:
        """Other model work running, or waiting with an earlier deadline than ``job``'s;
        the work of a tenant over its share does not count: an abuser's admitted speech
        must not keep every honest clip resting."""
        now = self.now()
        active = self._active()

        def counts(other: _Job) -> bool:
            return not (self._metered(other) and self._usage.over_share(other.tenant, now, active))  # type: ignore[arg-type]

        if any(j.kind not in RESTING_KINDS and not j.light and counts(j) for j in self._running_jobs):
            return True
        return any(not j.ready.done() and not j.light and j.kind not in RESTING_KINDS and j.deadline < job.deadline
                   and counts(j) for j in self._waiting)

    def _admissible(self, job: _Job, now: float) -> bool:
        if job.light:
            return self._light < self.light_slots
        if self._busy >= self.slots:
            return False
        if job.kind in RESTING_KINDS and now < self._rest_until and self._contended(job):
            if self._recheck is None:
                self._recheck = asyncio.get_running_loop().call_later(RECHECK_S, self._rechecked)
            return False
        if self._running.get(job.kind, 0) >= KIND_LIMITS.get(job.kind, self.slots):
            return False
        if job.deadline - now <= URGENT_S:
            return True
        if self._background >= max(1, self.slots - 1):
            return False
        if self._over_share(job, now, self._active()):
            self._recheck_soon()
            return False
        return True

    def _over_share(self, job: _Job, now: float, active: set[str]) -> bool:
        return self._metered(job) and self._usage.over_share(job.tenant, now, active)  # type: ignore[arg-type]

    def _recheck_soon(self) -> None:
        if self._recheck is None:
            self._recheck = asyncio.get_running_loop().call_later(RECHECK_S, self._rechecked)

    def _rechecked(self) -> None:
        self._recheck = None
        self._dispatch()

    def _metered(self, job: _Job) -> bool:
        return job.tenant is not None and not job.light and job.kind not in UNMETERED_KINDS and self.tenant_share_s > 0

    def _active(self) -> set[str]:
        """Tenants with jobs waiting or running."""
        return ({j.tenant for j in self._waiting if j.tenant is not None and not j.ready.done()}
                | {t for t, n in self._tenant_running.items() if n > 0})

    def _in_turn(self) -> list[_Job]:
        """The waiting jobs in the order they may start: by deadline, each tenant's
        pushed back by the share for every other job it has running or waiting."""
        self._waiting = [j for j in self._waiting if not j.ready.done()]  # callers that gave up leave
        load = dict(self._tenant_running)
        for job in self._waiting:
            if job.tenant is not None:
                load[job.tenant] = load.get(job.tenant, 0) + 1
        for job in self._waiting:
            job.due = job.deadline
            if job.tenant is not None:
                job.due += self.tenant_share_s * (load[job.tenant] - 1)
        return sorted(self._waiting, key=lambda j: (j.due, j.seq))

    def _dispatch(self) -> None:
        # A job admitted here moves from waiting to running: its tenant's count, and so
        # the order computed once, stays right for the whole pass.
        now = self.now()
        in_turn = self._in_turn()
        for job in in_turn:
            if not self._admissible(job, now):
                continue
            job.admitted = True
            job.started = now
            self._waiting.remove(job)
            if job.light:
                self._light += 1
            else:
                job.background = job.deadline - now > URGENT_S
                self._running_jobs.add(job)
                self._background += job.background
            self._running[job.kind] = self._running.get(job.kind, 0) + 1
            if job.tenant is not None:
                self._tenant_running[job.tenant] = self._tenant_running.get(job.tenant, 0) + 1
            job.ready.set_result(None)

    def _give_back(self, job: _Job) -> None:
        if job.light:
            self._light -= 1
        else:
            self._background -= job.background
            self._running_jobs.discard(job)
            if job.kind in RESTING_KINDS and self._contended(job):
                now = self.now()
                self._rest_until = max(self._rest_until, now + REST_FACTOR * (now - job.started))
        self._running[job.kind] -= 1
        if job.tenant is not None:
            self._tenant_running[job.tenant] -= 1
            if self._metered(job):
                now = self.now()
                self._usage.add(job.tenant, now - job.started, now)
        self._dispatch()

    async def run(self, deadline: float, kind: str, fn: Callable[..., T], *args: Any,
                  tenant: str | None = None) -> T:
        """Run ``fn(*args)`` in the pool once it is this job's turn; ``deadline`` is on
        the event loop's clock (:meth:`now`). ``tenant``: whose share the job counts
        against (None: realtime or server work, ordered by deadline alone)."""
        loop = asyncio.get_running_loop()
        job = _Job(deadline, next(self._seq), kind, loop.create_future(), tenant, light=kind in LIGHT_KINDS)
        self._waiting.append(job)
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
