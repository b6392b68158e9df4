"""The official `openai` package's realtime client talks to an agent, agent id as model."""

from __future__ import annotations

import base64

import numpy as np
from openai import AsyncOpenAI

from tests.realtime.conftest import LiveServer
from tests.realtime.helpers import silence


async def test_openai_realtime_client(rt_server: LiveServer, agent_id: str, speech) -> None:
    client = AsyncOpenAI(base_url=f"{rt_server.base_url}/v1", api_key=rt_server.api_key)
    async with client.realtime.connect(model=agent_id) as conn:
        ev = await conn.recv()
        assert ev.type == "session.created"
        await conn.session.update(session={"type": "realtime", "audio": {
            "input": {"format": {"type": "audio/pcmu"}}, "output": {"format": {"type": "audio/pcmu"}}}})
        types = []
        async for ev in conn:
            types.append(ev.type)
            if ev.type == "session.updated":
                assert ev.session.audio.input.format.type == "audio/pcmu"
            if ev.type == "response.done":  # the greeting
                break
        import av

        enc = av.CodecContext.create("pcm_mulaw", "w")
        enc.sample_rate, enc.format, enc.layout = 8000, "s16", "mono"
        from voices.audio_io import resample

        pcm = (np.clip(resample(np.concatenate([speech("When are you open?"), silence(1.2)]), 24000, 8000), -1, 1)
               * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = 8000
        ulaw = b"".join(bytes(p) for p in enc.encode(frame))
        for i in range(0, len(ulaw), 160 * 5):
            await conn.input_audio_buffer.append(audio=base64.b64encode(ulaw[i:i + 800]).decode())
        audio = b""
        transcript = None
        async for ev in conn:
            if ev.type == "conversation.item.input_audio_transcription.completed":
                transcript = ev.transcript
            elif ev.type == "response.output_audio.delta":
                audio += base64.b64decode(ev.delta)
            elif ev.type == "response.done":
                assert ev.response.status == "completed"
                break
        assert transcript and "open" in transcript.lower()
        assert len(audio) > 4000  # μ-law at 8 kHz: > 0.5 s
