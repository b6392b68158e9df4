"""What a session hands its transport, in order, through one queue: server events,
reply audio, playback marks and the close.

Typed rather than tagged tuples so a transport matches on the message's class and a
message's fields are checked. Audio and marks name their reply, so a barge-in can take
the unsent ones of that reply out of the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class EventOut:
    """A server event (built by :class:`agent_server.realtime.protocol.ServerEvents`)."""

    event: dict[str, Any]


@dataclass(frozen=True)
class AudioOut:
    """A piece of reply audio, float32 mono 24 kHz. ``event_id``: the id its
    ``response.output_audio.delta`` carries where audio rides events; ``on_sent`` is told
    how many samples went out, for the transcript of what the caller heard."""

    response_id: str
    item_id: str
    event_id: str
    audio: np.ndarray
    on_sent: Callable[[int], None]


@dataclass(frozen=True)
class MarkOut:
    """All audio of one reply piece (a sentence or clause) before this has been sent."""

    response_id: str
    name: str


@dataclass(frozen=True)
class CloseOut:
    """End the connection once everything before it has been sent."""

    reason: str
    code: int = 1000


Outbound = EventOut | AudioOut | MarkOut | CloseOut
