"""The clones API over real HTTP against a real server process: auth, scopes,
tenant isolation, pagination, enrollment outcomes and bad input."""

from __future__ import annotations

import io
import struct
import time

import httpx
import numpy as np
import pytest
import soundfile as sf

from api_contract import FAILURES
from tests.conftest import LiveServer, wait_status, wav_bytes


def upload(server: LiveServer, data: bytes, name: str = "Ava — brand voice", key: str | None = None,
           filename: str = "reference.wav") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    return httpx.post(f"{server.base_url}/v1/voice/clones", headers=headers,
                      data={"name": name}, files={"file": (filename, data, "audio/wav")}, timeout=60)


@pytest.fixture(scope="module")
def ready_voice(live_server: LiveServer, speech_wav: bytes) -> dict:
    r = upload(live_server, speech_wav)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    return wait_status(live_server, r.json()["id"])


def test_enroll_clean_clip_becomes_ready(ready_voice: dict) -> None:
    assert ready_voice["status"] == "ready", ready_voice
    assert ready_voice["object"] == "voice" and ready_voice["id"].startswith("voice_")
    assert ready_voice["failure"] is None
    q = ready_voice["quality"]
    assert q["effective_bandwidth_hz"] >= 10000
    assert 6 <= q["speech_s"] <= 15.5


def test_upsampled_narrowband_fails_bandwidth(live_server: LiveServer, narrowband_wav: bytes) -> None:
    r = upload(live_server, narrowband_wav, name="phone call")
    assert r.status_code == 201
    v = wait_status(live_server, r.json()["id"])
    assert v["status"] == "failed"
    assert v["failure"]["code"] == "insufficient_bandwidth"
    assert v["quality"]["effective_bandwidth_hz"] < 5000
    assert "wideband" in v["failure"]["message"].lower() or "upsampl" in v["failure"]["message"].lower()
    assert v["failure"]["fix"] == FAILURES["insufficient_bandwidth"].fix  # the guide's advice, from the server


def test_too_short_clip_fails_span(live_server: LiveServer, speech_clip) -> None:
    x, sr = speech_clip
    r = upload(live_server, wav_bytes(x[: int(2.5 * sr)], sr), name="short")
    assert wait_status(live_server, r.json()["id"])["failure"]["code"] == "clip_too_short"


def test_get_list_delete_roundtrip(live_server: LiveServer, speech_wav: bytes) -> None:
    h = live_server.headers
    ids = [upload(live_server, speech_wav, name=f"p{i}").json()["id"] for i in range(3)]
    page = httpx.get(f"{live_server.base_url}/v1/voice/clones?limit=2", headers=h).json()
    assert page["object"] == "list" and len(page["data"]) == 2 and page["has_more"] is True
    assert [v["id"] for v in page["data"]] == ids[::-1][:2]  # newest first
    page2 = httpx.get(f"{live_server.base_url}/v1/voice/clones?limit=2&after={page['data'][-1]['id']}",
                      headers=h).json()
    assert page2["data"][0]["id"] == ids[0]
    for vid in ids:
        r = httpx.delete(f"{live_server.base_url}/v1/voice/clones/{vid}", headers=h)
        assert r.json() == {"id": vid, "object": "voice", "deleted": True, "agents": []}
        assert httpx.get(f"{live_server.base_url}/v1/voice/clones/{vid}", headers=h).status_code == 404
    # Deleted while its job may still be queued or running: it never comes back.
    time.sleep(1.0)
    for vid in ids:
        assert httpx.get(f"{live_server.base_url}/v1/voice/clones/{vid}", headers=h).status_code == 404


def test_tenant_isolation_every_verb(live_server: LiveServer, ready_voice: dict) -> None:
    other = live_server.create_key("tenant-b", "*")
    hb = {"Authorization": f"Bearer {other}"}
    vid = ready_voice["id"]
    base = live_server.base_url
    assert httpx.get(f"{base}/v1/voice/clones/{vid}", headers=hb).status_code == 404
    assert httpx.delete(f"{base}/v1/voice/clones/{vid}", headers=hb).status_code == 404
    assert all(v["id"] != vid for v in httpx.get(f"{base}/v1/voice/clones", headers=hb).json()["data"])
    r = httpx.post(f"{base}/v1/audio/speech", headers=hb, json={"input": "hi", "voice": vid})
    assert r.status_code == 404 and r.json()["error"]["code"] == "voice_not_found"
    assert all(v["id"] != vid for v in httpx.get(f"{base}/v1/voices", headers=hb).json()["data"])
    # ... and the owner still has it.
    assert httpx.get(f"{base}/v1/voice/clones/{vid}", headers=live_server.headers).status_code == 200


def test_auth_401_403(live_server: LiveServer, speech_wav: bytes) -> None:
    base = live_server.base_url
    assert httpx.get(f"{base}/v1/voice/clones").status_code == 401
    for bad in ("Bearer nonsense", "Bearer sk-" + "x" * 40, "Basic abc", "Bearer ek-short"):
        r = httpx.get(f"{base}/v1/voice/clones", headers={"Authorization": bad})
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
    reader = live_server.create_key("default", "voice:read")
    r = upload(live_server, speech_wav, key=reader)
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    assert httpx.get(f"{base}/v1/voice/clones", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    speech_only = live_server.create_key("default", "audio:speech")
    r = httpx.get(f"{base}/v1/voice/clones", headers={"Authorization": f"Bearer {speech_only}"})
    assert r.status_code == 403
    # A revoked key stops working at once.
    key_id = next(k for k in live_server.cli("keys", "list").stdout.splitlines() if "audio:speech" in k).split()[0]
    assert live_server.cli("keys", "revoke", key_id).returncode == 0
    r = httpx.get(f"{base}/v1/voices", headers={"Authorization": f"Bearer {speech_only}"})
    assert r.status_code == 401


def _wav_header_claiming_hours() -> bytes:
    data_len = 48000 * 2 * 3600 * 5
    header = b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 48000, 96000, 2, 16) + b"data" + struct.pack("<I", data_len)
    return header + np.zeros(48000, "<i2").tobytes()


@pytest.mark.parametrize(
    "case",
    ["empty", "random", "text", "truncated", "hours_header", "zero_samples", "too_long"],
)
def test_bad_audio_is_a_clear_400(live_server: LiveServer, speech_wav: bytes, case: str) -> None:
    zero = io.BytesIO()
    sf.write(zero, np.zeros(0, "float32"), 48000, format="WAV")
    payloads = {
        "empty": b"",
        "random": np.random.default_rng(0).bytes(20000),
        "text": b"this is not audio at all\n" * 200,
        "truncated": speech_wav[:30],
        "hours_header": None,  # decodes the 1 s that exists: accepted, judged by the gate
        "zero_samples": zero.getvalue(),
        "too_long": wav_bytes(np.zeros(16000 * 61, np.float32), 16000),
    }
    if case == "hours_header":
        r = upload(live_server, _wav_header_claiming_hours())
        assert r.status_code == 201
        assert wait_status(live_server, r.json()["id"])["status"] == "failed"
        return
    r = upload(live_server, payloads[case], filename="clip.wav")
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] in ("invalid_audio", "audio_too_long") and err["message"]


def test_bad_forms(live_server: LiveServer, speech_wav: bytes) -> None:
    base, h = live_server.base_url, live_server.headers
    r = httpx.post(f"{base}/v1/voice/clones", headers=h, files={"file": ("a.wav", speech_wav)})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_name"
    r = httpx.post(f"{base}/v1/voice/clones", headers=h, data={"name": "x"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_file"
    assert upload(live_server, speech_wav, name="n" * 101).status_code == 400
    r = httpx.post(f"{base}/v1/voice/clones", headers=h, json={"name": "x"})
    assert r.status_code == 415
    for q in ("limit=1000000", "limit=0", "limit=abc"):
        r = httpx.get(f"{base}/v1/voice/clones?{q}", headers=h)
        assert r.status_code == 400 and r.json()["error"]["param"] == "limit"
    r = httpx.get(f"{base}/v1/voice/clones/voice_doesnotexist", headers=h)
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
    assert httpx.get(f"{base}/v1/nope", headers=h).status_code == 404


def test_huge_upload_is_refused_early(live_server: LiveServer) -> None:
    """A 2 GB body: refused with 413 from the declared length, without reading it."""
    def body():
        chunk = b"\0" * (1 << 20)
        for _ in range(2048):
            yield chunk

    headers = {**live_server.headers, "Content-Type": "multipart/form-data; boundary=xyz",
               "Content-Length": str(2048 << 20)}
    try:
        r = httpx.post(f"{live_server.base_url}/v1/voice/clones", headers=headers, content=body(), timeout=60)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    except httpx.HTTPError:
        pass  # the server may close the socket mid-upload; what matters is that it lives
    # Without a declared length (chunked), the limit holds while streaming.
    r = httpx.post(f"{live_server.base_url}/v1/voice/clones",
                   headers={**live_server.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
                   content=(b"\0" * (1 << 20) for _ in range(40)), timeout=60)
    assert r.status_code == 413
    assert httpx.get(f"{live_server.base_url}/healthz").status_code == 200


def test_service_endpoints(live_server: LiveServer) -> None:
    base = live_server.base_url
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    assert httpx.get(f"{base}/metrics").status_code == 401  # the figures cover every tenant
    metrics = httpx.get(f"{base}/metrics", headers=live_server.headers).text
    assert "agent_server_http_requests_total" in metrics and "agent_server_enrollments_total" in metrics
    spec = httpx.get(f"{base}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/voice/clones", "/v1/voice/clones/{voice_id}", "/v1/audio/speech", "/healthz"):
        assert path in spec["paths"]
