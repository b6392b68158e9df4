"""A body nested 1000 deep (2 KB) is bad input like any other: 400, and on the realtime
WebSocket an `error` event, with the session still open."""

from __future__ import annotations

import pytest

from tests.realtime.conftest import LiveServer
from tests.realtime.conftest import agent_id as agent_id  # the shared agent fixture
from tests.realtime.conftest import rt_server as rt_server  # the shared live-server fixture
from tests.realtime.helpers import Client

DEEP = '{"input": "hi", "voice": "joe", "x": ' + "[" * 1000 + "]" * 1000 + "}"
DEEP_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize("path", ["/v1/audio/speech", "/v1/agents", "/v1/realtime/client_secrets"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_deeply_nested_body_is_400(rt_server: LiveServer, path: str, body: str) -> None:
    with rt_server.client() as c:
        r = c.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "invalid_json"
        assert c.get("/healthz").status_code == 200


async def test_deeply_nested_event_is_an_error_event(rt_server: LiveServer, agent_id: str) -> None:
    c = await Client.connect(f"{rt_server.ws_url}/v1/realtime?agent={agent_id}", rt_server.api_key)
    try:
        await c.until("session.created")
        await c.ws.send('{"type": "session.update", "session": ' + "[" * 1000 + "]" * 1000 + "}")
        err = await c.until("error", 30)
        assert err["error"]["code"] == "invalid_json"
        await c.send("session.update", session={"instructions": "Be brief."})
        assert (await c.until("session.updated", 30))["type"] == "session.updated"  # still open
    finally:
        await c.ws.close()
