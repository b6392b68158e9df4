"""Fixtures for the SDK and CLI tests: a real server, a client for it, real clips.

The server is the shared ``live_server`` (tests/conftest.py: a real ``agent-server
serve`` process on a temp data dir). Clips are the shared Piper speech fixtures.
Voices that several tests only read are enrolled once per session, because each
enrollment costs seconds of CPU on a 2-core machine.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyai import PyAI, Voice
from tests.conftest import LiveServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ENROLL_TIMEOUT_S = 180.0


@pytest.fixture(scope="session")
def server(live_server: LiveServer) -> LiveServer:
    """The shared live server (``.base_url``, ``.api_key``, ``.create_key``)."""
    return live_server


@pytest.fixture(scope="session")
def client(server: LiveServer) -> Iterator[PyAI]:
    with PyAI(api_key=server.api_key, base_url=server.base_url) as pyai:
        yield pyai


@pytest.fixture(scope="session")
def ready_voice(client: PyAI, speech_wav: bytes) -> Voice:
    """A clone of clean wideband speech, enrolled and ready."""
    voice = client.voice.clones.create(name="pyai ready", file=speech_wav)
    voice = client.voice.clones.wait(voice.id, timeout=ENROLL_TIMEOUT_S, poll_interval=0.3)
    assert voice.status == "ready", voice
    return voice


@pytest.fixture(scope="session")
def failed_voice(client: PyAI, narrowband_wav: bytes) -> Voice:
    """A clone of 8 kHz speech upsampled to 48 kHz: must fail the bandwidth gate."""
    voice = client.voice.clones.create(name="pyai narrowband", file=narrowband_wav)
    voice = client.voice.clones.wait(voice.id, timeout=ENROLL_TIMEOUT_S, poll_interval=0.3)
    assert voice.status == "failed", voice
    return voice


@pytest.fixture(scope="session")
def pyai_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a ``pyai`` executable, so CLI lines run verbatim in a shell.

    Until pyproject declares the console script this runs ``python -m pyai``; it uses
    this interpreter, so it works without installing the package.
    """
    bin_dir = tmp_path_factory.mktemp("bin")
    shim = bin_dir / "pyai"
    shim.write_text(
        f'#!/bin/sh\nPYTHONPATH="{REPO_ROOT}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{sys.executable}" -m pyai "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir


@pytest.fixture
def cli_env(server: LiveServer, pyai_bin: Path) -> dict[str, str]:
    """Environment for CLI subprocesses: key and URL from env only, as the guide says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYAI_")}
    env["PYAI_API_KEY"] = server.api_key
    env["PYAI_BASE_URL"] = server.base_url
    env["PATH"] = f"{pyai_bin}{os.pathsep}{env.get('PATH', '')}"
    return env
