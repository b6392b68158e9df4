"""Shared fixtures: real servers on temp dirs, real Redis, speech made by Piper.

Everything here is generated in code so the suite passes without ../shared.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

REDIS_TEST_URL = os.environ.get("AGENT_SERVER_TEST_REDIS", "redis://127.0.0.1:6379/13")

SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the quiet river bank. "
    "We spent the afternoon reading old letters and drinking warm tea by the window. "
    "Tomorrow morning the train leaves early, so please remember to pack your bags tonight."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def piper_speech(text: str = SENTENCES) -> tuple[np.ndarray, int]:
    """Piper speech made genuinely wideband (see :mod:`voices.demo_clip`), at 44.1 kHz."""
    from voices.demo_clip import demo_speech

    return demo_speech(text)


def wav_bytes(x: np.ndarray, rate: int, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, rate, subtype=subtype, format="WAV")
    return buf.getvalue()


@pytest.fixture(scope="session")
def speech_clip() -> tuple[np.ndarray, int]:
    """~12 s of clean wideband English speech (Piper joe, band-extended, 44.1 kHz)."""
    return piper_speech()


@pytest.fixture(scope="session")
def speech_wav(speech_clip: tuple[np.ndarray, int]) -> bytes:
    x, sr = speech_clip
    return wav_bytes(x, sr)


@pytest.fixture(scope="session")
def narrowband_wav(speech_clip: tuple[np.ndarray, int]) -> bytes:
    """The same speech as a telephone capture (8 kHz) upsampled to look like 48 kHz."""
    from voices.demo_clip import telephone

    return wav_bytes(*telephone(*speech_clip))


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


def require_redis() -> None:
    if redis_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"Redis at {REDIS_TEST_URL} is required in CI")
    pytest.skip(f"Redis at {REDIS_TEST_URL} not reachable")


def flush_redis(url: str = REDIS_TEST_URL) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@dataclass
class LiveServer:
    base_url: str
    api_key: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    env: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agent_server", *args], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def create_key(self, tenant: str, scopes: str) -> str:
        out = self.cli("keys", "create", "--tenant", tenant, "--scopes", scopes)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1]


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_SERVER_") and k != "REDIS_URL"}
    env.update({"AGENT_SERVER_DATA_DIR": str(data_dir), "AGENT_SERVER_WORKER__POLL_INTERVAL_S": "0.2"})
    env.update(extra_env or {})
    log = open(data_dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent_server", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text())
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not become ready:\n" + (data_dir / "server.log").read_text())
    key_file = data_dir / "bootstrap-key.txt"
    key = key_file.read_text().strip() if key_file.exists() else ""
    return LiveServer(base, key, data_dir, proc, env)


def stop_server(server: LiveServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(15)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real `agent-server serve` process on the embedded store, for the session."""
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    stop_server(server)


def wait_status(server: LiveServer, voice_id: str, timeout: float = 120.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = httpx.get(f"{server.base_url}/v1/voice/clones/{voice_id}", headers=server.headers)
        r.raise_for_status()
        if r.json()["status"] != "pending":
            return r.json()
        time.sleep(0.3)
    raise TimeoutError(voice_id)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Running zero tests is a failure, never a silent pass (pytest's exit code 5 is
    easy to swallow in scripts)."""
    if session.testscollected == 0:
        session.exitstatus = 1
