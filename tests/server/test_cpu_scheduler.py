"""The CPU scheduler on a real thread pool: order by deadline, one ASR at a time, a slot
kept for urgent work, cancelled callers leaving no trace, and the deadline classes of
the work that is not a realtime reply's (HTTP speech, enrollment, the VAD)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from agent_server.cpu import URGENT_S, CpuScheduler, Due
from agent_server.realtime.response import Response
from agent_server.speech_stream import SpeechClock, plan, speak
from voices import synthesis
from voices.audio_io import decode


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


def _recorded(order: list[str], name: str, fn: Any, *args: Any) -> Any:
    """``fn(*args)``, noting when the job really started."""

    def job() -> Any:
        order.append(name)
        return fn(*args)

    return job


async def test_deadline_classes_order_real_jobs(pool: ThreadPoolExecutor, speech_wav: bytes) -> None:
    """Realtime work due now, then HTTP speech's first chunk, then a speech stream that
    is ahead of playback, then enrollment: whatever order they were asked in."""
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    reply = Response("resp_x", "item_x", asyncio.Queue())
    reply.due = sched.now()
    streaming = SpeechClock(sched)
    streaming.sent(np.zeros(synthesis.OUTPUT_RATE, np.float32))  # one second already sent
    first = SpeechClock(sched)
    jobs = [
        asyncio.create_task(sched.run(sched.now() + Due.ENROLL_S, "enroll",
                                      _recorded(order, "enrollment", decode, speech_wav))),
        asyncio.create_task(streaming.run(_recorded(order, "speech rest", synthesis.read, "Later on.", None))),
        asyncio.create_task(first.run(_recorded(order, "speech first", synthesis.read, "Hello.", None))),
        asyncio.create_task(sched.run(reply.deadline(), "tts",
                                      _recorded(order, "realtime", synthesis.read, "Yes.", None))),
    ]
    await asyncio.sleep(0.05)
    assert order == [] and sched.backlog == 4
    gate.set()
    clip, (audio, _), _, _ = [await j for j in jobs]
    await blocker
    assert order == ["realtime", "speech first", "speech rest", "enrollment"]
    assert clip.samples.size > 0 and audio.size > 0


async def test_enrollment_never_takes_the_last_slot(pool: ThreadPoolExecutor, speech_wav: bytes) -> None:
    """Two enrollment steps on two slots: one runs, the other waits, and realtime work
    due now gets the free slot at once."""
    sched = CpuScheduler(pool, slots=2)
    gate = threading.Event()
    due = sched.now() + Due.ENROLL_S
    order: list[str] = []
    running = asyncio.create_task(sched.run(due, "enroll", _recorded(order, "enroll 1", gate.wait)))
    queued = asyncio.create_task(sched.run(due, "enroll", _recorded(order, "enroll 2", decode, speech_wav)))
    await asyncio.sleep(0.05)
    assert order == ["enroll 1"] and sched.backlog == 1
    audio, _ = await sched.run(sched.now(), "tts", _recorded(order, "realtime", synthesis.read, "Hi.", None))
    assert order == ["enroll 1", "realtime"] and audio.size > 0
    gate.set()
    await asyncio.gather(running, queued)
    assert order[-1] == "enroll 2"


async def test_enrollments_finish_in_the_order_they_began(pool: ThreadPoolExecutor, speech_wav: bytes) -> None:
    """Fairness within a class: every step of an enrollment shares its deadline, so the
    one that began first gets each free slot before a later one; and an enrollment that
    has waited goes ahead of realtime work with more slack than it has left."""
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    early, late = sched.now() + Due.ENROLL_S, sched.now() + Due.ENROLL_S + 1.0
    jobs = [asyncio.create_task(sched.run(late, "enroll", _recorded(order, "late step", decode, speech_wav))),
            asyncio.create_task(sched.run(sched.now() + 2 * Due.ENROLL_S, "tts",
                                          _recorded(order, "far realtime", synthesis.read, "Later.", None))),
            asyncio.create_task(sched.run(early, "enroll", _recorded(order, "early step", decode, speech_wav)))]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(blocker, *jobs)
    assert order == ["early step", "late step", "far realtime"]


async def test_vad_never_waits_behind_model_work(pool: ThreadPoolExecutor) -> None:
    """Every model slot taken and more queued: a VAD step still runs at once, on the
    thread kept for light jobs."""
    with ThreadPoolExecutor(3) as three:
        sched = CpuScheduler(three, slots=2, light_slots=1)
        gate = threading.Event()
        held = [await _blocked(sched, gate), await _blocked(sched, gate)]
        queued = asyncio.create_task(sched.run(sched.now(), "tts", lambda: "tts"))
        await asyncio.sleep(0.05)
        assert sched.busy and sched.backlog == 1
        assert await sched.run(sched.now(), "vad", lambda: "vad") == "vad"
        gate.set()
        assert await queued == "tts"
        await asyncio.gather(*held)


async def test_speech_stream_steps_make_the_same_audio() -> None:
    """The scheduler-driven stream (read-ahead across sentences as its own jobs) speaks
    what the blocking generator does: the same pieces, the pause between sentences.
    (Piper samples its noise per call, so the waveforms themselves differ.)"""
    text = "The meeting moved to Thursday. Thanks, see you then!"
    with ThreadPoolExecutor(3) as three:
        sched = CpuScheduler(three, slots=2)
        clock = SpeechClock(sched)
        pieces = plan([text], 1.0)
        streamed = [chunk async for _, chunk in speak(pieces, None, 1.0, clock.run)]
    blocking = list(synthesis.synthesize_stream(text, None))
    assert len(streamed) == len(blocking) >= 2
    pause = len(synthesis.gap(1.0))
    for ours, theirs in zip(streamed, blocking, strict=True):
        assert abs(len(ours) - len(theirs)) < 0.2 * len(theirs)
    assert not streamed[1][:pause].any() and not blocking[1][:pause].any()
    assert streamed[0][:pause].any()


async def test_background_work_does_not_press_speculation(pool: ThreadPoolExecutor) -> None:
    """A speech stream ahead of playback or an enrollment leaves room for a speculative
    reply (which goes before them); urgent work waiting does not."""
    sched = CpuScheduler(pool, slots=2)
    gate = threading.Event()
    later = sched.now() + Due.ENROLL_S
    held = asyncio.create_task(sched.run(later, "enroll", gate.wait))
    queued = asyncio.create_task(sched.run(later, "enroll", lambda: None))
    await asyncio.sleep(0.05)
    assert sched.busy and not sched.pressed
    urgent = await _blocked(sched, gate)
    assert not sched.pressed  # one urgent job running, nothing urgent waiting
    waiting = asyncio.create_task(sched.run(sched.now(), "tts", lambda: None))
    await asyncio.sleep(0.05)
    assert sched.pressed
    gate.set()
    await asyncio.gather(held, queued, urgent, waiting)
    assert not sched.pressed


async def _queue(sched: CpuScheduler, order: list[str], jobs: list[tuple[str, float, str | None]]
                 ) -> list[asyncio.Task[None]]:
    """Queue ``(name, deadline, tenant)`` jobs that note when they start."""
    tasks = [asyncio.create_task(sched.run(deadline, "tts", order.append, name, tenant=tenant))
             for name, deadline, tenant in jobs]
    await asyncio.sleep(0.05)
    return tasks


@pytest.mark.parametrize("share", [0.5, 0.0])
async def test_a_flooding_tenant_yields_to_one_with_fewer_jobs(pool: ThreadPoolExecutor, share: float) -> None:
    """Four jobs of one tenant due together, then one of another tenant due a little
    later: with a share the second tenant goes first; without one (0) the order is the
    deadlines'."""
    sched = CpuScheduler(pool, slots=1, tenant_share_s=share)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    due = sched.now()
    jobs = await _queue(sched, order, [*((f"flood {i}", due, "flood") for i in range(1, 5)),
                                       ("honest", due + 0.1, "honest")])
    gate.set()
    await asyncio.gather(blocker, *jobs)
    if share:
        assert order == ["honest", "flood 1", "flood 2", "flood 3", "flood 4"]
    else:
        assert order == ["flood 1", "flood 2", "flood 3", "flood 4", "honest"]


async def test_running_jobs_count_against_their_tenant(pool: ThreadPoolExecutor) -> None:
    """A tenant already on a thread yields the next free one to a tenant with none
    running, though its waiting job's deadline is the earlier."""
    sched = CpuScheduler(pool, slots=2)
    busy, free_one, hold = threading.Event(), threading.Event(), threading.Event()
    try:
        now = sched.now()
        running = asyncio.create_task(sched.run(now, "tts", busy.wait, tenant="flood"))
        other = await _blocked(sched, free_one)
        order: list[str] = []
        flood = asyncio.create_task(sched.run(now - 1.0, "tts", order.append, "flood", tenant="flood"))
        honest = asyncio.create_task(sched.run(now - 0.8, "tts", _recorded(order, "honest", hold.wait),
                                               tenant="honest"))
        await asyncio.sleep(0.05)
        assert order == [] and sched.backlog == 2
        free_one.set()  # one thread comes free
        await other
        await asyncio.sleep(0.05)
        assert order == ["honest"] and sched.backlog == 1
    finally:
        free_one.set()
        hold.set()
        busy.set()
    await asyncio.gather(running, flood, honest)
    assert order == ["honest", "flood"]


async def test_realtime_work_is_never_pushed_back(pool: ThreadPoolExecutor) -> None:
    """Tenant-less (realtime) jobs keep their deadlines: one due now goes before every
    tenant job due later, and one due a little later than a crowd of a tenant's jobs
    goes before them; a tenant with one job keeps its place by deadline."""
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    due = sched.now()
    jobs = await _queue(sched, order, [("speech a", due + 0.05, "a"), ("speech b", due + 0.05, "b"),
                                       ("a 2", due, "a"), ("a 3", due, "a"), ("a 4", due, "a"),
                                       ("turn later", due + 0.2, None), ("turn now", due - 0.1, None)])
    gate.set()
    await asyncio.gather(blocker, *jobs)
    assert order == ["turn now", "speech b", "turn later", "a 2", "a 3", "a 4", "speech a"]


async def test_cancelled_and_finished_jobs_stop_counting(pool: ThreadPoolExecutor) -> None:
    """A tenant's jobs that left the queue, or ran, no longer push its next one back."""
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    due = sched.now()
    gone = await _queue(sched, order, [(f"gone {i}", due - 1.0, "a") for i in range(3)])
    for task in gone:
        task.cancel()
    await asyncio.gather(*gone, return_exceptions=True)
    done = await _queue(sched, order, [("a", due + 0.1, "a"), ("b", due + 0.2, "b")])
    gate.set()
    await asyncio.gather(blocker, *done)
    assert order == ["a", "b"]
    gate.clear()
    blocker = await _blocked(sched, gate)
    again = await _queue(sched, order, [("a again", due + 0.1, "a"), ("b again", due + 0.2, "b")])
    gate.set()
    await asyncio.gather(blocker, *again)
    assert order == ["a", "b", "a again", "b again"]


async def test_speech_streams_carry_their_tenant(pool: ThreadPoolExecutor) -> None:
    """Three of one tenant's speech streams, then another tenant's request a moment
    later: its first sentence goes first, not last."""
    sched = CpuScheduler(pool, slots=1)
    gate = threading.Event()
    blocker = await _blocked(sched, gate)
    order: list[str] = []
    streams = [SpeechClock(sched, "flood") for _ in range(3)]
    await asyncio.sleep(0.01)
    first = SpeechClock(sched, "honest")
    jobs = [asyncio.create_task(c.run(order.append, f"flood {i}")) for i, c in enumerate(streams, 1)]
    jobs.append(asyncio.create_task(first.run(order.append, "honest")))
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(blocker, *jobs)
    assert order == ["honest", "flood 1", "flood 2", "flood 3"]


async def test_a_tenant_over_its_share_yields_the_spare_slot(pool: ThreadPoolExecutor) -> None:
    """Without the demoted lane: a tenant that has just used the CPU alone may not start
    work with slack while another tenant is active, though a slot is free: the other
    tenant's job with far more slack starts first, and the held-back job starts once it
    comes due."""
    sched = CpuScheduler(pool, slots=2)
    await sched.run(sched.now(), "tts", time.sleep, 0.5, tenant="heavy")
    hold = threading.Event()
    order: list[str] = []
    try:
        light_running = asyncio.create_task(sched.run(sched.now(), "tts", hold.wait, tenant="light"))
        await asyncio.sleep(0.05)
        now = sched.now()
        heavy_later = asyncio.create_task(sched.run(now + URGENT_S + 3.0, "tts", order.append, "heavy later",
                                                    tenant="heavy"))
        await asyncio.sleep(0.1)
        assert order == [] and sched.backlog == 1  # held back, one slot free
        await sched.run(now + 10.0, "tts", order.append, "light later", tenant="light")
        assert order == ["light later"]
        await asyncio.wait_for(heavy_later, 30)
        assert order == ["light later", "heavy later"]
    finally:
        hold.set()
    await light_running


async def test_with_no_other_tenant_active_nothing_is_held_back(pool: ThreadPoolExecutor) -> None:
    sched = CpuScheduler(pool, slots=2)
    await sched.run(sched.now(), "tts", time.sleep, 0.5, tenant="heavy")
    spare = sched.run(sched.now() + 60.0, "tts", lambda: "ran", tenant="heavy")
    assert await asyncio.wait_for(spare, 10) == "ran"  # not held until it comes due
    assert sched.backlog == 0


@pytest.mark.parametrize("contended", [True, False])
async def test_enrollment_rests_between_steps_while_other_work_is_in(
        pool: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch, contended: bool) -> None:
    """An enrollment step that ended while other model work ran: the next one waits
    until that work is done (a rest far longer than the test); with nothing else in,
    the steps follow each other at once."""
    monkeypatch.setattr("agent_server.cpu.REST_FACTOR", 1000.0)
    sched = CpuScheduler(pool, slots=2)
    gate = threading.Event()
    other = await _blocked(sched, gate) if contended else None
    order: list[str] = []
    due = sched.now() + Due.ENROLL_S
    await sched.run(due, "enroll", _recorded(order, "step 1", time.sleep, 0.01))
    second = asyncio.create_task(sched.run(due, "enroll", _recorded(order, "step 2", time.sleep, 0.0)))
    await asyncio.sleep(0.1)
    assert order == (["step 1"] if contended else ["step 1", "step 2"])
    gate.set()
    if other is not None:
        await other
    await second
    assert order == ["step 1", "step 2"]


async def test_an_abusers_work_does_not_keep_enrollment_resting(
        pool: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tenant over its share (here: it just used the CPU alone) is running a job when
    an honest tenant's enrollment step ends: the next step follows at once. Realtime
    work (no tenant) running in its place keeps the rest (the test above)."""
    monkeypatch.setattr("agent_server.cpu.REST_FACTOR", 1000.0)
    sched = CpuScheduler(pool, slots=2)
    await sched.run(sched.now(), "tts", time.sleep, 0.3, tenant="abuser")
    gate = threading.Event()
    abuser = asyncio.create_task(sched.run(0.0, "tts", gate.wait, tenant="abuser"))
    await asyncio.sleep(0.05)
    order: list[str] = []
    due = sched.now() + Due.ENROLL_S
    try:
        await sched.run(due, "enroll", _recorded(order, "step 1", time.sleep, 0.01), tenant="honest")
        second = asyncio.create_task(sched.run(due, "enroll", _recorded(order, "step 2", time.sleep, 0.0),
                                               tenant="honest"))
        await asyncio.sleep(0.1)
        assert order == ["step 1", "step 2"]
    finally:
        gate.set()
    await abuser
    await second
