"""Transcript → reply sentences, from whichever responder the agent configures.

Responders stream text in arbitrary fragments (LLM tokens, whole answers); TTS wants
speakable pieces. Fragments are cut at sentence ends, and the first piece also at a
clause end once it is long enough, so the first audio doesn't wait for a long sentence.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable

from agent_server.realtime.pipeline import Frame, ReplyEnd, ReplyText, Stage, Transcript, UserText
from agent_server.responders import Message, Responder, ResponderTurn
from agent_server.responders.base import RunCpu

_SENTENCE = re.compile(r"(.+?[.!?…]+[\"')\]]*)(\s+|$)", re.S)
_CLAUSE = re.compile(r"(.+?[,;:])(\s+)", re.S)
FIRST_CLAUSE_MIN = 24


def take_pieces(buf: str, first: bool, final: bool) -> tuple[list[str], str]:
    """Cut complete pieces off the front of ``buf``; return them and the remainder."""
    out: list[str] = []
    while True:
        m = _SENTENCE.match(buf)
        if m and (m.group(2) or final):
            out.append(m.group(1).strip())
            buf = buf[m.end():]
            continue
        if first and not out:
            c = _CLAUSE.match(buf)
            if c and len(c.group(1)) >= FIRST_CLAUSE_MIN:
                out.append(c.group(1).strip())
                buf = buf[c.end():]
                continue
        break
    if final and buf.strip():
        out.append(buf.strip())
        buf = ""
    return [p for p in out if p], buf


class ResponderStage(Stage):
    """:class:`Transcript` / :class:`UserText` → :class:`ReplyText`... then :class:`ReplyEnd`.

    The transcript itself is passed on first, so the session can report it."""

    name = "responder"

    def __init__(self, responder: Responder, history: Callable[[], list[Message]], instructions: Callable[[], str],
                 run_cpu: RunCpu) -> None:
        self.responder = responder
        self.history = history
        self.instructions = instructions
        self.run_cpu = run_cpu

    async def process(self, frames: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
        async for frame in frames:
            if not isinstance(frame, Transcript | UserText):
                yield frame
                continue
            yield frame
            text = frame.text.strip()
            if not text:
                yield ReplyEnd(timings={"empty_input": 1.0})
                continue
            turn = ResponderTurn(text, list(self.history()), self.instructions(), self.run_cpu)
            t0 = time.perf_counter()
            first_ms = None
            buf, first = "", True
            async for fragment in self.responder.reply(turn):
                if first_ms is None:
                    first_ms = (time.perf_counter() - t0) * 1000
                pieces, buf = take_pieces(buf + fragment, first, final=False)
                for piece in pieces:
                    first = False
                    yield ReplyText(piece)
            pieces, _ = take_pieces(buf, first, final=True)
            for piece in pieces:
                yield ReplyText(piece)
            timings = {"responder_ms": first_ms or 0.0}
            if isinstance(frame, Transcript):
                timings["asr_ms"] = frame.asr_ms
            yield ReplyEnd(end_call=turn.end_call, timings=timings)
