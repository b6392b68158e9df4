"""Resolving a voice id to something synthesis can speak with, with an LRU of profiles.

The voice record is read from the store on every resolve (one cheap lookup), so a voice
deleted by any process stops working at once everywhere; only the decoded profile, which
never changes for a given id, is cached. The server's conversion options are handed out
beside the cached profile (:class:`voices.synthesis.ClonedVoice`), never written onto it.
Decoding a profile (decompression, ~10 ms) is a job of the CPU scheduler when there is
one, never work on the event loop.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent_server.errors import Conflict, NotFound
from agent_server.stores.base import Store
from voices.conversion_options import ConversionOptions

if TYPE_CHECKING:
    from agent_server.cpu import CpuScheduler
    from voices.profile import VoiceProfile
    from voices.synthesis import ClonedVoice

STOCK_VOICES = {"joe": "Joe (US English, Piper en_US-joe-medium)"}
# OpenAI's voice names, so unchanged OpenAI code runs: each speaks as a stock voice.
OPENAI_VOICE_ALIASES = {name: "joe" for name in (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse")}


def stock_voice(voice: str) -> str | None:
    """The stock voice ``voice`` names (itself or through an OpenAI alias), else None."""
    if voice in STOCK_VOICES:
        return voice
    return OPENAI_VOICE_ALIASES.get(voice)


@dataclass(frozen=True)
class ResolvedVoice:
    id: str
    clone: ClonedVoice | None  # None: the stock base voice


class ProfileCache:
    def __init__(self, store: Store, size: int = 64, options: ConversionOptions | None = None,
                 sched: CpuScheduler | None = None) -> None:
        self.store = store
        self.sched = sched
        self.size = size
        self.options = options or ConversionOptions()  # how every cloned voice is converted
        if self.options.caricature_from_average:
            from voices import prior

            prior.default()  # the average speaker is read (and checked) at start, not on a request
        self._items: OrderedDict[str, VoiceProfile] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def invalidate(self, voice_id: str) -> None:
        with self._lock:
            self._items.pop(voice_id, None)

    def _get(self, voice_id: str) -> VoiceProfile | None:
        with self._lock:
            prof = self._items.get(voice_id)
            if prof is not None:
                self._items.move_to_end(voice_id)
            return prof

    def _put(self, voice_id: str, prof: VoiceProfile) -> None:
        with self._lock:
            self._items[voice_id] = prof
            self._items.move_to_end(voice_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    async def resolve(self, tenant: str, voice: str) -> ResolvedVoice:
        """Raises NotFound (unknown, deleted, other tenant) or Conflict (not ready)."""
        stock = stock_voice(voice)
        if stock is not None:
            return ResolvedVoice(stock, None)
        doc = await self.store.get("voice", tenant, voice)
        if doc is None:
            self.invalidate(voice)
            raise NotFound(f"No voice '{voice}'. Use a stock voice ({', '.join(STOCK_VOICES)}) "
                           "or a ready clone id of your tenant.", code="voice_not_found")
        if doc["status"] != "ready":
            raise Conflict(f"Voice {voice} is {doc['status']}, not ready: wait until enrollment "
                           "finishes, or enroll a new clip if it failed.", code="voice_not_ready")
        prof = self._get(voice)
        if prof is None:
            self.misses += 1
            from voices.profile import VoiceProfile

            raw = await self.store.get_blob(f"profile/{voice}")
            if raw is None:
                raise NotFound(f"Voice {voice} has no profile; it may have just been deleted.",
                               code="voice_not_found")
            if self.sched is None:
                prof = VoiceProfile.from_bytes(raw)
            else:
                prof = await self.sched.run(self.sched.now(), "profile", VoiceProfile.from_bytes, raw)
            self._put(voice, prof)
        else:
            self.hits += 1
        from voices.synthesis import ClonedVoice

        return ResolvedVoice(voice, ClonedVoice(prof, self.options))
