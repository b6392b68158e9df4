"""The voice-cloning guide's journey, written out here so it runs without ../shared.

Same calls, same order, same promises as the guide (test_guide.py runs the page's own
text when it is present): enroll a 10 s reference clip, see ``<id> pending``, poll
every 2 s until ready, preview as WAV, synthesize as MP3, do the same from the CLI and
with a plain HTTP client, and watch an upsampled telephone clip fail on bandwidth.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import soundfile as sf

from pyai import PyAI, Voice
from tests.conftest import LiveServer


def _reference(clip_wav: bytes, path: Path, seconds: float = 10.0) -> Path:
    """A trimmed, mono, 16-bit clip at the source's own rate (what the guide's ffmpeg makes)."""
    x, rate = sf.read(io.BytesIO(clip_wav), dtype="float32")
    sf.write(path, x[: int(seconds * rate)], rate, subtype="PCM_16")
    return path


def _poll(pyai: PyAI, voice_id: str, timeout: float = 180.0) -> Voice:
    deadline = time.time() + timeout
    while time.time() < deadline:
        voice = pyai.voice.clones.get(voice_id)
        if voice.status in ("ready", "failed"):
            return voice
        time.sleep(2)
    raise TimeoutError(voice_id)


@pytest.fixture
def env_only(server: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("PYAI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYAI_API_KEY", server.api_key)
    monkeypatch.setenv("PYAI_BASE_URL", server.base_url)
    return tmp_path


def test_enroll_poll_preview_synthesize(env_only: Path, speech_wav: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    reference = _reference(speech_wav, env_only / "reference.wav")
    pyai = PyAI(api_key=os.environ["PYAI_API_KEY"])  # base URL from PYAI_BASE_URL

    with reference.open("rb") as f:
        voice = pyai.voice.clones.create(name="Ava — brand voice", file=f)
    print(voice.id, voice.status)
    assert re.fullmatch(r"voice_\w+ pending", capsys.readouterr().out.strip())

    voice = _poll(pyai, voice.id)
    assert voice.status == "ready", voice.failure

    preview = pyai.audio.speech(
        input="Hi! This is a preview of my cloned voice.", voice=voice.id, response_format="wav"
    )
    (env_only / "preview.wav").write_bytes(preview)
    assert sf.info(env_only / "preview.wav").duration > 1.0

    confirmation = pyai.audio.speech(
        input="Your appointment is confirmed for Thursday at 2 PM.", voice=voice.id, response_format="mp3"
    )
    (env_only / "confirmation.mp3").write_bytes(confirmation)
    assert sf.info(env_only / "confirmation.mp3").duration > 1.0

    # "Manage your clones any time": list shows it, delete removes it everywhere.
    assert voice.id in [v.id for v in pyai.voice.clones.list()]
    assert pyai.voice.clones.delete(voice.id).deleted


def test_upsampled_telephone_clip_is_rejected(env_only: Path, narrowband_wav: bytes) -> None:
    reference = _reference(narrowband_wav, env_only / "reference.wav")
    assert sf.info(reference).samplerate == 48000  # the header claims full band
    pyai = PyAI(api_key=os.environ["PYAI_API_KEY"])
    with reference.open("rb") as f:
        voice = pyai.voice.clones.create(name="Phone call", file=f)
    voice = _poll(pyai, voice.id)
    assert voice.status == "failed"
    assert voice.failure is not None and voice.failure.code == "insufficient_bandwidth"
    assert voice.quality is not None and (voice.quality.effective_bandwidth_hz or 0) < 10_000


def test_cli_enroll_then_plain_http_speech(
    env_only: Path, speech_wav: bytes, cli_env: dict[str, str], server: LiveServer
) -> None:
    _reference(speech_wav, env_only / "reference.wav")
    done = subprocess.run(
        ["pyai", "voice", "clones", "create", "--name", "Ava — brand voice", "--file", "reference.wav"],
        cwd=env_only,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    match = re.fullmatch(r"(voice_\w+) pending", done.stdout.strip())
    assert match, done.stdout
    voice_id = match.group(1)
    with PyAI(api_key=server.api_key, base_url=server.base_url) as pyai:
        assert _poll(pyai, voice_id).status == "ready"

    body = f'{{"input":"Hello in my own voice.","voice":"{voice_id}"}}'
    url = f"{server.base_url}/v1/audio/speech"
    if shutil.which("curl"):
        cmd = [
            "curl", "-sS", url, "-H", f"Authorization: Bearer {server.api_key}",
            "-H", "Content-Type: application/json", "-d", body, "--output", "hello.wav",
        ]  # fmt: skip
        subprocess.run(cmd, cwd=env_only, check=True, timeout=120)
    else:
        r = httpx.post(url, content=body, headers={**server.headers, "Content-Type": "application/json"}, timeout=120)
        (env_only / "hello.wav").write_bytes(r.content)
    assert sf.info(env_only / "hello.wav").duration > 0.5
