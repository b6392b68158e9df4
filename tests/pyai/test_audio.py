"""``pyai.audio`` against the real server, sync and async."""

from __future__ import annotations

import io

import pytest
import soundfile as sf

from pyai import AsyncPyAI, BadRequestError, NotFoundError, PyAI, Voice
from tests.conftest import LiveServer


def _wav_seconds(data: bytes) -> float:
    info = sf.info(io.BytesIO(data))
    return info.frames / info.samplerate


def test_speech_returns_wav_bytes(client: PyAI) -> None:
    audio = client.audio.speech(input="Hi! This is a short test.", voice="joe")
    assert isinstance(audio, bytes)
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    assert 0.5 < _wav_seconds(audio) < 10


def test_speech_with_a_cloned_voice(client: PyAI, ready_voice: Voice) -> None:
    audio = client.audio.speech(input="Your appointment is confirmed.", voice=ready_voice.id, response_format="wav")
    assert audio[:4] == b"RIFF"
    assert _wav_seconds(audio) > 0.5


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("mp3", lambda b: b[:3] == b"ID3" or (b[0] == 0xFF and b[1] & 0xE0 == 0xE0)),
        ("flac", lambda b: b[:4] == b"fLaC"),
        ("opus", lambda b: b[:4] == b"OggS"),
        ("pcm", lambda b: len(b) % 2 == 0 and len(b) > 4800),
        ("ulaw", lambda b: b[:4] == b"RIFF"),
    ],
)
def test_speech_formats(client: PyAI, fmt: str, check) -> None:  # type: ignore[no-untyped-def]
    audio = client.audio.speech(input="Testing one two three.", voice="joe", response_format=fmt)
    assert check(audio), audio[:16]


def test_speed_changes_duration(client: PyAI) -> None:
    text = "This sentence is long enough to hear a difference in speed."
    normal = _wav_seconds(client.audio.speech(input=text, voice="joe"))
    fast = _wav_seconds(client.audio.speech(input=text, voice="joe", speed=2.0))
    assert fast < normal * 0.8


def test_speech_stream_yields_the_same_file_in_chunks(client: PyAI) -> None:
    text = "First sentence here. And a second one follows. Then a third."
    chunks = list(client.audio.speech_stream(input=text, voice="joe"))
    assert len(chunks) >= 1
    audio = b"".join(chunks)
    assert audio[:4] == b"RIFF"
    assert _wav_seconds(audio) > 1.5


def test_unknown_voice_is_404(client: PyAI) -> None:
    with pytest.raises(NotFoundError):
        client.audio.speech(input="Hello.", voice="voice_doesnotexist")


def test_empty_input_is_400(client: PyAI) -> None:
    with pytest.raises(BadRequestError) as info:
        client.audio.speech(input="", voice="joe")
    assert info.value.status_code == 400


def test_stream_errors_raise_on_first_iteration(client: PyAI) -> None:
    chunks = client.audio.speech_stream(input="Hello.", voice="voice_doesnotexist")
    with pytest.raises(NotFoundError):
        next(iter(chunks))


async def test_async_client_end_to_end(server: LiveServer, narrowband_wav: bytes) -> None:
    async with AsyncPyAI(api_key=server.api_key, base_url=server.base_url + "/v1") as pyai:
        audio = await pyai.audio.speech(input="Hello from async.", voice="joe")
        assert audio[:4] == b"RIFF"
        streamed = b"".join([c async for c in pyai.audio.speech_stream(input="Hello again.", voice="joe")])
        assert streamed[:4] == b"RIFF"
        voice = await pyai.voice.clones.create(name="async", file=narrowband_wav)
        assert voice.status == "pending"
        assert (await pyai.voice.clones.get(voice.id)).id == voice.id
        ids = [v.id async for v in pyai.voice.clones.list(limit=1)]
        assert voice.id in ids
        assert (await pyai.voice.clones.delete(voice.id)).deleted
        with pytest.raises(NotFoundError):
            await pyai.voice.clones.get(voice.id)


def test_whole_body_speech_has_exact_header_and_stream_stays_open_ended(client: PyAI) -> None:
    import io
    import struct

    import soundfile as sf

    text = "First sentence here. And a second one follows."
    whole = client.audio.speech(input=text, voice="joe")
    assert struct.unpack("<I", whole[4:8])[0] == len(whole) - 8  # RIFF size: the real length
    data_at = whole.index(b"data") + 4
    assert struct.unpack("<I", whole[data_at:data_at + 4])[0] == len(whole) - data_at - 4  # data chunk size
    streamed = b"".join(client.audio.speech_stream(input=text, voice="joe"))
    assert struct.unpack("<I", streamed[4:8])[0] == 0xFFFFFFFF  # open-ended, as OpenAI streams it
    assert sf.read(io.BytesIO(streamed))[0].size > 24000
    flac = client.audio.speech(input=text, voice="joe", response_format="flac")
    streamed_flac = b"".join(client.audio.speech_stream(input=text, voice="joe", response_format="flac"))
    for data in (flac, streamed_flac):
        info = sf.info(io.BytesIO(data))
        samples, rate = sf.read(io.BytesIO(data))
        assert rate == 24000 and info.frames == len(samples) > 24000
