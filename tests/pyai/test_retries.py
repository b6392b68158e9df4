"""Retry and error-mapping behaviour, against a real HTTP server with scripted answers.

The rules under test are in pyai/_transport.py: idempotent calls retry 429/5xx and
transport errors; creating POSTs never retry a 4xx (429 included) and retry only the
proxy statuses 502/503/504.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from pyai import (
    APIConnectionError,
    AsyncPyAI,
    BadRequestError,
    InternalServerError,
    PyAI,
    RateLimitError,
)
from tests.conftest import free_port
from tests.pyai.scripted_server import Scripted, ScriptedServer, error, running

GET_VOICE = "GET /v1/voice/clones/voice_scripted"
CREATE = "POST /v1/voice/clones"
SPEECH = "POST /v1/audio/speech"


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    with running() as server:
        yield server


@pytest.fixture
def flaky(scripted: ScriptedServer) -> Iterator[ScriptedServer]:
    scripted.reset()
    yield scripted
    scripted.reset()


def _client(server: ScriptedServer, max_retries: int = 2) -> PyAI:
    return PyAI(api_key="sk-test", base_url=server.base_url, max_retries=max_retries)


def test_get_retries_503_twice_then_succeeds(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, error(503, "0"), error(503, "0"))
    voice = _client(flaky).voice.clones.get("voice_scripted")
    assert voice.status == "ready"
    assert flaky.hits[GET_VOICE] == 3


def test_gives_up_after_max_retries_with_the_server_error(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, *[error(503, "0")] * 5)
    with pytest.raises(InternalServerError) as info:
        _client(flaky, max_retries=2).voice.clones.get("voice_scripted")
    assert info.value.status_code == 503
    assert info.value.code == "not_ready"
    assert flaky.hits[GET_VOICE] == 3


def test_max_retries_zero_sends_once(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, error(503, "0"))
    with pytest.raises(InternalServerError):
        _client(flaky, max_retries=0).voice.clones.get("voice_scripted")
    assert flaky.hits[GET_VOICE] == 1


def test_backoff_is_exponential_without_retry_after(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, error(503), error(503))
    started = time.monotonic()
    _client(flaky).voice.clones.get("voice_scripted")
    elapsed = time.monotonic() - started
    # 0.5 s then 1 s, each with up to 25 % jitter off: at least 1.125 s in all.
    assert 1.1 <= elapsed < 5, elapsed


def test_retry_after_header_is_honoured(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, error(429, "1"))
    started = time.monotonic()
    _client(flaky).voice.clones.get("voice_scripted")
    assert time.monotonic() - started >= 0.95
    assert flaky.hits[GET_VOICE] == 2


def test_get_does_not_retry_4xx(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, Scripted(400, {"error": {"type": "invalid_request_error", "code": "bad", "message": "m"}}))
    with pytest.raises(BadRequestError) as info:
        _client(flaky).voice.clones.get("voice_scripted")
    assert (info.value.status_code, info.value.code, info.value.message) == (400, "bad", "m")
    assert flaky.hits[GET_VOICE] == 1


def test_create_is_not_retried_on_429(flaky: ScriptedServer) -> None:
    flaky.script(CREATE, error(429, "0"))
    with pytest.raises(RateLimitError) as info:
        _client(flaky).voice.clones.create(name="x", file=b"RIFF....")
    assert info.value.status_code == 429
    assert flaky.hits[CREATE] == 1


def test_create_is_not_retried_on_500(flaky: ScriptedServer) -> None:
    # A 500 may come after the voice was stored: a retry could enroll it twice.
    flaky.script(CREATE, error(500, "0"))
    with pytest.raises(InternalServerError):
        _client(flaky).voice.clones.create(name="x", file=b"RIFF....")
    assert flaky.hits[CREATE] == 1


def test_create_is_retried_on_503_with_the_same_upload(flaky: ScriptedServer) -> None:
    flaky.script(CREATE, error(503, "0"), error(503, "0"))
    voice = _client(flaky).voice.clones.create(name="x", file=b"RIFF....")
    assert voice.status == "pending"
    assert flaky.hits[CREATE] == 3


def test_speech_is_idempotent_so_429_is_retried(flaky: ScriptedServer) -> None:
    flaky.script(SPEECH, error(429, "0"), error(503, "0"))
    audio = _client(flaky).audio.speech(input="hi", voice="joe")
    assert audio.startswith(b"RIFF")
    assert flaky.hits[SPEECH] == 3


def test_speech_stream_retries_before_the_first_byte(flaky: ScriptedServer) -> None:
    flaky.script(SPEECH, error(503, "0"))
    chunks = list(_client(flaky).audio.speech_stream(input="hi", voice="joe"))
    assert b"".join(chunks).startswith(b"RIFF")
    assert flaky.hits[SPEECH] == 2


def test_non_json_proxy_error_still_maps(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, *[Scripted(502, text="<html>Bad Gateway</html>")] * 3)
    with pytest.raises(InternalServerError) as info:
        _client(flaky).voice.clones.get("voice_scripted")
    assert info.value.status_code == 502
    assert info.value.code is None
    assert "Bad Gateway" in info.value.message


def test_unreachable_server_raises_connection_error_after_retries() -> None:
    port = free_port()  # nothing listens here
    pyai = PyAI(api_key="sk-test", base_url=f"http://127.0.0.1:{port}", max_retries=1)
    started = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        pyai.voice.clones.get("voice_x")
    assert info.value.status_code is None
    assert time.monotonic() - started >= 0.3  # one backoff happened


async def test_async_client_retries_the_same_way(flaky: ScriptedServer) -> None:
    flaky.script(GET_VOICE, error(503, "0"), error(503, "0"))
    flaky.script(CREATE, error(429, "0"))
    async with AsyncPyAI(api_key="sk-test", base_url=flaky.base_url) as pyai:
        voice = await pyai.voice.clones.get("voice_scripted")
        assert voice.status == "ready"
        with pytest.raises(RateLimitError):
            await pyai.voice.clones.create(name="x", file=b"RIFF....")
        chunks = [c async for c in pyai.audio.speech_stream(input="hi", voice="joe")]
    assert b"".join(chunks).startswith(b"RIFF")
    assert flaky.hits[GET_VOICE] == 3
    assert flaky.hits[CREATE] == 1
