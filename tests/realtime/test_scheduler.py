"""The realtime CPU scheduler on a real thread pool: order by deadline, one ASR at a
time, a slot kept for urgent work, and cancelled callers leaving no trace."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from agent_server.realtime.scheduler import URGENT_S, CpuScheduler


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as ex:
        yield ex


async def _blocked(sched: CpuScheduler, gate: threading.Event, kind: str = "tts") -> asyncio.Task[None]:
    """A job that holds a slot until ``gate`` opens."""
    task = asyncio.create_task(sched.run(0.0, kind, gate.wait))
    await asyncio.sleep(0.05)
    return task


async def test_earliest_deadline_runs_first(pool: ThreadPoolExecutor) -> None:
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    now = asyncio.get_running_loop().time()
    jobs = [asyncio.create_task(sched.run(now + d, "tts", order.append, name))
            for name, d in (("later sentence", 3.0), ("committed turn", -0.2), ("speculative", 0.3))]
    await asyncio.sleep(0.05)
    assert sched.backlog == 3 and sched.busy
    gate.set()
    await asyncio.gather(blocker, *jobs)
    assert order == ["committed turn", "speculative", "later sentence"]
    assert not sched.busy


async def test_one_asr_at_a_time_while_tts_proceeds(pool: ThreadPoolExecutor) -> None:
    sched = CpuScheduler(pool, slots=2)
    gate = threading.Event()
    asr = await _blocked(sched, gate, "asr")
    started: list[str] = []
    now = asyncio.get_running_loop().time()
    second_asr = asyncio.create_task(sched.run(now, "asr", started.append, "asr"))
    tts = asyncio.create_task(sched.run(now + 1.0, "tts", started.append, "tts"))
    await tts  # the free slot went to TTS, past the ASR that must wait
    assert started == ["tts"] and sched.backlog == 1
    gate.set()
    await asyncio.gather(asr, second_asr)
    assert started == ["tts", "asr"]


async def test_a_slot_is_kept_for_urgent_work(pool: ThreadPoolExecutor) -> None:
    sched = CpuScheduler(pool, slots=2)
    gate = threading.Event()
    now = asyncio.get_running_loop().time()
    relaxed = asyncio.create_task(sched.run(now + 10 * URGENT_S, "tts", gate.wait))
    await asyncio.sleep(0.05)
    also_relaxed = asyncio.create_task(sched.run(now + 10 * URGENT_S, "tts", lambda: "relaxed"))
    await asyncio.sleep(0.05)
    assert sched.backlog == 1  # waits although a thread is free...
    assert await sched.run(now, "tts", lambda: "urgent") == "urgent"  # ...which urgent work gets at once
    gate.set()
    assert await also_relaxed == "relaxed"
    await relaxed


async def test_cancelled_callers_leave_the_queue(pool: ThreadPoolExecutor) -> None:
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    ran: list[int] = []
    waiting = asyncio.create_task(sched.run(0.0, "tts", ran.append, 1))
    await asyncio.sleep(0.05)
    waiting.cancel()  # a barge-in while the job was queued
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert sched.backlog == 0
    running = asyncio.create_task(sched.run(0.0, "tts", ran.append, 2))
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(blocker, running)
    assert ran == [2] and not sched.busy
