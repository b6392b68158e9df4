"""WebRTC: an aiortc peer sends an SDP offer, gets a 201 answer, hears the greeting on
the Opus track and gets the events on `oai-events`."""

from __future__ import annotations

import asyncio
import json

import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from tests.realtime.conftest import LiveServer


async def test_webrtc_call(rt_server: LiveServer, agent_id: str) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channel = pc.createDataChannel("oai-events")
    pc.addTrack(AudioStreamTrack())  # silence from the "microphone"
    events: list[dict] = []
    done = asyncio.Event()
    heard: list[float] = []
    listeners: list[asyncio.Future] = []

    @channel.on("message")
    def on_message(msg: str) -> None:
        ev = json.loads(msg)
        events.append(ev)
        if ev["type"] == "response.done":
            done.set()

    @pc.on("track")
    def on_track(track) -> None:
        async def listen() -> None:
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                heard.append(float(np.abs(frame.to_ndarray()).max()))

        listeners.append(asyncio.ensure_future(listen()))

    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{rt_server.base_url}/v1/realtime/calls", params={"agent": agent_id},
                            content=pc.localDescription.sdp,
                            headers={"authorization": f"Bearer {rt_server.api_key}", "content-type": "application/sdp"})
    assert r.status_code == 201 and r.headers["content-type"].startswith("application/sdp")
    assert "opus" in r.text.lower()
    await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
    await asyncio.wait_for(done.wait(), 60)
    types = [e["type"] for e in events]
    assert types[0] == "session.created"
    assert "response.output_audio.delta" not in types  # audio rides the track
    await asyncio.sleep(1.0)
    assert max(heard, default=0) > 1000  # the greeting was audible on the track
    await pc.close()
