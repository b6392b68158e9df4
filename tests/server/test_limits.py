"""Limits that keep one client from starving the others, on a real server with small
limits: each refusal is a 429 with Retry-After and a code naming the limit, and what
one caller spends never comes out of another tenant's budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets

from agent_server.config import load_settings
from agent_server.stores import open_store
from tests.realtime.helpers import Client
from tests.server.inproc import Server, run_async, serve

LIMITS = {"requests_per_key_per_s": 20, "failed_auth_per_address_per_min": 5,
          "client_secrets_per_key_per_min": 3, "max_realtime_sessions_per_tenant": 2,
          "max_realtime_sessions": 5, "speech_in_flight_per_tenant": 1, "speech_queue_per_tenant": 1,
          "speech_queue_timeout_s": 120.0}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(str(tmp_path_factory.mktemp("limits")), limits=LIMITS,
                     realtime={"connect_timeout_s": 3.0, "max_session_s": 6.0})


def _refusal(r: httpx.Response, code: str) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["type"] == "rate_limit_error"
    assert int(r.headers["retry-after"]) >= 1


def test_requests_per_key(srv: Server) -> None:
    greedy, other = srv.new_key("default", ["agents:read"]), srv.new_key("default", ["agents:read"])

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=srv.base_url, headers={"authorization": f"Bearer {greedy}"}) as c:
            return await asyncio.gather(*[c.get("/v1/models") for _ in range(60)])

    answers = asyncio.run(burst())
    refused = [r for r in answers if r.status_code == 429]
    assert refused and sum(r.status_code == 200 for r in answers) >= 10
    for r in refused:
        _refusal(r, "key_rate_limit")
    with srv.client(other) as c:  # another key's budget is untouched
        assert c.get("/v1/models").status_code == 200


def test_failed_auth_per_address(srv: Server) -> None:
    attacker = {"x-forwarded-for": "203.0.113.9"}  # uvicorn takes the address from a local proxy
    with srv.client("sk-" + "x" * 40, **attacker) as c:
        codes = [c.get("/v1/models").status_code for _ in range(5)]
        assert codes == [401] * 5
        _refusal(c.get("/v1/models"), "failed_auth_limit")
    with srv.client(**attacker) as c:  # the address is refused before any key is looked up
        _refusal(c.get("/v1/models"), "failed_auth_limit")
    with srv.client(**{"x-forwarded-for": "203.0.113.10"}) as c:
        assert c.get("/v1/models").status_code == 200


def test_client_secrets_per_key(srv: Server) -> None:
    key = srv.new_key("default", ["realtime", "agents:write"])
    agent = srv.agent(key)
    with srv.client(key) as c:
        for _ in range(3):
            assert c.post("/v1/realtime/client_secrets", json={"agent": agent}).status_code == 200
        _refusal(c.post("/v1/realtime/client_secrets", json={"agent": agent}), "client_secret_limit")


async def _open(srv: Server, agent: str, key: str) -> Client | int:
    try:
        return await Client.connect(f"{srv.ws_url}/v1/realtime?agent={agent}", key)
    except websockets.InvalidStatus as exc:
        assert exc.response.status_code != 429 or int(exc.response.headers["retry-after"]) >= 1
        return exc.response.status_code


async def test_sessions_per_tenant(srv: Server) -> None:
    key = srv.new_key("greedy", ["realtime", "agents:write"])
    agent = srv.agent(key)
    mine = [await _open(srv, agent, key) for _ in range(3)]
    assert [isinstance(m, Client) for m in mine] == [True, True, False] and mine[2] == 429
    other = await _open(srv, srv.agent(), srv.key)  # another tenant still gets in
    assert isinstance(other, Client)
    for c in [*mine[:2], other]:
        assert isinstance(c, Client)
        await c.ws.close()
    for _ in range(100):  # and the slots come back
        if isinstance(again := await _open(srv, agent, key), Client):
            await again.ws.close()
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the tenant's session slots were not given back")


async def test_sessions_per_process(srv: Server) -> None:
    """Past ``max_realtime_sessions`` (5 here) this process refuses the next session of
    a tenant that is within its own cap of 2."""
    tenants = [srv.new_key(f"crowd{i}", ["realtime", "agents:write"]) for i in range(4)]
    agents = [srv.agent(k) for k in tenants]
    free = LIMITS["max_realtime_sessions"] - srv.sessions
    clients: list[Client] = []
    try:
        for i in range(free):
            c = await _open(srv, agents[i // 2], tenants[i // 2])
            assert isinstance(c, Client), c
            clients.append(c)
        fresh = len(tenants) - 1  # has opened nothing yet
        extra = await _open(srv, agents[fresh], tenants[fresh])
        if isinstance(extra, Client):
            clients.append(extra)
        assert extra == 429
    finally:
        for c in clients:
            await c.ws.close()


def test_webrtc_peer_that_never_connects_gives_its_slot_back(srv: Server) -> None:
    from bench.load import sdp_offer_without_candidates  # the attack bench/load.py runs

    sdp = asyncio.run(sdp_offer_without_candidates())
    agent = srv.agent()
    before = srv.sessions
    with srv.client() as c:
        r = c.post(f"/v1/realtime/calls?agent={agent}", content=sdp, headers={"content-type": "application/sdp"})
    assert r.status_code == 201, r.text
    assert srv.sessions == before + 1
    deadline = time.time() + 15  # connect_timeout_s is 3 here (10 by default)
    while srv.sessions > before and time.time() < deadline:
        time.sleep(0.2)
    assert srv.sessions == before


async def test_session_ends_at_its_maximum_length(srv: Server) -> None:
    c = await _open(srv, srv.agent(), srv.key)
    assert isinstance(c, Client)
    err = await c.until("error", 30)
    assert err["error"]["code"] == "session_max_length"
    await asyncio.wait_for(c.ws.wait_closed(), 10)


async def test_revoking_the_key_ends_its_sessions(srv: Server) -> None:
    key = srv.new_key("revokes", ["realtime", "agents:write"])
    agent = srv.agent(key)
    with srv.client(key) as c:
        secret = c.post("/v1/realtime/client_secrets", json={"agent": agent}).json()["value"]
    by_key, by_secret = await _open(srv, agent, key), await _open(srv, agent, secret)
    assert isinstance(by_key, Client) and isinstance(by_secret, Client)
    await by_key.until("session.created")

    async def revoke() -> None:
        store = open_store(load_settings(env={}, data_dir=srv.data_dir))
        try:
            for k in await store.list_keys("revokes"):
                if k.parent is None:
                    await store.revoke_key(k.id)
        finally:
            await store.close()

    await revoke()
    for c in (by_key, by_secret):  # the secret dies with the key that minted it
        err = await c.until("error", 5)
        assert err["error"]["code"] == "session_credential_invalid"
        await asyncio.wait_for(c.ws.wait_closed(), 10)


def test_speech_in_flight_per_tenant_with_a_bounded_queue(srv: Server) -> None:
    key = srv.new_key("speaks", ["audio:speech"])
    long_text = "This sentence is read again and again to keep the synthesiser busy. " * 40

    async def run() -> None:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=120,
                                     headers={"authorization": f"Bearer {key}"}) as c:
            req = c.build_request("POST", "/v1/audio/speech", json={"input": long_text, "voice": "joe"})
            first = await c.send(req, stream=True)  # in flight (streaming, not yet read)
            assert first.status_code == 200
            queued = asyncio.ensure_future(c.post("/v1/audio/speech", json={"input": "Hello.", "voice": "joe"}))
            await asyncio.sleep(1.0)
            assert not queued.done()  # waiting in the tenant's queue
            _refusal(await c.post("/v1/audio/speech", json={"input": "Hi.", "voice": "joe"}), "speech_limit")
            await first.aclose()  # the first client leaves: the queued one goes ahead
            assert (await asyncio.wait_for(queued, 120)).status_code == 200
        with srv.client() as other:  # another tenant was never limited by this one
            assert other.post("/v1/audio/speech", json={"input": "Hi.", "voice": "joe"}).status_code == 200

    asyncio.run(run())


def test_a_queued_speech_request_whose_client_left_gives_its_place_back(srv: Server) -> None:
    """A request waiting in its tenant's queue, whose client gives up: its queue place
    comes back while the request ahead still holds the tenant's one slot, instead of the
    request waiting on to be synthesised for nobody once its turn comes."""
    key = srv.new_key("gives-up", ["audio:speech"])
    long_text = "This sentence is read again and again to keep the synthesiser busy. " * 40
    leases = srv.app.state.ctx.limiter.leases
    queued = lambda: run_async(leases.count("speech_limit_queue:gives-up"))  # noqa: E731

    async def run() -> None:
        async with httpx.AsyncClient(base_url=srv.base_url, timeout=120,
                                     headers={"authorization": f"Bearer {key}"}) as c:
            first = await c.send(c.build_request("POST", "/v1/audio/speech",
                                                 json={"input": long_text, "voice": "joe"}), stream=True)
            assert first.status_code == 200  # in flight: the tenant's one slot
            with pytest.raises(httpx.ReadTimeout):
                await c.post("/v1/audio/speech", json={"input": "Hello.", "voice": "joe", "stream": False},
                             timeout=2)
            left = time.monotonic()
            while queued() and time.monotonic() - left < 20:
                await asyncio.sleep(0.2)
            assert queued() == 0
            await first.aclose()

    asyncio.run(run())


def test_unstreamed_speech_stops_when_the_client_leaves(srv: Server) -> None:
    """`stream: false` on a long text, and the client gives up: synthesis stops at the next
    sentence and the tenant's slot comes back, instead of minutes of work for nobody."""
    key = srv.new_key("leaves", ["audio:speech"])
    text = "This sentence is read slowly, again and again, for a client that will not wait. " * 48
    with srv.client(key) as c, pytest.raises(httpx.ReadTimeout):
        c.post("/v1/audio/speech", json={"input": text[:4000], "voice": "joe", "stream": False, "speed": 0.25},
               timeout=3)
    limiter = srv.app.state.ctx.limiter
    in_flight = lambda: run_async(limiter.leases.count("speech_limit:leaves"))  # noqa: E731
    left = time.monotonic()
    while in_flight() and time.monotonic() - left < 30:
        time.sleep(0.2)
    freed_after = time.monotonic() - left
    assert in_flight() == 0
    # The whole text at speed 0.25 is ~15 minutes of audio (over a minute of CPU here).
    assert freed_after < 20, freed_after
