"""A real server (uvicorn on a free port, real store, real models) shared by the
realtime tests, plus speech made in code with Piper."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest


@dataclass
class LiveServer:
    base_url: str
    api_key: str
    data_dir: Path
    app: Any = None  # the in-process app, for reading and tuning its realtime resources

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"authorization": f"Bearer {self.api_key}"}, timeout=30)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def rt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from agent_server.app import create_app
    from agent_server.config import load_settings

    data = tmp_path_factory.mktemp("rt-data")
    settings = load_settings(env={}, data_dir=str(data), limits={"max_realtime_sessions": 6})
    app = create_app(settings, run_worker=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 120
    key_file = data / "bootstrap-key.txt"
    while time.time() < deadline:
        if server.started and key_file.exists() and app.state.ctx.models_ready:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("server did not start")
    from agent_server.responders import embeddings

    embeddings.wait_ready(120)
    yield LiveServer(f"http://127.0.0.1:{port}", key_file.read_text().strip(), data, app)
    server.should_exit = True
    thread.join(10)


def piper_speech(text: str, rate: int = 24000) -> np.ndarray:
    """Speech made in code: Piper reads ``text``; float32 mono at ``rate``."""
    from voices.audio_io import resample
    from voices.models import piper

    voice = piper()
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text)])
    return resample(audio.astype(np.float32), voice.config.sample_rate, rate)


_SPEECH: dict[tuple[str, int], np.ndarray] = {}


@pytest.fixture(scope="session")
def speech() -> object:
    def make(text: str, rate: int = 24000) -> np.ndarray:
        if (text, rate) not in _SPEECH:
            _SPEECH[(text, rate)] = piper_speech(text, rate)
        return _SPEECH[(text, rate)]

    return make


AGENT_BODY = {
    "name": "Bistro",
    "voice": "joe",
    "greeting": "Hello, thanks for calling.",
    "instructions": "You are the phone agent of a small bistro.",
    "responder": {
        "type": "knowledge",
        "intents": [
            {"name": "hours", "examples": ["when are you open", "what are your opening hours"],
             "answer": "We are open from noon to ten every day."},
            {"name": "book", "examples": ["I would like to book a table", "can I reserve a table"],
             "answer": "Booked: a table for {number} on {date} at {time}.",
             "ask": {"number": "For how many people?"}},
        ],
        "fallback": "Sorry, I can help with opening hours and bookings.",
        "end_call": {"examples": ["goodbye", "that is all thank you"], "answer": "Goodbye!"},
    },
}


@pytest.fixture(scope="session")
def agent_id(rt_server: LiveServer) -> str:
    with rt_server.client() as c:
        r = c.post("/v1/agents", json=AGENT_BODY)
        assert r.status_code == 201, r.text
        return r.json()["id"]


@pytest.fixture(scope="session")
def chatty_agent(rt_server: LiveServer) -> str:
    """An agent whose greeting (~12 s) is long enough to talk over."""
    body = {**AGENT_BODY, "name": "Chatty", "greeting": (
        "Hello and welcome to the bistro. Today we have a long list of specials, starting with a slow cooked "
        "vegetable soup, followed by grilled fish with lemon butter, and finally a chocolate tart.")}
    with rt_server.client() as c:
        r = c.post("/v1/agents", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def run(coro: object) -> object:
    return asyncio.get_event_loop().run_until_complete(coro)  # type: ignore[arg-type]
