"""The responder interface: the caller's words (and the conversation so far) in, the
agent's reply out as a stream of text, so speech can start before the reply is done."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


RunCpu = Callable[..., Awaitable[Any]]


async def _run_inline(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


@dataclass
class ResponderTurn:
    """One user turn. ``history`` holds earlier turns (oldest first), without this one.
    A responder sets ``end_call`` when the reply should close the conversation."""

    text: str
    history: list[Message] = field(default_factory=list)
    instructions: str = ""
    # Blocking work (embeddings) goes through this, the server's bounded CPU pool.
    run_cpu: RunCpu = _run_inline
    end_call: bool = False


class Responder(ABC):
    @abstractmethod
    def reply(self, turn: ResponderTurn) -> AsyncIterator[str]:
        """Yield the reply as text fragments (any size: words, sentences). Cancelling
        the iteration must stop all work (the caller barged in)."""

    def snapshot(self) -> object:
        """State to restore if a reply computed ahead of time (while the caller might
        still be talking) is thrown away; stateless responders return None."""
        return None

    def restore(self, state: object) -> None:  # noqa: B027 - stateless responders need nothing
        """Undo a discarded reply's effect on the responder's memory."""

    async def aclose(self) -> None:  # noqa: B027 - most responders hold nothing
        """Release connections; called once when the session ends."""
