"""Turn-taking and replies driven without a network, models or a server: VAD events
and client events go into a session whose transport records what it is sent (as
Pipecat's ``run_test`` drives a pipeline), with small speech engines and a responder
that keep the session's protocols. The real engines and transports are covered end
to end by the other realtime tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import pytest

from agent_server.cpu import CpuScheduler
from agent_server.realtime.endpointing import TurnEndPredictor
from agent_server.realtime.engines import RunCpu
from agent_server.realtime.session import RealtimeSession
from agent_server.realtime.stages.vad import (
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    SpeechStopped,
    VadDetector,
    VadPool,
)
from agent_server.realtime.turns import Commit, Discard, Speculate, TurnTaking, UserStarted
from agent_server.responders import Responder, ResponderTurn
from tests.realtime.fakes import RecordingTransport

T = TypeVar("T")
WORD_S = 0.05  # audio per spoken word
SERVER_VAD = {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500, "prefix_padding_ms": 300}


class WordsStt:
    """Hears ``words`` in any audio that is not silent; raises when told to."""

    def __init__(self, words: str, fail: bool = False) -> None:
        self.words = words
        self.fail = fail
        self.calls = 0

    def transcribe(self, audio: np.ndarray) -> str:
        self.calls += 1
        if self.fail:
            raise RuntimeError("model crashed: internal detail")
        return self.words if float(np.abs(audio).max(initial=0.0)) > 0 else ""


class ToneTts:
    """WORD_S of a tone per word, one chunk per text, each made as a scheduler job."""

    def pause(self) -> np.ndarray:
        return np.zeros(240, np.float32)

    async def speak(self, texts: list[str], run: RunCpu, *, fast_start: bool) -> AsyncGenerator[tuple[int, np.ndarray],
                                                                                                 None]:
        for i, text in enumerate(texts):
            n = int(WORD_S * 24000) * max(1, len(text.split()))
            yield i, await run(lambda n=n: np.full(n, 0.1, np.float32))


class ScriptResponder(Responder):
    """Answers every turn with ``answer``; counts snapshots given back (discarded turns)."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.turns: list[str] = []
        self.restored = 0

    async def reply(self, turn: ResponderTurn) -> AsyncIterator[str]:
        self.turns.append(turn.text)
        for word in self.answer.split(" "):
            yield word + " "

    def snapshot(self) -> object:
        return len(self.turns)

    def restore(self, state: object) -> None:
        self.restored += 1


class Resources:
    """The shared parts a session uses, with a real scheduler and small engines."""

    def __init__(self, stt: WordsStt, pool: ThreadPoolExecutor, turn_end: TurnEndPredictor | None = None) -> None:
        self.sched = CpuScheduler(pool, slots=2)
        self.vad_pool = VadPool()
        self.idle_timeout_s = 300.0
        self.turn_end = turn_end
        self._stt = stt

    @property
    def stt(self) -> WordsStt:
        return self._stt

    def tts_for(self, profile: Any) -> ToneTts:
        return ToneTts()

    async def run_vad(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(3) as ex:
        yield ex


class Harness:
    def __init__(self, pool: ThreadPoolExecutor, *, answer: str = "We open at noon.", words: str = "when do you open",
                 turn_detection: dict[str, Any] | None = SERVER_VAD, buffers: bool = False,
                 stt_fails: bool = False, turn_end: TurnEndPredictor | None = None) -> None:
        self.transport = RecordingTransport(buffers=buffers)
        self.stt = WordsStt(words, fail=stt_fails)
        self.responder = ScriptResponder(answer)
        agent = {"id": "agent_test", "name": "Test", "turn_detection": turn_detection}
        self.session = RealtimeSession(resources=Resources(self.stt, pool, turn_end), agent=agent, profile=None,
                                       transport=self.transport, voice="joe", responder=self.responder)
        self.writer = asyncio.ensure_future(self.transport.run())

    async def until(self, type_: str, n: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The first ``n`` events of this type, once written."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.transport.of(type_)) < n:
            assert loop.time() < end, f"no {type_} in {self.transport.types()}"
            await asyncio.sleep(0.01)
        return self.transport.of(type_)[:n]

    async def close(self) -> None:
        await self.session.close()
        self.writer.cancel()


def speech(seconds: float = 1.0) -> np.ndarray:
    return np.full(int(seconds * 16000), 0.2, np.float32)


# ---- turn-taking on its own --------------------------------------------------------------------


def test_turn_taking_decisions() -> None:
    turns = TurnTaking()
    audio = speech(0.5)
    started = turns.on_vad(SpeechStarted(120), may_speculate=True)
    assert isinstance(started[0], UserStarted) and started[0].audio_start_ms == 120
    item = started[0].item_id
    paused = turns.on_vad(SpeechPaused(1, audio), may_speculate=True, slack_s=0.3)
    assert [type(d) for d in paused] == [Discard, Speculate]
    assert isinstance(paused[1], Speculate) and paused[1].slack_s == 0.3
    assert turns.on_vad(SpeechResumed(1), may_speculate=True) == [Discard()]
    turns.on_vad(SpeechPaused(1, audio), may_speculate=True)
    stopped = turns.on_vad(SpeechStopped(1, 900, audio), may_speculate=True)
    assert len(stopped) == 1 and isinstance(stopped[0], Commit)
    assert stopped[0].item_id == item and stopped[0].speculated
    assert turns.user_item is None


def test_no_speculation_under_pressure_and_a_stale_one_is_not_used() -> None:
    turns = TurnTaking()
    audio = speech(0.5)
    turns.on_vad(SpeechStarted(0), may_speculate=True)
    assert [type(d) for d in turns.on_vad(SpeechPaused(1, audio), may_speculate=False)] == [Discard]
    stopped = turns.on_vad(SpeechStopped(1, 900, audio), may_speculate=True)
    assert isinstance(stopped[0], Commit) and not stopped[0].speculated
    # A held answer for an earlier turn is no answer to this one.
    turns.on_vad(SpeechPaused(2, audio), may_speculate=True)
    stopped = turns.on_vad(SpeechStopped(3, 1900, audio), may_speculate=True)
    assert isinstance(stopped[0], Commit) and not stopped[0].speculated


# ---- the session with a recording transport -------------------------------------------------------


async def test_speculated_turn_is_committed_and_answered(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool)
    s = h.session
    await s.on_vad(SpeechStarted(0))
    await s.on_vad(SpeechPaused(1, speech()))
    spec = s.replies.spec
    assert spec is not None
    await s.on_vad(SpeechStopped(1, 1500, speech()))
    assert s.replies.spec is None and s.replies.active is spec  # the held reply is the one spoken
    done = (await h.until("response.done"))[0]["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"][0]["transcript"] == "We open at noon."
    assert done["x_timings"]["speculative"] == 1.0
    types = h.transport.types()
    order = ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
             "conversation.item.input_audio_transcription.completed", "response.created", "response.done"]
    assert [types.index(t) for t in order] == sorted(types.index(t) for t in order)
    committed = h.transport.of("input_audio_buffer.committed")[0]
    assert committed["item_id"] == h.transport.of("input_audio_buffer.speech_started")[0]["item_id"]
    assert h.stt.calls == 1 and h.responder.turns == ["when do you open"]
    sent = sum(len(a.audio) for a in h.transport.audio)
    assert sent == int(WORD_S * 24000) * 4  # every sample of the four words went out
    assert h.transport.marks == [f"{done['id']}.1"]
    await h.close()


async def test_resumed_speech_discards_the_held_reply(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool)
    s = h.session
    await s.on_vad(SpeechStarted(0))
    await s.on_vad(SpeechPaused(1, speech(0.5)))
    held = s.replies.spec
    assert held is not None
    await s.on_vad(SpeechResumed(1))
    assert s.replies.spec is None and h.responder.restored == 1
    await s.on_vad(SpeechStopped(1, 2000, speech(1.5)))
    done = (await h.until("response.done"))[0]["response"]
    assert done["id"] != held.id and "speculative" not in done["x_timings"]
    assert all(e.get("response_id") != held.id for e in h.transport.events)
    await h.close()


async def test_barge_in_cancels_and_reports_only_what_was_sent(pool: ThreadPoolExecutor) -> None:
    answer = " ".join(f"Sentence number {i} is here." for i in range(30))
    h = Harness(pool, answer=answer, buffers=True)
    s = h.session
    await s.on_vad(SpeechStarted(0))
    await s.on_vad(SpeechStopped(1, 1000, speech()))
    await h.until("response.output_audio_transcript.delta", 2)
    await s.on_vad(SpeechStarted(5000))
    done = (await h.until("response.done"))[0]["response"]
    assert done["status"] == "cancelled" and done["status_details"]["reason"] == "turn_detected"
    said = done["output"][0]["content"][0]["transcript"]
    assert said and answer.startswith(said) and len(said) < len(answer)
    cleared = h.transport.of("output_audio_buffer.cleared")
    assert h.transport.clears == 1 and cleared[0]["response_id"] == done["id"]
    # Nothing of the cancelled reply is written after its response.done.
    after = h.transport.events[h.transport.events.index(h.transport.of("response.done")[0]):]
    assert not [e for e in after if e["type"].startswith("response.output_audio")
                and e["type"] != "response.output_audio.done"]
    n_audio = len(h.transport.audio)
    await asyncio.sleep(0.3)
    assert len(h.transport.audio) == n_audio
    await h.close()


async def test_a_failed_reply_is_reported_failed(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool, stt_fails=True)
    await h.session.on_vad(SpeechStarted(0))
    await h.session.on_vad(SpeechStopped(1, 1000, speech()))
    done = (await h.until("response.done"))[0]["response"]
    assert done["status"] == "failed" and done["status_details"]["error"]["code"] == "reply_failed"
    assert "internal detail" not in json.dumps(h.transport.events)
    await h.close()


async def test_push_to_talk_transcribes_then_answers_on_request(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool, turn_detection=None)
    s = h.session
    s.push_audio(speech())
    await s.handle_event(json.dumps({"type": "input_audio_buffer.commit"}))
    tr = (await h.until("conversation.item.input_audio_transcription.completed"))[0]
    assert tr["transcript"] == "when do you open"
    assert not h.transport.of("response.created")
    await s.handle_event(json.dumps({"type": "response.create"}))
    done = (await h.until("response.done"))[0]["response"]
    assert done["status"] == "completed" and h.responder.turns[-1] == "when do you open"
    await s.handle_event(json.dumps({"type": "input_audio_buffer.commit", "event_id": "evt_1"}))
    err = (await h.until("error"))[0]["error"]
    assert err["code"] == "input_audio_buffer_commit_empty" and err["event_id"] == "evt_1"
    await h.close()


# ---- an earlier turn end from the transcript ------------------------------------------------------


def test_a_finished_sentence_is_told_from_an_open_one() -> None:
    end = TurnEndPredictor(silence_ms=300)
    for text in ("When do you open?", "I'd like a table for two.", "Thanks!", "I want it."):
        assert end.finished(text), text
    for text in ("", "when do you open", "I'd like a table for", "I went to the.", "and then I said,",
                 "Well...", "Because I'm.", "It was, and."):
        assert not end.finished(text), text
    assert end.ends("Thanks.", quiet_ms=320, full_silence_ms=500)
    assert not end.ends("Thanks.", quiet_ms=200, full_silence_ms=500)  # not silent long enough yet
    assert not end.ends(None, quiet_ms=480, full_silence_ms=500)  # nothing heard yet
    # A session whose own silence is shorter than the early one gains nothing, loses nothing.
    assert end.ends("Thanks.", quiet_ms=250, full_silence_ms=250)


def test_only_the_held_turn_ends_early() -> None:
    turns = TurnTaking(TurnEndPredictor(300))
    turns.on_vad(SpeechStarted(0), may_speculate=True)
    turns.on_vad(SpeechPaused(1, speech(0.5)), may_speculate=True)
    assert turns.ends_early(1, "Thanks.", 350, 500)
    assert not turns.ends_early(2, "Thanks.", 350, 500)
    turns.on_vad(SpeechResumed(1), may_speculate=True)  # the held answer went: nothing to end
    assert not turns.ends_early(1, "Thanks.", 350, 500)
    assert not TurnTaking().ends_early(1, "Thanks.", 350, 500)  # no predictor: the full wait


class LevelVad:
    """A VAD model that calls any chunk louder than 0.05 RMS speech (silero's call)."""

    def __call__(self, chunk: Any, rate: int) -> Any:
        import torch

        return torch.tensor(0.9 if float(chunk.pow(2).mean().sqrt()) > 0.05 else 0.02)


async def _speak_then_pause(h: Harness, silence_s: float) -> dict[str, Any] | None:
    """One second of speech, then silence 20 ms at a time through the session's input
    loop, waiting after the pause for the held reply's transcript; the turn's
    ``speech_stopped``, or None if the silence did not end it."""
    s = h.session
    s.vad = VadDetector(LevelVad(), silence_ms=500, prefix_padding_ms=300, speculate_ms=200)
    loop = asyncio.ensure_future(s._input_loop())
    s.push_audio(speech(1.0))
    for _ in range(int(silence_s / 0.02)):
        s.push_audio(np.zeros(320, np.float32))
        while not s._in_q.empty():
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.002)
        spec = s.replies.spec
        while spec is not None and spec.heard is None:  # the pause's ASR is running
            await asyncio.sleep(0.005)
        if h.transport.of("input_audio_buffer.speech_stopped"):
            break
    await asyncio.sleep(0.01)
    loop.cancel()
    stopped = h.transport.of("input_audio_buffer.speech_stopped")
    return stopped[0] if stopped else None


async def test_a_finished_sentence_ends_the_turn_before_the_full_silence(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool, words="When do you open?", turn_end=TurnEndPredictor(300))
    stopped = await _speak_then_pause(h, silence_s=0.45)
    assert stopped is not None
    # 1 s of speech, ended at the early silence (300 ms), not the full 500 ms.
    assert 1250 <= stopped["audio_end_ms"] < 1450
    done = (await h.until("response.done"))[0]["response"]
    assert done["status"] == "completed" and done["x_timings"]["speculative"] == 1.0
    assert done["x_timings"]["turn_end_silence_ms"] >= 300
    assert h.stt.calls == 1 and h.responder.turns == ["When do you open?"]
    assert h.transport.of("input_audio_buffer.committed")[0]["item_id"] == stopped["item_id"]
    # The detector's turn is closed: the silence that follows ends nothing more.
    assert not h.session.vad.speaking  # type: ignore[union-attr]
    await h.close()


async def test_an_open_sentence_waits_out_the_full_silence(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool, words="I would like to book a table for", turn_end=TurnEndPredictor(300))
    assert await _speak_then_pause(h, silence_s=0.45) is None  # past the early silence: still open
    h2 = Harness(pool, words="I would like to book a table for", turn_end=TurnEndPredictor(300))
    stopped = await _speak_then_pause(h2, silence_s=0.7)
    assert stopped is not None and stopped["audio_end_ms"] >= 1500
    await h.close()
    await h2.close()


async def test_without_a_predictor_every_turn_waits_the_full_silence(pool: ThreadPoolExecutor) -> None:
    h = Harness(pool, words="When do you open?")
    assert await _speak_then_pause(h, silence_s=0.45) is None
    await h.close()
