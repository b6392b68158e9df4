"""The console page in a real Chromium: enroll a clip, watch it go ready, speak with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import LiveServer


def test_console_enrolls_and_speaks(browser: Any, live_server: LiveServer, speech_wav: bytes, tmp_path: Path) -> None:
    clip = tmp_path / "reference.wav"
    clip.write_bytes(speech_wav)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.base_url + "/")
    page.fill("#key", live_server.api_key)
    page.dispatch_event("#key", "change")
    page.fill("#name", "Console voice")
    page.set_input_files("#file", str(clip))
    page.click("#enroll")
    page.wait_for_selector("#msg:has-text('pending')", timeout=30_000)
    row = page.locator("#voices tr", has_text="Console voice").first
    row.locator("td.ready, td.failed").wait_for(timeout=120_000)
    assert row.locator("td.ready").count() == 1, row.inner_text()
    voice_id = row.locator("td").first.inner_text()
    page.select_option("#voice", voice_id)
    page.click("#speak")
    page.wait_for_function(
        "() => { const a = document.getElementById('player'); return a.src && a.duration > 1; }", timeout=60_000
    )
    # A bad key shows the server's message instead of failing silently.
    page.fill("#key", "sk-wrong-key-wrong-key-wrong")
    page.dispatch_event("#key", "change")
    page.wait_for_selector("#msg:has-text('Invalid')", timeout=10_000)
    assert errors == []
    page.close()
