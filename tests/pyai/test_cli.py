"""The ``pyai`` CLI against the live server: output shapes, ``--json`` and exit codes.

Most cases run in-process through typer's runner (fast, same code path as the console
script); one runs ``python -m pyai`` for real to prove the entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest
import soundfile as sf
from typer.testing import CliRunner, Result

from pyai import PyAI, Voice
from pyai.cli import app
from pyai.failures import FIXES
from tests.conftest import LiveServer


class Run(Protocol):
    def __call__(self, *args: str, env_overrides: dict[str, str | None] | None = None) -> Result: ...


@pytest.fixture
def run(server: LiveServer) -> Run:
    """Invoke the CLI with the key and URL in the environment, as a user would."""
    runner = CliRunner()
    env: dict[str, str | None] = {"PYAI_API_KEY": server.api_key, "PYAI_BASE_URL": server.base_url}

    def invoke(*args: str, env_overrides: dict[str, str | None] | None = None) -> Result:
        return runner.invoke(app, list(args), env={**env, **(env_overrides or {})}, catch_exceptions=False)

    return invoke


@pytest.fixture
def clip(tmp_path: Path, speech_wav: bytes) -> Path:
    path = tmp_path / "reference.wav"
    path.write_bytes(speech_wav)
    return path


@pytest.fixture
def narrowband_clip(tmp_path: Path, narrowband_wav: bytes) -> Path:
    path = tmp_path / "phone.wav"
    path.write_bytes(narrowband_wav)
    return path


def test_create_prints_id_and_status_on_one_line(run: Run, narrowband_clip: Path, client: PyAI) -> None:
    result = run("voice", "clones", "create", "--name", "Ava — brand voice", "--file", str(narrowband_clip))
    assert result.exit_code == 0, result.output
    voice_id, status = result.stdout.strip().split(" ")
    assert voice_id.startswith("voice_") and status == "pending"
    client.voice.clones.delete(voice_id)


def test_create_wait_shows_the_quality_report(run: Run, clip: Path) -> None:
    result = run("voice", "clones", "create", "--name", "cli ready", "--file", str(clip), "--wait")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    voice_id = lines[0].split()[0]
    assert lines[0] == f"{voice_id} pending"
    assert lines[1] == f"{voice_id} ready"
    assert "Quality report" in result.stdout
    assert "Effective bandwidth" in result.stdout and "Speakers" in result.stdout
    assert "Failure" not in result.stdout


def test_create_wait_on_a_rejected_clip_exits_1_with_the_fix(run: Run, narrowband_clip: Path) -> None:
    result = run("voice", "clones", "create", "--name", "cli phone", "--file", str(narrowband_clip), "--wait")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[1].endswith(" failed")
    assert "Quality report" in result.stdout
    assert "insufficient_bandwidth" in result.stdout
    assert "Evidence: effective_bandwidth_hz" in result.stdout and "limit 10000" in result.stdout
    assert FIXES["insufficient_bandwidth"] in result.stdout


def test_get_human_and_json(run: Run, failed_voice: Voice) -> None:
    result = run("voice", "clones", "get", failed_voice.id)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{failed_voice.id} failed"
    assert FIXES["insufficient_bandwidth"] in result.stdout
    as_json = run("voice", "clones", "get", failed_voice.id, "--json")
    doc = json.loads(as_json.stdout)
    assert doc["id"] == failed_voice.id
    assert doc["failure"]["code"] == "insufficient_bandwidth"
    assert doc["failure"]["evidence"]["measure"] == "effective_bandwidth_hz"
    assert doc["quality"]["effective_bandwidth_hz"] < 10_000
    # The global flag works too.
    assert json.loads(run("--json", "voice", "clones", "get", failed_voice.id).stdout)["id"] == failed_voice.id


def test_list_table_and_json(run: Run, ready_voice: Voice) -> None:
    table = run("voice", "clones", "list")
    assert table.exit_code == 0, table.output
    assert ready_voice.id in table.stdout  # whole, never truncated
    doc = json.loads(run("voice", "clones", "list", "--all", "--json").stdout)
    assert doc["object"] == "list" and doc["has_more"] is False
    assert ready_voice.id in [v["id"] for v in doc["data"]]


def test_delete_then_get_exits_1(run: Run, narrowband_clip: Path, client: PyAI) -> None:
    voice = client.voice.clones.create(name="cli delete", file=narrowband_clip)
    result = run("voice", "clones", "delete", voice.id)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{voice.id} deleted"
    missing = run("voice", "clones", "get", voice.id)
    assert missing.exit_code == 1
    assert "404" in missing.stderr
    err = json.loads(run("voice", "clones", "get", voice.id, "--json").stderr)
    assert err["error"]["status"] == 404 and err["error"]["code"]


def test_speech_to_file(run: Run, tmp_path: Path, ready_voice: Voice) -> None:
    out = tmp_path / "hello.wav"
    result = run(
        "audio", "speech", "--input", "Hello in my own voice.", "--voice", ready_voice.id, "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    assert sf.info(out).duration > 0.5
    assert not (tmp_path / "hello.wav.part").exists()
    mp3 = tmp_path / "hello.mp3"
    doc = json.loads(
        run(
            "audio", "speech", "--input", "Hello.", "--voice", "joe", "--format", "mp3",
            "--speed", "1.5", "--output", str(mp3), "--json",
        ).stdout
    )  # fmt: skip
    assert doc["bytes"] == mp3.stat().st_size > 0 and doc["format"] == "mp3"


def test_speech_error_leaves_no_file(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "nope.wav"
    result = run("audio", "speech", "--input", "Hi.", "--voice", "voice_doesnotexist", "--output", str(out))
    assert result.exit_code == 1
    assert not out.exists() and not (tmp_path / "nope.wav.part").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("audio", "speech", "--input", "x", "--voice", "joe", "--output", "o.wav", "--format", "aiff"),
        ("audio", "speech", "--input", "x", "--voice", "joe", "--output", "o.wav", "--speed", "9"),
        ("voice", "clones", "create", "--file", "reference.wav"),
        ("voice", "clones", "create", "--name", "x", "--file", "/does/not/exist.wav"),
        ("agents", "create", "--json-body", "{not json"),
        ("agents", "update", "agent_x"),
        ("agents", "create", "--name", "x", "--intent", "no arrow here"),
        ("agents", "create", "--name", "x", "--knowledge", "@/does/not/exist.txt"),
        ("voice", "clones", "frobnicate"),
    ],
)
def test_usage_errors_exit_2(run: Run, args: tuple[str, ...]) -> None:
    assert run(*args).exit_code == 2


def test_missing_key_exits_2_and_bad_key_exits_1(run: Run) -> None:
    assert run("voice", "clones", "list", env_overrides={"PYAI_API_KEY": None}).exit_code == 2
    bad = run("voice", "clones", "list", env_overrides={"PYAI_API_KEY": "sk-wrong"})
    assert bad.exit_code == 1
    assert "401" in bad.stderr


def test_global_options_override_the_environment(run: Run, server: LiveServer) -> None:
    result = run(
        "--api-key", server.api_key, "--base-url", server.base_url + "/v1", "voice", "clones", "list", "--json",
        env_overrides={"PYAI_API_KEY": "sk-wrong", "PYAI_BASE_URL": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["object"] == "list"


def test_agents_commands(run: Run, tmp_path: Path) -> None:
    created = run(
        "agents", "create", "--name", "CLI agent", "--voice", "joe", "--greeting", "Hello!",
        "--instructions", "Be brief.", "--json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    agent = json.loads(created.stdout)
    assert (agent["name"], agent["voice"], agent["greeting"]) == ("CLI agent", "joe", "Hello!")

    shown = run("agents", "get", agent["id"])
    assert shown.exit_code == 0 and shown.stdout.startswith(f"{agent['id']} CLI agent")
    assert agent["id"] in run("agents", "list").stdout

    body = tmp_path / "agent.json"
    body.write_text(json.dumps({"turn_detection": {"silence_duration_ms": 900}, "greeting": "From file"}))
    updated = json.loads(
        run("agents", "update", agent["id"], "--json-body", f"@{body}", "--name", "Renamed", "--json").stdout
    )
    assert updated["name"] == "Renamed" and updated["greeting"] == "From file"
    assert updated["turn_detection"]["silence_duration_ms"] == 900
    assert updated["instructions"] == "Be brief."

    from_body = run("agents", "create", "--json-body", json.dumps({"name": "Body only", "greeting": "Hey"}), "--json")
    assert from_body.exit_code == 0, from_body.output
    second = json.loads(from_body.stdout)
    assert (second["name"], second["greeting"]) == ("Body only", "Hey")

    for agent_id in (agent["id"], second["id"]):
        deleted = run("agents", "delete", agent_id)
        assert deleted.exit_code == 0 and deleted.stdout.strip() == f"{agent_id} deleted"
    assert run("agents", "get", agent["id"]).exit_code == 1


def test_agents_knowledge_and_intents(run: Run, tmp_path: Path) -> None:
    facts = tmp_path / "facts.txt"
    facts.write_text("We are open from nine to five on weekdays.\nParking is free behind the building.\n")
    created = run(
        "agents", "create", "--name", "Desk", "--knowledge", f"@{facts}",
        "--intent", "can I book | I want an appointment -> Call us to book.",
        "--intent", "goodbye->Bye!", "--json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    agent = json.loads(created.stdout)
    assert agent["knowledge"] == facts.read_text()
    assert [(i["examples"], i["answer"]) for i in agent["responder"]["intents"]] == [
        (["can I book", "I want an appointment"], "Call us to book."), (["goodbye"], "Bye!")]
    updated = json.loads(run("agents", "update", agent["id"], "--knowledge", "Inline text.",
                             "--intent", "hi -> Hello.", "--json").stdout)
    assert updated["knowledge"] == "Inline text." and len(updated["responder"]["intents"]) == 1
    shown = run("agents", "get", agent["id"]).stdout
    assert "Knowledge" in shown and "12 characters" in shown
    assert run("agents", "delete", agent["id"]).exit_code == 0


def test_python_dash_m_entry_point(cli_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "pyai", "--version"], env=cli_env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("pyai ")
    listed = subprocess.run(["pyai", "voice", "clones", "list", "--json"], env=cli_env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["object"] == "list"
