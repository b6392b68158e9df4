"""Client-side logic that needs no server: parsing tolerance, config, uploads, errors."""

from __future__ import annotations

import copy
import io
import pickle

import httpx
import pytest

from pyai import PyAI, PyAIError, Voice
from pyai._transport import normalize_base_url, retry_delay
from pyai.errors import (
    AuthenticationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    error_for_response,
)
from pyai.failures import FIXES
from pyai.resources._files import read_upload
from pyai.types import Agent

API_MD_VOICE = {
    "id": "voice_8f3k2",
    "object": "voice",
    "name": "Ava — brand voice",
    "status": "ready",
    "created_at": 1764000000,
    "language": "en",
    "failure": None,
    "quality": {
        "duration_s": 10.2,
        "speech_s": 9.6,
        "effective_bandwidth_hz": 11800,
        "snr_db": 38.0,
        "speakers": 1,
        "music": 0.02,
        "reverb_c50_db": 21.0,
        "clipped_fraction": 0.0,
        "level_spread_db": 3.1,
        "longest_silence_s": 0.6,
        "language": "en",
        "language_confidence": 0.97,
    },
}


def test_voice_parses_the_api_md_example() -> None:
    voice = Voice.from_dict(API_MD_VOICE)
    assert (voice.id, voice.status, voice.name) == ("voice_8f3k2", "ready", "Ava — brand voice")
    assert voice.failure is None
    assert voice.quality is not None and voice.quality.effective_bandwidth_hz == 11800
    assert voice.to_dict() == API_MD_VOICE


def test_extra_and_missing_fields_are_tolerated() -> None:
    data = {
        "id": "voice_x",
        "status": "failed",
        "brand_new_field": 1,
        "failure": {"code": "insufficient_bandwidth", "message": "m", "hint": "h"},
        "quality": {"snr_db": 12.5, "future_metric": 3},
    }
    voice = Voice.from_dict(data)
    assert voice.brand_new_field == 1
    assert voice.failure is not None and voice.failure.hint == "h"
    assert voice.failure.fix == FIXES["insufficient_bandwidth"]
    assert voice.quality is not None and voice.quality.future_metric == 3
    assert voice.quality.speakers is None  # missing reads as None
    with pytest.raises(AttributeError):
        _ = voice.quality.not_there
    assert voice.to_dict()["brand_new_field"] == 1


def test_failure_carries_its_evidence() -> None:
    ev = {"measure": "speaker_similarity", "value": 0.74, "limit": 0.76}
    voice = Voice.from_dict({"id": "voice_x", "status": "failed",
                             "failure": {"code": "multiple_speakers", "message": "m", "evidence": ev}})
    assert voice.failure is not None and voice.failure.evidence == ev
    assert Voice.from_dict({"id": "v", "failure": {"code": "clipping", "message": "m"}}).failure.evidence is None


def test_models_copy_and_pickle() -> None:
    voice = Voice.from_dict(API_MD_VOICE)
    assert copy.deepcopy(voice) == voice
    assert pickle.loads(pickle.dumps(voice)) == voice


def test_every_api_md_failure_code_has_a_fix() -> None:
    codes = {
        "insufficient_bandwidth", "clip_too_short", "clip_too_long", "multiple_speakers", "too_noisy",
        "background_music", "reverberant", "clipping", "inconsistent_level", "long_silence", "non_english",
        "no_speech",
    }  # fmt: skip
    assert codes <= set(FIXES)


def test_agent_keeps_nested_objects_as_dicts() -> None:
    agent = Agent.from_dict({"id": "agent_1", "name": "a", "responder": {"type": "x"}, "turn_detection": None})
    assert agent.responder == {"type": "x"} and agent.turn_detection is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:8000", "http://h:8000"),
        ("http://h:8000/", "http://h:8000"),
        ("http://h:8000/v1", "http://h:8000"),
        ("http://h:8000/v1/", "http://h:8000"),
        ("https://h/prefix/v1", "https://h/prefix"),
    ],
)
def test_base_url_normalisation(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


def test_defaults_and_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYAI_BASE_URL", raising=False)
    monkeypatch.delenv("PYAI_API_KEY", raising=False)
    with pytest.raises(PyAIError, match="PYAI_API_KEY"):
        PyAI()
    pyai = PyAI(api_key="k")
    assert pyai.base_url == "http://127.0.0.1:8000"
    assert pyai.max_retries == 2


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
    ],
)
def test_status_maps_to_exception(status: int, cls: type[Exception]) -> None:
    body = {"error": {"type": "t", "code": "c", "message": "what to do"}}
    exc = error_for_response(httpx.Response(status, json=body, request=httpx.Request("GET", "http://h/")))
    assert isinstance(exc, cls)
    assert (exc.status_code, exc.code, exc.type, exc.message) == (status, "c", "t", "what to do")
    assert str(exc) == f"{status} c: what to do"


def test_retry_delay_grows_and_caps() -> None:
    delays = [retry_delay(n, None) for n in range(8)]
    assert 0.375 <= delays[0] <= 0.5 and 0.75 <= delays[1] <= 1.0
    assert max(delays) <= 8.0
    later = httpx.Response(429, headers={"Retry-After": "3"})
    assert retry_delay(0, later) == 3.0


def test_read_upload_names_and_types(tmp_path) -> None:  # type: ignore[no-untyped-def]
    wav = b"RIFF\x00\x00\x00\x00WAVEfmt "
    assert read_upload(wav) == ("clip.wav", wav, "audio/wav")
    assert read_upload(b"fLaC....")[0::2] == ("clip.flac", "audio/flac")
    assert read_upload(b"\xff\xfb\x90\x00")[2] == "audio/mpeg"
    assert read_upload(b"....ftypM4A ")[2] == "audio/mp4"
    path = tmp_path / "ref.ogg"
    path.write_bytes(b"OggS....")
    assert read_upload(path) == ("ref.ogg", b"OggS....", "audio/ogg")
    assert read_upload(io.BytesIO(wav))[0] == "clip.wav"
    assert read_upload(("mine.webm", b"\x1a\x45\xdf\xa3"))[0::2] == ("mine.webm", "audio/webm")
    with pytest.raises(TypeError):
        read_upload(12)  # type: ignore[arg-type]


def test_empty_ids_are_refused_locally() -> None:
    pyai = PyAI(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError):
        pyai.voice.clones.get("")
    with pytest.raises(ValueError):
        pyai.agents.delete("")


def test_cli_format_choices_match_the_sdk() -> None:
    from pyai.cli import AudioFormat
    from pyai.resources.audio import RESPONSE_FORMATS

    assert tuple(f.value for f in AudioFormat) == RESPONSE_FORMATS


def test_config_repr_does_not_leak_the_key() -> None:
    pyai = PyAI(api_key="sk-very-secret", base_url="http://127.0.0.1:9")
    assert "sk-very-secret" not in repr(pyai._transport.config)
