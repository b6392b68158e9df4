"""`/v1/audio/speech` over real HTTP: every format, streaming, clones, errors, the
official `openai` client, and a client that hangs up mid-stream."""

from __future__ import annotations

import io
import time

import av
import httpx
import numpy as np
import pytest

from tests.conftest import LiveServer, wait_status

TEXT = "Your appointment is confirmed for Thursday at 2 PM. Dr. Smith will see you; the fee is $3.50."


def speak(server: LiveServer, **body) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1/audio/speech", headers=server.headers, json=body, timeout=120)


def duration_of(data: bytes) -> tuple[float, int]:
    with av.open(io.BytesIO(data)) as c:
        s = c.streams.audio[0]
        n = sum(f.samples for f in c.decode(s))
        return n / s.codec_context.sample_rate, s.codec_context.sample_rate


@pytest.fixture(scope="module")
def clone_id(live_server: LiveServer, speech_wav: bytes) -> str:
    r = httpx.post(f"{live_server.base_url}/v1/voice/clones", headers=live_server.headers,
                   data={"name": "speech test"}, files={"file": ("r.wav", speech_wav)})
    v = wait_status(live_server, r.json()["id"])
    assert v["status"] == "ready", v
    return v["id"]


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "flac", "aac", "ulaw", "alaw"])
def test_every_container_format_decodes(live_server: LiveServer, fmt: str) -> None:
    r = speak(live_server, input="Hello there. This is a test.", voice="joe", response_format=fmt)
    assert r.status_code == 200, r.text
    secs, rate = duration_of(r.content)
    assert 1.0 < secs < 6.0
    # Opus always decodes at 48 kHz; G.711 is 8 kHz by definition.
    assert rate == {"ulaw": 8000, "alaw": 8000, "opus": 48000}.get(fmt, 24000)


def test_non_streamed_wav_and_flac_carry_the_real_length(live_server: LiveServer) -> None:
    import struct

    import soundfile as sf

    wav = speak(live_server, input="Hello there. This is a test.", voice="joe", stream=False).content
    assert struct.unpack("<I", wav[4:8])[0] == len(wav) - 8
    assert sf.info(io.BytesIO(wav)).frames == len(sf.read(io.BytesIO(wav))[0])
    flac = speak(live_server, input="Hello there.", voice="joe", response_format="flac", stream=False).content
    assert sf.info(io.BytesIO(flac)).frames == len(sf.read(io.BytesIO(flac))[0]) > 12000


def test_openai_voice_names_are_aliases(live_server: LiveServer) -> None:
    listed = httpx.get(f"{live_server.base_url}/v1/audio/voices", headers=live_server.headers).json()["data"]
    aliases = {v["id"]: v for v in listed if v.get("alias_of")}
    assert {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
            "verse"} <= set(aliases)
    assert aliases["alloy"]["alias_of"] == "joe" and aliases["alloy"]["status"] == "ready"
    for name in ("alloy", "nova"):
        r = speak(live_server, input="Hello there.", voice=name, response_format="pcm", stream=False)
        assert r.status_code == 200 and r.headers["x-voice-id"] == "joe" and len(r.content) > 24000
    assert speak(live_server, input="Hello there.", voice="Alloy").status_code == 404  # names are exact


def test_pcm_is_raw_24k_s16(live_server: LiveServer) -> None:
    r = speak(live_server, input="Hello there.", voice="joe", response_format="pcm")
    pcm = np.frombuffer(r.content, "<i2")
    assert r.headers["content-type"].startswith("audio/pcm")
    assert 0.4 < len(pcm) / 24000 < 3.0 and np.abs(pcm).max() > 1000


def test_clone_speaks_and_differs_from_base(live_server: LiveServer, clone_id: str) -> None:
    base = speak(live_server, input=TEXT, voice="joe", response_format="pcm", stream=False)
    clone = speak(live_server, input=TEXT, voice=clone_id, response_format="pcm", stream=False)
    assert base.status_code == clone.status_code == 200
    a = np.frombuffer(base.content, "<i2").astype(np.float32)
    b = np.frombuffer(clone.content, "<i2").astype(np.float32)
    assert len(b) / 24000 > 3.0
    n = min(len(a), len(b))
    assert not np.allclose(a[:n], b[:n], atol=50)


def test_speed_changes_duration(live_server: LiveServer) -> None:
    slow = speak(live_server, input="One two three four five.", voice="joe", response_format="pcm", speed=0.5)
    fast = speak(live_server, input="One two three four five.", voice="joe", response_format="pcm", speed=2.0)
    assert len(slow.content) > 2.5 * len(fast.content)


def test_streams_first_bytes_before_the_end(live_server: LiveServer) -> None:
    text = " ".join(f"This is sentence number {i} of a long answer." for i in range(12))
    arrivals: list[float] = []
    t0 = time.perf_counter()
    with httpx.stream("POST", f"{live_server.base_url}/v1/audio/speech", headers=live_server.headers,
                      json={"input": text, "voice": "joe", "response_format": "pcm"}, timeout=120) as r:
        assert r.status_code == 200
        for _ in r.iter_raw():
            arrivals.append(time.perf_counter() - t0)
    assert len(arrivals) >= 3  # several sentences arrive as separate chunks


def test_client_disconnect_stops_synthesis(live_server: LiveServer) -> None:
    text = " ".join(f"Sentence {i} keeps the synthesizer busy for a while." for i in range(60))
    with httpx.stream("POST", f"{live_server.base_url}/v1/audio/speech", headers=live_server.headers,
                      json={"input": text, "voice": "joe", "response_format": "pcm"}, timeout=120) as r:
        next(r.iter_raw())
    # The server is free again right away: a short request is answered promptly.
    r = speak(live_server, input="Still here.", voice="joe", response_format="pcm")
    assert r.status_code == 200
    assert httpx.get(f"{live_server.base_url}/healthz").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"input": "", "voice": "joe"}, 400, None),
        ({"input": "x" * 5000, "voice": "joe"}, 400, "input_too_long"),
        ({"input": "?!... ---", "voice": "joe"}, 400, "invalid_input"),
        # Long inputs are planned off the event loop; their refusals are the same.
        ({"input": "12345678901234 " * 273, "voice": "joe"}, 400, "input_too_long"),
        ({"input": "?!... --- " * 40, "voice": "joe"}, 400, "invalid_input"),
        ({"input": "hi", "voice": "joe", "response_format": "ogg-vorbis"}, 400, "invalid_format"),
        ({"input": "hi", "voice": "joe", "speed": 0}, 400, "invalid_speed"),
        ({"input": "hi", "voice": "joe", "speed": 10}, 400, "invalid_speed"),
        ({"input": "hi", "voice": "voice_unknown"}, 404, "voice_not_found"),
        ({"input": "hi"}, 400, None),
    ],
)
def test_bad_requests(live_server: LiveServer, body: dict, status: int, code: str | None) -> None:
    r = speak(live_server, **body)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["error"]["code"] == code


def test_emoji_numbers_and_abbreviations_are_spoken(live_server: LiveServer) -> None:
    r = speak(live_server, input="🙂 Meet Dr. Lee at 2 PM, it costs $3.50 for 12 items.", voice="joe",
              response_format="pcm")
    assert r.status_code == 200 and len(r.content) / 48000 > 2.0


def test_pending_and_deleted_voices(live_server: LiveServer, speech_wav: bytes, clone_id: str) -> None:
    h = live_server.headers
    r = httpx.post(f"{live_server.base_url}/v1/voice/clones", headers=h, data={"name": "pending"},
                   files={"file": ("r.wav", speech_wav)})
    vid = r.json()["id"]
    got = speak(live_server, input="hi", voice=vid)
    if got.status_code == 409:  # still pending (the usual case)
        assert got.json()["error"]["code"] == "voice_not_ready"
    wait_status(live_server, vid)
    assert speak(live_server, input="Hello.", voice=vid, response_format="pcm").status_code == 200
    httpx.delete(f"{live_server.base_url}/v1/voice/clones/{vid}", headers=h)
    assert speak(live_server, input="Hello.", voice=vid).status_code == 404
    voices = httpx.get(f"{live_server.base_url}/v1/voices", headers=h).json()["data"]
    ids = {v["id"] for v in voices}
    assert "joe" in ids and clone_id in ids and vid not in ids
    assert httpx.get(f"{live_server.base_url}/v1/audio/voices", headers=h).json()["data"] == voices


def test_failed_voice_is_409(live_server: LiveServer, narrowband_wav: bytes) -> None:
    r = httpx.post(f"{live_server.base_url}/v1/voice/clones", headers=live_server.headers,
                   data={"name": "narrow"}, files={"file": ("r.wav", narrowband_wav)})
    v = wait_status(live_server, r.json()["id"])
    assert v["status"] == "failed"
    got = speak(live_server, input="hi", voice=v["id"])
    assert got.status_code == 409 and got.json()["error"]["code"] == "voice_not_ready"


def test_official_openai_client(live_server: LiveServer, clone_id: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{live_server.base_url}/v1", api_key=live_server.api_key)
    audio = client.audio.speech.create(model="tts-1", voice=clone_id, input="Hello from the OpenAI client.",
                                       response_format="wav")
    secs, rate = duration_of(audio.content)
    assert rate == 24000 and secs > 1.0
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="joe", input="Streaming. Two sentences.", response_format="mp3"
    ) as resp:
        data = b"".join(resp.iter_bytes())
    assert duration_of(data)[0] > 1.0
    models = [m.id for m in client.models.list()]
    assert "tts-1" in models
