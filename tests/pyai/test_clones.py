"""``pyai.voice.clones`` against the real server: shapes, pagination, errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pyai import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PyAI,
    Voice,
)
from tests.conftest import LiveServer


def test_create_returns_a_pending_voice(client: PyAI, narrowband_wav: bytes) -> None:
    voice = client.voice.clones.create(name="Ava — brand voice", file=narrowband_wav)
    try:
        assert voice.id.startswith("voice_")
        assert voice.status == "pending"
        assert voice.name == "Ava — brand voice"
        assert voice.failure is None
        assert isinstance(voice.created_at, int)
    finally:
        client.voice.clones.delete(voice.id)


@pytest.mark.parametrize("kind", ["path", "str", "open_file", "bytesio", "tuple"])
def test_create_accepts_every_file_form(client: PyAI, speech_wav: bytes, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "reference.wav"
    path.write_bytes(speech_wav)
    if kind == "path":
        voice = client.voice.clones.create(name=kind, file=path)
    elif kind == "str":
        voice = client.voice.clones.create(name=kind, file=str(path))
    elif kind == "open_file":
        with path.open("rb") as f:
            voice = client.voice.clones.create(name=kind, file=f)
    elif kind == "bytesio":
        voice = client.voice.clones.create(name=kind, file=io.BytesIO(speech_wav))
    else:
        voice = client.voice.clones.create(name=kind, file=("reference.wav", speech_wav))
    # Delete at once: these only prove the upload forms, not enrollment.
    assert client.voice.clones.delete(voice.id).deleted is True


def test_text_mode_file_is_refused_before_sending(client: PyAI, tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF")
    with path.open("r") as f, pytest.raises(TypeError, match="'rb'"):
        client.voice.clones.create(name="x", file=f)  # type: ignore[arg-type]


def test_ready_voice_has_quality_and_no_failure(ready_voice: Voice) -> None:
    assert ready_voice.status == "ready"
    assert ready_voice.failure is None
    q = ready_voice.quality
    assert q is not None
    assert q.effective_bandwidth_hz is not None and q.effective_bandwidth_hz >= 10_000
    assert q.speakers == 1
    assert q.language == "en"
    assert 6 <= (q.speech_s or 0) <= 15.5
    # Fields newer than this SDK stay reachable instead of breaking the parse.
    for key, value in q.extra.items():
        assert getattr(q, key) == value


def test_narrowband_voice_fails_with_insufficient_bandwidth(failed_voice: Voice) -> None:
    assert failed_voice.status == "failed"
    assert failed_voice.failure is not None
    assert failed_voice.failure.code == "insufficient_bandwidth"
    assert failed_voice.failure.message
    assert failed_voice.failure.fix and "wideband" in failed_voice.failure.fix
    assert failed_voice.quality is not None
    assert (failed_voice.quality.effective_bandwidth_hz or 0) < 10_000


def test_get_round_trips(client: PyAI, ready_voice: Voice) -> None:
    again = client.voice.clones.get(ready_voice.id)
    assert again.id == ready_voice.id
    assert again.to_dict() == ready_voice.to_dict()


def test_list_follows_the_after_cursor_newest_first(client: PyAI, narrowband_wav: bytes) -> None:
    created = [client.voice.clones.create(name=f"page {i}", file=narrowband_wav).id for i in range(3)]
    try:
        first = client.voice.clones.list(limit=1).first_page()
        assert len(first.data) == 1 and first.has_more
        assert first.data[0].id == created[-1]  # newest first
        pages = list(client.voice.clones.list(limit=2).pages())
        assert all(len(p.data) <= 2 for p in pages)
        assert pages[-1].has_more is False
        ids = [v.id for v in client.voice.clones.list(limit=1)]
        assert len(ids) == len(set(ids))  # no page repeats an item
        assert ids[:3] == created[::-1]
        after = [v.id for v in client.voice.clones.list(limit=1, after=created[-1])]
        assert after[:2] == created[-2::-1]
    finally:
        for voice_id in created:
            client.voice.clones.delete(voice_id)


def test_delete_then_get_is_404(client: PyAI, narrowband_wav: bytes) -> None:
    voice = client.voice.clones.create(name="to delete", file=narrowband_wav)
    deleted = client.voice.clones.delete(voice.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (voice.id, "voice", True)
    with pytest.raises(NotFoundError) as info:
        client.voice.clones.get(voice.id)
    assert info.value.status_code == 404
    with pytest.raises(NotFoundError):
        client.voice.clones.delete(voice.id)


def test_unknown_id_is_404_with_a_code(client: PyAI) -> None:
    with pytest.raises(NotFoundError) as info:
        client.voice.clones.get("voice_doesnotexist")
    assert info.value.status_code == 404
    assert info.value.code
    assert info.value.message


def test_bad_key_is_401(server: LiveServer) -> None:
    pyai = PyAI(api_key="sk-not-a-real-key", base_url=server.base_url)
    with pytest.raises(AuthenticationError) as info:
        pyai.voice.clones.list().first_page()
    assert info.value.status_code == 401
    assert info.value.code


def test_key_without_clone_scope_is_403_on_create(server: LiveServer, speech_wav: bytes) -> None:
    key = server.create_key("pyai-readonly", "voice:read")
    pyai = PyAI(api_key=key, base_url=server.base_url)
    assert pyai.voice.clones.list().first_page().data == []  # reading is allowed
    with pytest.raises(PermissionDeniedError) as info:
        pyai.voice.clones.create(name="x", file=speech_wav)
    assert info.value.status_code == 403


def test_other_tenants_voice_is_404_not_403(server: LiveServer, ready_voice: Voice) -> None:
    key = server.create_key("pyai-other", "*")
    pyai = PyAI(api_key=key, base_url=server.base_url)
    with pytest.raises(NotFoundError):
        pyai.voice.clones.get(ready_voice.id)
    with pytest.raises(NotFoundError):
        pyai.voice.clones.delete(ready_voice.id)


@pytest.mark.parametrize("data", [b"", b"this is not audio at all" * 100])
def test_unreadable_audio_is_400_invalid_audio(client: PyAI, data: bytes) -> None:
    with pytest.raises(BadRequestError) as info:
        client.voice.clones.create(name="junk", file=data)
    assert info.value.status_code == 400
    assert info.value.code == "invalid_audio"


def test_upload_over_the_limit_is_413(client: PyAI) -> None:
    too_big = b"RIFF" + b"\0" * (25 * 1024 * 1024 + 1024)
    with pytest.raises(PayloadTooLargeError) as info:
        client.voice.clones.create(name="huge", file=too_big)
    assert info.value.status_code == 413


def test_speech_with_a_not_ready_voice_is_409(client: PyAI, narrowband_wav: bytes, failed_voice: Voice) -> None:
    pending = client.voice.clones.create(name="pending", file=narrowband_wav)
    try:
        # Pending now (enrollment takes seconds) or already failed: 409 either way.
        with pytest.raises(ConflictError) as info:
            client.audio.speech(input="Hello.", voice=pending.id)
        assert (info.value.status_code, info.value.code) == (409, "voice_not_ready")
    finally:
        client.voice.clones.delete(pending.id)
    with pytest.raises(ConflictError) as info:
        client.audio.speech(input="Hello.", voice=failed_voice.id)
    assert info.value.code == "voice_not_ready"


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_base_url_with_or_without_v1(server: LiveServer, suffix: str) -> None:
    pyai = PyAI(api_key=server.api_key, base_url=server.base_url + suffix)
    assert pyai.base_url == server.base_url
    pyai.voice.clones.list(limit=1).first_page()


def test_key_and_url_from_the_environment(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYAI_API_KEY", server.api_key)
    monkeypatch.setenv("PYAI_BASE_URL", server.base_url + "/v1")
    with PyAI() as pyai:
        pyai.voice.clones.list(limit=1).first_page()
