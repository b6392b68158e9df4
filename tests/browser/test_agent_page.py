"""The newcomer's path in a real Chromium: sign in to the console, enroll a clip and see
it reach ready, build an agent with that voice and a knowledge text in the Agent Builder,
press Talk, and ask the agent (Chromium's fake microphone playing Piper speech) a
question whose answer is only in the knowledge text: the answer appears in the transcript
while the agent's audio arrives. Then the voice is deleted from the console (the
confirmation names the agent) and the agent page says why it can't call.

Chromium's fake capture device plays a WAV file as the microphone
(``--use-file-for-fake-audio-capture``), so this browser is launched here with that file
rather than taken from the shared ``browser`` fixture. The file holds silence while the
greeting plays, then the question, then silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import ARGS, CHROMIUM, csp_refusals, shot
from tests.conftest import LiveServer, wav_bytes
from tests.realtime.conftest import piper_speech

RATE = 48000
KNOWLEDGE = "We are open from nine to five on weekdays. Parking is free behind the building."


@pytest.fixture(scope="module")
def mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    question = piper_speech("Where can I park my car?", RATE)
    audio = np.concatenate([np.zeros(8 * RATE, np.float32), question, np.zeros(40 * RATE, np.float32)])
    path = tmp_path_factory.mktemp("mic") / "mic.wav"
    path.write_bytes(wav_bytes(audio, RATE))
    return path


def test_console_to_a_call(browser: Any, live_server: LiveServer, speech_wav: bytes, mic_wav: Path,
                           tmp_path: Path) -> None:
    clip = tmp_path / "reference.wav"
    clip.write_bytes(speech_wav)
    with_mic = _launch(browser, mic_wav)
    try:
        page = with_mic.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        refused = csp_refusals(page)
        page.goto(live_server.base_url + "/")
        page.get_by_label("API key").fill(live_server.api_key)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Voices").wait_for()

        page.get_by_label("Voice name").fill("Console voice")
        page.get_by_label("Audio file").set_input_files(str(clip))
        page.get_by_role("button", name="Enroll").click()
        card = page.locator("li.voice", has=page.get_by_role("heading", name="Console voice"))
        card.locator(".badge.pending").wait_for(timeout=10_000)  # shown at once, then polled
        card.locator(".badge.ready, .badge.failed").wait_for(timeout=120_000)
        assert card.get_attribute("data-status") == "ready", card.inner_text()
        report = card.locator("dl.report").inner_text()
        assert "Bandwidth" in report and "Speech length" in report and "good" in report
        voice_id = card.get_attribute("data-voice-id")
        card.get_by_role("button", name="Play Console voice").click()  # the preview, in the clone
        page.wait_for_function("() => document.getElementById('player').duration > 1", timeout=60_000)

        page.get_by_role("button", name="New agent").click()
        page.get_by_label("Agent name").fill("Front desk")
        page.get_by_label("Voice", exact=True).select_option(voice_id)
        page.get_by_label("Greeting").fill("Hi! How can I help?")
        page.get_by_label("Instructions").fill("Be brief.")
        page.get_by_label("Knowledge", exact=True).fill(KNOWLEDGE)
        page.get_by_role("button", name="Save agent").click()
        agent = page.locator("li.agent", has=page.get_by_role("heading", name="Front desk"))
        agent.wait_for()
        shot(page, "console-voice-ready-and-agent")

        agent.get_by_role("button", name="Talk").click()
        page.wait_for_url("**/agent.html?agent=agent_*")
        page.get_by_role("heading", name="Talk to Front desk").wait_for()
        assert page.is_hidden("#key")  # the console's key, no retyping
        page.get_by_role("button", name="Call").click()
        page.wait_for_selector("#transcript .agent:has-text('How can I help')", timeout=60_000)
        page.wait_for_selector("#transcript .user:has-text('park')", timeout=60_000)
        page.wait_for_selector("#transcript .agent:has-text('Parking is free behind the building')", timeout=60_000)
        page.wait_for_function("() => parseFloat(document.getElementById('level').dataset.peak || 0) > 0.05",
                               timeout=30_000)
        assert float(page.locator("#mic-level").get_attribute("data-peak") or 0) > 0.01
        assert not page.evaluate("() => document.getElementById('speaker').paused")
        shot(page, "agent-page-call")
        page.get_by_role("button", name="Hang up").click()
        page.wait_for_selector("#transcript .sys:has-text('Call ended')", timeout=10_000)
        assert page.locator("#state").get_attribute("data-state") == "idle"
        page.wait_for_timeout(200)
        levels = "() => ['level', 'mic-level'].map((id) => document.getElementById(id).value)"
        assert page.evaluate(levels) == [0, 0]
        assert page.is_enabled("#call")

        # Delete the voice from the console: the confirmation names the agent using it.
        page.get_by_role("link", name="← Console").click()
        card = page.locator("li.voice", has=page.get_by_role("heading", name="Console voice"))
        card.wait_for()
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        card.get_by_role("button", name="Delete Console voice").click()
        page.wait_for_selector("#msg.ok:has-text('Front desk')")
        assert "Front desk" in asked[0]
        agent = page.locator("li.agent", has=page.get_by_role("heading", name="Front desk"))
        agent.locator(".badge.deleted").wait_for()
        agent.get_by_role("button", name="Talk").click()
        page.wait_for_selector("#status.error:has-text('voice was deleted')")
        assert not page.is_enabled("#call")
        page.goto(live_server.base_url + "/agent.html?agent=agent_nope")
        page.wait_for_selector("#status.error:has-text('Agent not found')")
        assert errors == [] and refused == []  # agent.html too, its call and audio included
        page.close()
    finally:
        with_mic.close()


def test_barge_in_shows_the_reply_cut(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    """Talking over a long greeting: the agent stops, and its line is marked as cut."""
    import httpx

    # Long enough to still be playing when the user speaks, however late a loaded machine
    # starts it.
    greeting = ("Hello and thank you for calling the city museum information line. We are glad you called. "
                "Today I can tell you about opening hours, tickets, guided tours, the cafe, and our exhibitions. "
                "You can also ask me about parking, step free access, lockers, and visits for school groups.")
    r = httpx.post(f"{live_server.base_url}/v1/agents", headers=live_server.headers,
                   json={"name": "Chatty", "voice": "joe", "greeting": greeting}, timeout=30)
    words = piper_speech("Sorry to interrupt, I have a quick question.", RATE)
    mic = tmp_path / "barge.wav"
    # The fake microphone starts with the page, not with the call: on a loaded machine the
    # call may connect after the first question, so the user asks again every ~6 s and one
    # of the questions falls inside the greeting wherever it starts.
    gap = np.zeros(4 * RATE, np.float32)
    mic.write_bytes(wav_bytes(np.concatenate([np.zeros(7 * RATE, np.float32), *[words, gap] * 5,
                                              np.zeros(20 * RATE, np.float32)]), RATE))
    with_mic = _launch(browser, mic)
    try:
        page = with_mic.new_page()
        page.goto(f"{live_server.base_url}/agent.html?agent={r.json()['id']}")
        page.get_by_label("API key").fill(live_server.api_key)
        page.get_by_role("button", name="Call").click()
        cut = page.locator("#transcript .agent.cut")
        cut.wait_for(timeout=60_000)
        assert "cut off" in cut.inner_text() and "school groups" not in cut.inner_text()
        page.wait_for_selector("#transcript .user:has-text('question')", timeout=60_000)
        shot(page, "agent-page-barge-in")
        page.get_by_role("button", name="Hang up").click()
        page.close()
    finally:
        with_mic.close()


def test_agent_page_mic_denied(browser: Any, live_server: LiveServer) -> None:
    """Without the fake UI's automatic consent the microphone is denied: say so."""
    denied = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                         args=[a for a in ARGS if a != "--use-fake-ui-for-media-stream"])
    try:
        import httpx

        r = httpx.post(f"{live_server.base_url}/v1/agents", headers=live_server.headers,
                       json={"name": "Denied", "voice": "joe"}, timeout=30)
        page = denied.new_context(permissions=[]).new_page()
        page.goto(f"{live_server.base_url}/agent.html?agent={r.json()['id']}")
        page.get_by_label("API key").fill(live_server.api_key)
        page.get_by_role("button", name="Call").click()
        page.wait_for_selector("#status.error:has-text('Microphone')", timeout=20_000)
        assert page.is_enabled("#call")
        page.close()
    finally:
        denied.close()


def _launch(browser: Any, mic_wav: Path) -> Any:
    """A second Chromium from the same Playwright, with the WAV as its microphone.
    Local candidates as plain IPs: the server side (aiortc) can't resolve mDNS names."""
    return browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*ARGS, f"--use-file-for-fake-audio-capture={mic_wav}%noloop",
              "--disable-features=WebRtcHideLocalIpsWithMdns"],
    )
