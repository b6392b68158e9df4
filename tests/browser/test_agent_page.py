"""The agent page (static/agent.html) in a real Chromium: a WebRTC call to the live
server, with Piper speech as the microphone.

Chromium's fake capture device plays a WAV file as the microphone
(``--use-file-for-fake-audio-capture``), so this browser is launched here with that
file rather than taken from the shared ``browser`` fixture. The file holds silence
while the greeting plays, then a question, then silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.browser.conftest import ARGS, CHROMIUM
from tests.conftest import LiveServer, wav_bytes
from tests.realtime.conftest import AGENT_BODY, piper_speech

RATE = 48000


@pytest.fixture(scope="module")
def mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    question = piper_speech("When are you open?", RATE)
    audio = np.concatenate([np.zeros(6 * RATE, np.float32), question, np.zeros(30 * RATE, np.float32)])
    path = tmp_path_factory.mktemp("mic") / "mic.wav"
    path.write_bytes(wav_bytes(audio, RATE))
    return path


@pytest.fixture(scope="module")
def page_agent(live_server: LiveServer) -> str:
    r = httpx.post(f"{live_server.base_url}/v1/agents", headers=live_server.headers, json=AGENT_BODY, timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_agent_page_call(browser: Any, live_server: LiveServer, page_agent: str, mic_wav: Path) -> None:
    with_mic = _launch(browser, mic_wav)
    try:
        page = with_mic.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server.base_url}/agent.html?agent={page_agent}")
        page.fill("#key", live_server.api_key)
        page.click("#call")
        # The greeting: its transcript on the data channel, its sound on the track.
        page.wait_for_selector("#log .agent:has-text('thanks for calling')", timeout=60_000)
        page.wait_for_function("() => parseFloat(document.getElementById('level').dataset.peak || 0) > 0.05",
                               timeout=30_000)
        assert page.evaluate("() => !document.getElementById('speaker').paused")
        # The question from the fake microphone, transcribed, then answered.
        page.wait_for_selector("#log .user:has-text('open')", timeout=60_000)
        page.wait_for_selector("#log .agent:has-text('noon to ten')", timeout=60_000)
        page.click("#hangup")
        page.wait_for_selector("#log .sys:has-text('Call ended')", timeout=10_000)
        assert page.is_enabled("#call")
        assert errors == []
        page.close()
    finally:
        with_mic.close()


def test_agent_page_shows_server_errors(browser: Any, live_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.base_url}/agent.html?agent=agent_nope")
    page.fill("#key", live_server.api_key)
    page.click("#call")
    page.wait_for_selector("#log .sys:has-text('agent_nope')", timeout=15_000)
    assert page.is_enabled("#call")
    page.close()


def _launch(browser: Any, mic_wav: Path) -> Any:
    """A second Chromium from the same Playwright, with the WAV as its microphone.
    Local candidates as plain IPs: the server side (aiortc) can't resolve mDNS names."""
    return browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*ARGS, f"--use-file-for-fake-audio-capture={mic_wav}%noloop",
              "--disable-features=WebRtcHideLocalIpsWithMdns"],
    )
