"""Turn-taking with server VAD: what each VAD event means for the conversation.

::

    speech started ─► the user's item begins; a reply being spoken is cut (barge-in)
    speech paused  ─► start answering now, but hold the answer (speculate)
    speech resumed ─► the pause was not the end: throw the held answer away (discard)
    speech stopped ─► the turn is closed (commit); the held answer is used if it was
                      started for this very turn, else one is started now
    held answer's transcript reads as a finished sentence, a shorter silence
                   ─► the session closes the turn early (:mod:`.endpointing`), a
                      speech stopped like the one above

A plain object: it turns :mod:`.stages.vad` events into :data:`Decision` values and
keeps only which user item is open and which turn a held answer belongs to. The
session carries the decisions out (events to the client, replies through
:class:`.runner.ReplyRunner`), so the rules above are tested without audio, models or
a network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent_server.ids import new_id
from agent_server.realtime.endpointing import TurnEndPredictor
from agent_server.realtime.stages.vad import SpeechPaused, SpeechResumed, SpeechStarted, SpeechStopped, VadEvent


@dataclass(frozen=True)
class UserStarted:
    """``input_audio_buffer.speech_started``; cut the reply being spoken, if any."""

    item_id: str
    audio_start_ms: int


@dataclass(frozen=True)
class Speculate:
    """Start answering the turn so far and hold the answer; it is due in ``slack_s``
    (when the silence would close the turn)."""

    turn_id: int
    audio: np.ndarray
    slack_s: float


@dataclass(frozen=True)
class Discard:
    """Throw the held answer away."""


@dataclass(frozen=True)
class Commit:
    """The user's turn is over: ``speech_stopped`` and ``committed`` for ``item_id``;
    ``speculated``: the held answer was started for this turn and is the reply."""

    turn_id: int
    item_id: str
    audio: np.ndarray
    audio_end_ms: int
    speculated: bool


Decision = UserStarted | Speculate | Discard | Commit


class TurnTaking:
    def __init__(self, predictor: TurnEndPredictor | None = None) -> None:
        """``predictor``: ends turns before the full silence; None waits it out always."""
        self.user_item: str | None = None  # the item of the speech in progress
        self.held_turn: int | None = None  # the turn a held answer was started for
        self.predictor = predictor

    def ends_early(self, turn_id: int | None, transcript: str | None, quiet_ms: float, full_silence_ms: int) -> bool:
        """Close the paused turn ``turn_id`` now: its held answer's transcript reads as
        finished and the silence has lasted long enough for that."""
        return (self.predictor is not None and turn_id is not None and self.held_turn == turn_id
                and self.predictor.ends(transcript, quiet_ms, full_silence_ms))

    def on_vad(self, ev: VadEvent, *, may_speculate: bool, slack_s: float = 0.0) -> list[Decision]:
        """``may_speculate``: the CPU has room for work that may be thrown away."""
        if isinstance(ev, SpeechStarted):
            self.user_item = new_id("item")
            return [UserStarted(self.user_item, ev.audio_start_ms)]
        if isinstance(ev, SpeechPaused):
            out: list[Decision] = [self._discard()]
            # Speculation spends CPU on turns that may go on; with urgent work already
            # waiting it would only delay replies that callers are waiting for.
            if may_speculate:
                self.held_turn = ev.turn_id
                out.append(Speculate(ev.turn_id, ev.audio, slack_s))
            return out
        if isinstance(ev, SpeechResumed):
            return [self._discard()]
        if isinstance(ev, SpeechStopped):
            speculated = self.held_turn == ev.turn_id
            self.held_turn = None
            return [Commit(ev.turn_id, self.take_item(), ev.audio, ev.audio_end_ms, speculated)]
        return []

    def _discard(self) -> Discard:
        self.held_turn = None
        return Discard()

    def take_item(self) -> str:
        """The open user item (or a new one), now closed: a commit by hand uses it too."""
        item, self.user_item = self.user_item or new_id("item"), None
        return item

    def reset(self) -> Discard:
        """The buffer was committed or cleared by hand: any held answer goes."""
        return self._discard()
