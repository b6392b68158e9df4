"""A real headless Chromium (Debian's package) driven by Playwright.

Browsers can't be downloaded here, so Playwright launches the system binary, each
launch with a fresh profile. Locally the browser tests skip when it is missing; under
CI they must run. Screenshots go to ``test-artifacts/browser/`` (gitignored; override
with ``BROWSER_ARTIFACTS``) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS")
                 or Path(__file__).resolve().parents[2] / "test-artifacts" / "browser")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("no Chromium installed")
    # Package scope: Playwright's sync API runs its own event loop in this thread, which
    # must be gone before the async tests of other packages start theirs.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def csp_refusals(page: Any) -> list[str]:
    """Every Content-Security-Policy refusal the page reports from now on (Chromium logs
    each as a console error), so a test can show the pages need nothing the policy
    forbids."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


# Markup injected into the page: an inline script and a style attribute. Returns whether
# the script ran and the width the style asked for took effect.
INJECT = """() => {
  const s = document.createElement("script");
  s.textContent = "window.__injected = 1";
  document.head.append(s);
  const box = document.createElement("div");
  box.innerHTML = '<span style="display:inline-block;width:123px">x</span>';
  document.body.append(box);
  const applied = getComputedStyle(box.firstChild).width === "123px";
  box.remove();
  return [window.__injected === 1, applied];
}"""


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
