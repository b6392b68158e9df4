"""No secret reaches the server's log: a real `agent-server serve`, its stdout and
stderr captured to a file, driven through every path a credential can travel."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import LiveServer, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = start_server(tmp_path_factory.mktemp("logs"))
    yield srv
    stop_server(srv)


async def _twilio(url: str, params: dict[str, str]) -> int | None:
    """Dial like Twilio; return the close code (None if the stream opened and we hung up)."""
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(json.dumps({"event": "start", "streamSid": "MZ1", "start": {
            "streamSid": "MZ1", "customParameters": params,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed:
            return ws.close_code
        await ws.send(json.dumps({"event": "stop", "streamSid": "MZ1"}))
        await asyncio.wait_for(ws.wait_closed(), 10)
        return None


def test_no_secret_in_the_log(server: LiveServer) -> None:
    base, ws_base = server.base_url, server.base_url.replace("http://", "ws://")
    with httpx.Client(base_url=base, headers=server.headers, timeout=30) as c:
        agent = c.post("/v1/agents", json={"name": "log check", "greeting": "Hello."}).json()
        tel = agent["telephony_token"]
        ek = c.post("/v1/realtime/client_secrets", json={"agent": agent["id"]}).json()["value"]
        assert ek.startswith("ek_")
        # Credentials in query strings, where clients put them by mistake or by design.
        for secret in (server.api_key, ek, tel):
            c.get("/v1/models", params={"token": secret})
            c.get("/v1/models", params={"api_key": secret}, headers={"authorization": f"Bearer {secret}x"})
    twilio = f"{ws_base}/v1/telephony/twilio"
    # The telephony token opens a call, in the URL or in customParameters ...
    assert asyncio.run(_twilio(f"{twilio}?agent={agent['id']}&token={tel}", {})) is None
    assert asyncio.run(_twilio(twilio, {"agent": agent["id"], "token": tel})) is None
    # ... an API key or a client secret does not, wherever it is put.
    for secret in (server.api_key, ek):
        assert asyncio.run(_twilio(f"{twilio}?agent={agent['id']}&token={secret}", {})) == 1008
        assert asyncio.run(_twilio(twilio, {"agent": agent["id"], "token": secret})) == 1008
    # A refused WebSocket upgrade with the secret in the URL.
    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(websockets.connect(f"{ws_base}/v1/realtime?agent=agent_nope&token={server.api_key}x").__aenter__())

    # A speech stream cut after its first bytes.
    body = {"input": "One sentence after another. " * 30, "voice": "joe"}
    with httpx.Client(base_url=base, headers=server.headers, timeout=60) as c, \
            c.stream("POST", "/v1/audio/speech", json=body) as r:
        assert r.status_code == 200
        next(r.iter_bytes())
    with httpx.Client(base_url=base, headers=server.headers, timeout=60) as c:
        assert c.get("/healthz").status_code == 200

    stop_server(server)  # flushes everything it had to say
    log = (Path(server.data_dir) / "server.log").read_text()
    assert "bootstrap-key.txt" in log  # where the key is, said once
    assert "/v1/telephony/twilio" in log and "/v1/models" in log  # the requests were logged ...
    for secret in (server.api_key, ek, tel, tel[4:], ek[3:], server.api_key[3:]):
        assert secret not in log
    assert not re.search(r"(token|key)=[A-Za-z0-9_\-]{6,}", log)
    for line in log.splitlines():  # ... without their query strings
        assert not re.search(r"\"(GET|POST|WebSocket) /\S*\?", line), line
    # Refused upgrades and cut streams are routine, not faults.
    assert "ERROR" not in log and "Traceback" not in log and "generator already executing" not in log


def test_bootstrap_key_file_is_private(server: LiveServer) -> None:
    path = Path(server.data_dir) / "bootstrap-key.txt"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().strip() == server.api_key
