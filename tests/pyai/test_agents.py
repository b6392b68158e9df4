"""``pyai.agents`` against the real server: create, get, list, update (PATCH), delete."""

from __future__ import annotations

import pytest

from pyai import AsyncPyAI, BadRequestError, ConflictError, NotFoundError, PyAI, Voice
from tests.conftest import LiveServer


def test_agent_lifecycle(client: PyAI, ready_voice: Voice) -> None:
    agent = client.agents.create(
        name="Front desk", voice="joe", greeting="Hello! How can I help?", instructions="Be brief."
    )
    try:
        assert agent.id.startswith("agent_")
        assert (agent.name, agent.voice, agent.greeting, agent.instructions) == (
            "Front desk",
            "joe",
            "Hello! How can I help?",
            "Be brief.",
        )
        assert isinstance(agent.responder, dict) and agent.responder
        assert isinstance(agent.turn_detection, dict)
        assert isinstance(agent.created_at, int)
        assert client.agents.get(agent.id).to_dict() == agent.to_dict()
        assert agent.id in [a.id for a in client.agents.list()]

        updated = client.agents.update(agent.id, voice=ready_voice.id, greeting="Hi there.")
        assert (updated.voice, updated.greeting) == (ready_voice.id, "Hi there.")
        assert updated.name == "Front desk"  # PATCH leaves the rest alone
        assert updated.instructions == "Be brief."

        tuned = client.agents.update(agent.id, turn_detection={"silence_duration_ms": 800})
        assert tuned.turn_detection is not None and tuned.turn_detection["silence_duration_ms"] == 800
    finally:
        assert client.agents.delete(agent.id).deleted
    with pytest.raises(NotFoundError):
        client.agents.get(agent.id)


def test_agent_defaults_apply_when_fields_are_omitted(client: PyAI) -> None:
    agent = client.agents.create(name="Minimal")
    try:
        assert agent.voice  # the server's stock default
        assert agent.turn_detection is not None
    finally:
        client.agents.delete(agent.id)


def test_agent_list_pages(client: PyAI) -> None:
    ids = [client.agents.create(name=f"pager {i}").id for i in range(3)]
    try:
        listed = [a.id for a in client.agents.list(limit=1)]
        assert set(ids) <= set(listed)
        assert len(listed) == len(set(listed))
    finally:
        for agent_id in ids:
            client.agents.delete(agent_id)


def test_agent_voice_is_checked(client: PyAI, failed_voice: Voice) -> None:
    with pytest.raises(BadRequestError):
        client.agents.create(name="Nobody", voice="voice_doesnotexist")
    with pytest.raises(ConflictError):
        client.agents.create(name="Not ready", voice=failed_voice.id)


def test_extra_body_carries_the_full_object(client: PyAI) -> None:
    agent = client.agents.create(
        name="From JSON", extra_body={"greeting": "from body", "turn_detection": {"threshold": 0.7}}
    )
    try:
        assert agent.greeting == "from body"
        assert agent.turn_detection is not None and agent.turn_detection["threshold"] == 0.7
    finally:
        client.agents.delete(agent.id)


def test_other_tenant_cannot_see_the_agent(server: LiveServer, client: PyAI) -> None:
    agent = client.agents.create(name="Private")
    try:
        other = PyAI(api_key=server.create_key("pyai-agents-other", "agents:write"), base_url=server.base_url)
        with pytest.raises(NotFoundError):
            other.agents.get(agent.id)
        with pytest.raises(NotFoundError):
            other.agents.update(agent.id, name="stolen")
    finally:
        client.agents.delete(agent.id)


async def test_async_agents(server: LiveServer) -> None:
    async with AsyncPyAI(api_key=server.api_key, base_url=server.base_url) as pyai:
        agent = await pyai.agents.create(name="Async agent", greeting="Hey")
        assert (await pyai.agents.get(agent.id)).greeting == "Hey"
        assert (await pyai.agents.update(agent.id, name="Renamed")).name == "Renamed"
        assert agent.id in [a.id async for a in pyai.agents.list()]
        assert (await pyai.agents.delete(agent.id)).deleted
