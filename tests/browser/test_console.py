"""The console in a real Chromium: sign in, a rejected clip's reason and fix, bad input
(a non-audio file, a short recording, an empty agent name, an over-long knowledge text,
a key without the scope), a wrong key clearing the page, and the phone-width layout.
The happy path (a clip reaching ready, an agent built and called) is test_agent_page.
All of it under the console's strict Content-Security-Policy: the page needs nothing it
refuses, and markup injected into it neither runs script nor applies style."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import INJECT, csp_refusals, shot
from tests.conftest import LiveServer


def sign_in(page: Any, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_console_failures_and_bad_input(browser: Any, live_server: LiveServer, narrowband_wav: bytes,
                                        tmp_path: Path) -> None:
    clip = tmp_path / "phone.wav"
    clip.write_bytes(narrowband_wav)
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio at all")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    refused = csp_refusals(page)
    page.goto(live_server.base_url + "/")

    sign_in(page, "sk-wrong-key-wrong-key-wrong")
    page.wait_for_selector("#msg.error:has-text('not accepted')", timeout=10_000)
    assert page.is_hidden("#workspace")

    sign_in(page, live_server.api_key)
    page.get_by_role("heading", name="Voices").wait_for()
    page.get_by_role("heading", name="Agents").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('agent-server-key')") == live_server.api_key
    assert page.evaluate("() => localStorage.length") == 0

    # Not audio, or far too big: refused in the page, nothing uploaded.
    page.get_by_label("Audio file").set_input_files(str(notes))
    page.wait_for_selector("#enroll-msg.error:has-text('not an audio file')")
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as f:
        f.truncate(26 * 1024 * 1024)
    page.get_by_label("Audio file").set_input_files(str(huge))
    page.wait_for_selector("#enroll-msg.error:has-text('the limit is 25 MB')")
    page.get_by_role("button", name="Enroll").click()
    page.wait_for_selector("#enroll-msg.error:has-text('Choose an audio file')")
    # A recording shorter than 6 s (Chromium's fake microphone): refused in the page.
    page.get_by_role("button", name="Record").click()
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("#enroll-msg.error:has-text('at least 6 s')")
    assert page.locator("#rec-level").evaluate("m => m.value") == 0

    # A narrowband clip: failed, with the code, message, evidence and the guide's fix, and
    # its quality report marks the measurement that decided.
    page.get_by_label("Voice name").fill("Phone clip")
    page.get_by_label("Audio file").set_input_files(str(clip))
    page.get_by_role("button", name="Enroll").click()
    card = page.locator("li.voice", has=page.get_by_role("heading", name="Phone clip"))
    card.locator(".badge.failed").wait_for(timeout=120_000)
    text = card.inner_text()
    assert "insufficient_bandwidth" in text and "Fix:" in text and "wideband" in text
    voice_id = card.get_attribute("data-voice-id")
    failure = httpx.get(f"{live_server.base_url}/v1/voice/clones/{voice_id}", headers=live_server.headers).json()
    assert failure["failure"]["evidence"]["measure"] == "effective_bandwidth_hz"
    assert "Evidence:" in text and "effective_bandwidth_hz" in text
    report = card.locator("dl.report").inner_text()
    assert "Bandwidth" in report and "bad" in report
    shot(page, "console-failed-clip")

    # Agent Builder bad input: nothing is saved.
    before = httpx.get(f"{live_server.base_url}/v1/agents?limit=100", headers=live_server.headers).json()["data"]
    page.get_by_role("button", name="New agent").click()
    page.get_by_role("button", name="Save agent").click()
    page.wait_for_selector("#agent-form-msg.error:has-text('Give the agent a name')")
    page.get_by_label("Agent name").fill("Too much")
    page.get_by_label("Knowledge", exact=True).fill("All work and no play. " * 2000)
    page.get_by_role("button", name="Save agent").click()
    page.wait_for_selector("#agent-form-msg.error:has-text('limit is 32768')")
    after = httpx.get(f"{live_server.base_url}/v1/agents?limit=100", headers=live_server.headers).json()["data"]
    assert len(after) == len(before)
    voices = httpx.get(f"{live_server.base_url}/v1/voice/clones?limit=100", headers=live_server.headers).json()
    assert [v["name"] for v in voices["data"]].count("huge") == 0

    # A key without agents:write: the server's refusal is shown, the form stays.
    reader = live_server.create_key("default", "voice:read,agents:read")
    page.get_by_role("button", name="Sign out").click()
    assert page.evaluate("() => sessionStorage.getItem('agent-server-key')") is None
    sign_in(page, reader)
    page.get_by_role("heading", name="Agents").wait_for()
    page.get_by_role("button", name="New agent").click()
    page.get_by_label("Agent name").fill("Read only")
    page.get_by_role("button", name="Save agent").click()
    page.wait_for_selector("#agent-form-msg.error:has-text('agents:write')")

    # A wrong key clears what the previous key showed.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sk-another-wrong-key-0000000")
    page.wait_for_selector("#msg.error:has-text('not accepted')")
    assert page.locator("li.voice").count() == 0 and page.is_hidden("#workspace")
    shot(page, "console-wrong-key")

    # Phone width: the page still reads (no horizontal scrolling).
    sign_in(page, live_server.api_key)
    page.get_by_role("heading", name="Voices").wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "console-phone-width")
    assert errors == [] and refused == []

    assert page.evaluate(INJECT) == [False, False]
    assert len(refused) >= 2  # both refusals reported: the empty list above was watched
    page.close()
