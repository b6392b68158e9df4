"""The voice-cloning guide, run as written against a live server.

Every Python block and CLI line of ../shared/GUIDE-voice-cloning.txt runs unchanged, in
page order, in a scratch directory, with only PYAI_API_KEY and PYAI_BASE_URL set, and
must do what the page says it does. Substitutions, each forced by the page itself:

* ``ffmpeg`` runs verbatim when installed; otherwise the same trim (``-ss``/``-t``, mono,
  16-bit PCM, native rate) is done in Python on the same ``raw.wav``.
* the ``curl`` line's host ``https://api.pyai.com`` becomes the live server, and its
  placeholder ``voice_abc`` the id the CLI line printed (the page says to use it).

The guide lives outside this repository; when it is absent only these tests skip.
test_guide_flow.py runs the same calls written out in the test, and always runs.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pyai import PyAI
from tests.conftest import LiveServer
from tests.pyai import guide

GUIDE = Path(os.environ.get("PYAI_GUIDE", Path(__file__).resolve().parents[3] / "shared" / "GUIDE-voice-cloning.txt"))
GUIDE_HOST = "https://api.pyai.com"
PLACEHOLDER_ID = "voice_abc"
LEAD_IN_S = 4.0  # raw.wav starts with this much silence, which the guide's -ss cuts off


@pytest.fixture(scope="module")
def blocks() -> list[guide.Block]:
    if not GUIDE.is_file():
        pytest.skip(f"guide not present at {GUIDE}")
    return guide.load(GUIDE)


def _python(blocks: list[guide.Block]) -> list[guide.Block]:
    return [b for b in blocks if b.kind == "python"]


def _shell(blocks: list[guide.Block], command: str) -> list[str]:
    return [c for b in blocks if b.kind == "shell" for c in b.commands() if c.split()[0] == command]


def _write_raw(workdir: Path, clip_wav: bytes) -> None:
    """A raw recording as the guide imagines it: a lead-in, then the speech."""
    x, rate = sf.read(io.BytesIO(clip_wav), dtype="float32")
    # Silence after the speech too, so the guide's 10 s window fits a shorter clip.
    tail = max(0, int((LEAD_IN_S + 11.0) * rate) - int(LEAD_IN_S * rate) - len(x))
    raw = np.concatenate([np.zeros(int(LEAD_IN_S * rate), dtype=np.float32), x, np.zeros(tail, dtype=np.float32)])
    sf.write(workdir / "raw.wav", raw, rate, subtype="PCM_16")


def _run_ffmpeg_line(command: str, workdir: Path, env: dict[str, str]) -> None:
    if shutil.which("ffmpeg"):
        done = subprocess.run(command, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return
    opts = guide.ffmpeg_trim_args(command)
    x, rate = sf.read(workdir / opts["-i"], dtype="float32", always_2d=True)
    start = int(guide.seconds(opts.get("-ss", "0")) * rate)
    stop = start + int(guide.seconds(opts["-t"]) * rate) if "-t" in opts else len(x)
    mono = x[start:stop].mean(axis=1) if opts.get("-ac") == "1" else x[start:stop]
    assert opts.get("-c:a") == "pcm_s16le"
    sf.write(workdir / opts["output"], mono, rate, subtype="PCM_16")


def _prepare_reference(blocks: list[guide.Block], workdir: Path, clip_wav: bytes, env: dict[str, str]) -> None:
    (ffmpeg_line,) = _shell(blocks, "ffmpeg")
    _write_raw(workdir, clip_wav)
    _run_ffmpeg_line(ffmpeg_line, workdir, env)
    info = sf.info(workdir / "reference.wav")
    assert info.channels == 1 and abs(info.frames / info.samplerate - 10.0) < 0.05


@pytest.fixture
def workdir(tmp_path: Path, server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Scratch dir as cwd, and the two variables the guide reads; nothing else."""
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("PYAI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYAI_API_KEY", server.api_key)
    monkeypatch.setenv("PYAI_BASE_URL", server.base_url)
    return tmp_path


def _exec(block: guide.Block, namespace: dict[str, object]) -> None:
    exec(compile(block.code, f"{GUIDE.name}:{block.line}", "exec"), namespace)


def test_guide_has_the_blocks_this_test_runs(blocks: list[guide.Block]) -> None:
    python = _python(blocks)
    assert len(python) == 4, [b.line for b in python]
    assert "clones.create" in python[0].code
    assert "def wait_ready" in python[1].code
    assert 'response_format="wav"' in python[2].code
    assert 'response_format="mp3"' in python[3].code
    assert len(_shell(blocks, "ffmpeg")) == 1
    assert len(_shell(blocks, "pyai")) == 1
    assert len(_shell(blocks, "curl")) == 1


def test_guide_python_blocks_run_as_written(
    blocks: list[guide.Block], workdir: Path, speech_wav: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    _prepare_reference(blocks, workdir, speech_wav, dict(os.environ))
    enroll, wait, preview, synthesize = _python(blocks)
    ns: dict[str, object] = {"__name__": "__guide__"}

    _exec(enroll, ns)  # "It returns a Voice with an id and a status — typically pending"
    voice = ns["voice"]
    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"voice_\w+ pending", printed), printed
    assert printed == f"{voice.id} {voice.status}"  # type: ignore[attr-defined]

    _exec(wait, ns)  # "Poll ... until status flips to ready"; no SystemExit for a good clip
    assert ns["voice"].status == "ready"  # type: ignore[attr-defined]

    _exec(preview, ns)
    wav = sf.info(workdir / "preview.wav")
    assert wav.format == "WAV" and wav.frames / wav.samplerate > 1.0

    _exec(synthesize, ns)
    mp3 = (workdir / "confirmation.mp3").read_bytes()
    assert mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0)
    assert sf.info(workdir / "confirmation.mp3").duration > 1.0


def test_guide_rejects_a_narrowband_clip(blocks: list[guide.Block], workdir: Path, narrowband_wav: bytes) -> None:
    """'failed immediately; "insufficient bandwidth"': 8 kHz speech upsampled to 48 kHz."""
    _prepare_reference(blocks, workdir, narrowband_wav, dict(os.environ))
    assert sf.info(workdir / "reference.wav").samplerate == 48000  # looks wideband by header
    enroll, wait, *_ = _python(blocks)
    ns: dict[str, object] = {"__name__": "__guide__"}
    with contextlib.redirect_stdout(io.StringIO()):
        _exec(enroll, ns)
    with pytest.raises(SystemExit, match="Clip rejected"):
        _exec(wait, ns)
    voice = ns["voice"]
    assert voice.status == "failed"  # type: ignore[attr-defined]
    assert voice.failure.code == "insufficient_bandwidth"  # type: ignore[attr-defined]


def test_guide_cli_lines_run_as_written(
    blocks: list[guide.Block], workdir: Path, speech_wav: bytes, cli_env: dict[str, str], server: LiveServer
) -> None:
    _prepare_reference(blocks, workdir, speech_wav, cli_env)
    (enroll_line,) = _shell(blocks, "pyai")
    (curl_line,) = _shell(blocks, "curl")
    if not shutil.which("curl"):
        pytest.skip("curl not installed")

    done = subprocess.run(
        enroll_line, shell=True, cwd=workdir, env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    match = re.fullmatch(r"(voice_\w+) pending", done.stdout.strip())
    assert match, done.stdout
    voice_id = match.group(1)

    # "poll until ready, then:"
    with PyAI(api_key=server.api_key, base_url=server.base_url) as pyai:
        assert pyai.voice.clones.wait(voice_id, timeout=180).status == "ready"

    assert GUIDE_HOST in curl_line and PLACEHOLDER_ID in curl_line
    line = curl_line.replace(GUIDE_HOST, server.base_url).replace(PLACEHOLDER_ID, voice_id)
    done = subprocess.run(line, shell=True, cwd=workdir, env=cli_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    hello = sf.info(workdir / "hello.wav")  # "Play hello.wav"
    assert hello.format == "WAV" and hello.frames / hello.samplerate > 0.5
