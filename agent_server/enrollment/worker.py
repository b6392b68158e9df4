"""The in-process enrollment worker.

Jobs live in the store (see :mod:`agent_server.stores.base`), not in memory: a job is
claimed with a lease, and if this process dies mid-enrollment the lease runs out and
any process (this one after a restart, or another one on the same Redis) picks it up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from agent_server.api.clones import KIND, profile_blob, ref_blob
from agent_server.context import ServerContext
from agent_server.cpu import Due
from agent_server.enrollment.process import enroll
from agent_server.errors import store_error
from agent_server.stores.base import ClaimedJob

log = logging.getLogger("agent_server.enrollment")


class EnrollmentWorker:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(ctx.settings.worker.enroll_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="enrollment-worker")

    async def stop(self) -> None:
        if self._runner:
            self._runner.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*(t for t in [self._runner, *self._tasks] if t), return_exceptions=True)

    async def _run(self) -> None:
        cfg = self.ctx.settings.worker
        while True:
            await self._slots.acquire()
            try:
                job = await self.ctx.store.claim_job(cfg.job_lease_s, cfg.enroll_per_tenant)
            except Exception as exc:  # store briefly unreachable: back off, keep the worker alive
                if store_error(exc):
                    log.warning("claiming an enrollment job failed: the store is unreachable (%s)", exc)
                else:
                    log.exception("claiming an enrollment job failed")
                job = None
            if job is None:
                self._slots.release()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), cfg.poll_interval_s)
                continue
            task = asyncio.create_task(self._guarded(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _heartbeat(self, voice_id: str) -> None:
        lease = self.ctx.settings.worker.job_lease_s
        while True:
            await asyncio.sleep(lease / 3)
            with contextlib.suppress(Exception):
                await self.ctx.store.extend_job(voice_id, lease)

    async def _guarded(self, job: ClaimedJob) -> None:
        beat = asyncio.create_task(self._heartbeat(job.voice_id))
        try:
            await self.process(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Leave the job leased: it becomes visible again after the lease, and
            # max_attempts turns a poison clip into a failed voice instead of a loop.
            log.exception("enrollment of %s failed", job.voice_id)
        finally:
            beat.cancel()
            self._slots.release()
            with contextlib.suppress(Exception):
                self.ctx.metrics.jobs_pending.set(await self.ctx.store.pending_jobs())

    async def process(self, job: ClaimedJob) -> None:
        store, settings = self.ctx.store, self.ctx.settings
        found = await store.get_any(KIND, job.voice_id)
        if found is None or found[1].get("status") != "pending":
            await store.complete_job(job.voice_id)
            return
        tenant, doc = found
        if job.attempts > settings.worker.max_attempts:
            doc.update(status="failed", failure={
                "code": "enrollment_error",
                "message": "The clip could not be processed after several attempts; upload it again.",
            })
            await store.replace(KIND, tenant, job.voice_id, doc)
            await store.complete_job(job.voice_id)
            self.ctx.metrics.enrollments.labels("failed", "enrollment_error").inc()
            return
        data = await store.get_blob(ref_blob(job.voice_id))
        if data is None:
            doc.update(status="failed", failure={
                "code": "invalid_audio", "message": "The reference clip is missing; upload it again.",
            })
            await store.replace(KIND, tenant, job.voice_id, doc)
            await store.complete_job(job.voice_id)
            return
        started = time.perf_counter()
        # Every step shares one deadline, so enrollments finish in the order they began.
        due, sched = self.ctx.sched.now() + Due.ENROLL_S, self.ctx.sched

        async def run(fn: Any, *args: Any) -> Any:
            return await sched.run(due, "enroll", fn, *args, tenant=tenant)

        result = await enroll(data, settings.gate, settings.limits.max_audio_s, run)
        self.ctx.metrics.enroll_seconds.observe(time.perf_counter() - started)
        if result.profile is not None:
            await store.put_blob(profile_blob(job.voice_id), result.profile)
        doc.update(
            status="failed" if result.failure else "ready",
            failure=result.failure,
            quality=result.quality or None,
        )
        if not await store.replace(KIND, tenant, job.voice_id, doc):
            # Deleted while we worked: don't resurrect anything.
            await store.delete_blob(profile_blob(job.voice_id))
        await store.complete_job(job.voice_id)
        code = result.failure["code"] if result.failure else ""
        self.ctx.metrics.enrollments.labels(doc["status"], code).inc()
        log.info("voice %s %s %s", job.voice_id, doc["status"], code)
