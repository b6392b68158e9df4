"""Models are warmed before /readyz says ready, so the first enrollment and the first
question to an agent don't pay for lazy initialisation (measured: the first enrollment
took ~1.8x the next ones before; docs/BENCHMARKS.md)."""

from __future__ import annotations

from agent_server.app import _preload
from agent_server.config import load_settings


def test_preload_computes_what_every_enrollment_shares() -> None:
    from agent_server.responders import embeddings
    from voices import profile

    _preload(load_settings(env={}))
    assert profile._generic_cache, "the base voice's generic statistics are computed at start"
    assert embeddings.model() is not None, "the sentence-embedding model is loaded at start"
