"""Request bodies are checked by the same models that `/openapi.json` is generated from:
unknown fields refused, JSON types taken as they are, each refusal a 400 with the
contract's code and a message naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agent_server.api import schemas as s
from agent_server.api.bodies import parse
from agent_server.api.openapi import PATHS, build_spec
from agent_server.errors import BadRequest

SPEECH = {"input": "Hello.", "voice": "joe"}


@pytest.mark.parametrize(("model", "body", "code", "param", "words"), [
    (s.SpeechRequest, {**SPEECH, "voise": "joe"}, "invalid_request", "voise", "Unknown field(s): voise"),
    (s.SpeechRequest, {**SPEECH, "speed": True}, "invalid_speed", "speed", "0.25 to 4.0"),
    (s.SpeechRequest, {**SPEECH, "speed": "1"}, "invalid_speed", "speed", "number"),
    (s.SpeechRequest, {**SPEECH, "stream": 1}, "invalid_request", "stream", "true or false"),
    (s.SpeechRequest, {**SPEECH, "response_format": "ogg"}, "invalid_format", "response_format", "'ogg'"),
    (s.SpeechRequest, {**SPEECH, "stream_format": "sse"}, "invalid_request", "stream_format", "'audio'"),
    (s.SpeechRequest, {"input": "   ", "voice": "joe"}, "invalid_request", "input", "required"),
    (s.SpeechRequest, {"input": "hi", "voice": 7}, "invalid_request", "voice", "stock voice"),
    (s.AgentCreate, {}, "invalid_request", "name", "'name' is required"),
    (s.AgentCreate, {"name": "x" * 101}, "text_too_long", "name", "the maximum is 100"),
    (s.AgentCreate, {"name": "a", "knowledge": "k" * 40000}, "knowledge_too_long", "knowledge", "32768"),
    (s.AgentCreate, {"name": "a", "greeting": ["hi"]}, "invalid_request", "greeting", "a string"),
    (s.AgentCreate, {"name": "a", "turn_detection": {"threshold": 7}}, "invalid_request",
     "turn_detection.threshold", "between 0.05 and 0.95"),
    (s.AgentCreate, {"name": "a", "turn_detection": {"silence_ms": 7}}, "invalid_request",
     "turn_detection.silence_ms", "Unknown field"),
    (s.AgentCreate, {"name": "a", "turn_detection": "vad"}, "invalid_request", "turn_detection", "object or null"),
    (s.AgentCreate, {"name": "a", "responder": "gpt"}, "invalid_responder", "responder", "'type'"),
    (s.AgentUpdate, {"name": None}, "invalid_request", "name", "a string"),
    (s.AgentUpdate, {"telephony_token": "mine"}, "invalid_request", "telephony_token", "rotate"),
    (s.AgentUpdate, {"id": "agent_x", "object": "agent"}, "invalid_request", "id", "id, object"),
    (s.ClientSecretRequest, {"agent": "a", "expires_after": {"seconds": "60"}}, "invalid_request",
     "expires_after.seconds", "an integer"),
])
def test_refusals_name_the_field(model: type[BaseModel], body: dict[str, Any], code: str, param: str,
                                 words: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(model, body)
    err = caught.value
    assert (err.status, err.code, err.param) == (400, code, param)
    assert words in err.message, err.message
    assert param in err.message, err.message  # the message names the field too


def test_valid_bodies_parse_to_their_values() -> None:
    req = parse(s.SpeechRequest, {**SPEECH, "speed": 2, "model": "tts-1", "response_format": None})
    assert (req.speed, req.response_format, req.stream) == (2.0, None, True)
    agent = parse(s.AgentCreate, {"name": "  Desk  ", "turn_detection": None})
    assert agent.name == "Desk" and agent.turn_detection is None and "turn_detection" in agent.model_fields_set
    patch = parse(s.AgentUpdate, {"turn_detection": {"silence_duration_ms": 800}})
    assert patch.model_fields_set == {"turn_detection"}
    assert patch.turn_detection is not None and patch.turn_detection.threshold is None


def test_openapi_is_generated_from_the_validating_models() -> None:
    spec = build_spec(set(PATHS), max_speech_chars=1234)
    schemas = spec["components"]["schemas"]
    for model in (s.SpeechRequest, s.AgentCreate, s.AgentUpdate, s.ClientSecretRequest, s.TurnDetection):
        doc = schemas[model.__name__]
        assert doc["additionalProperties"] is False, model  # unknown fields refused, and documented so
        assert set(doc["properties"]) == set(model.model_fields)
    assert schemas["SpeechRequest"]["properties"]["input"]["maxLength"] == 1234  # the configured limit
    body = spec["paths"]["/v1/audio/speech"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SpeechRequest"}
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for ref in _refs(op):
                assert ref.rsplit("/", 1)[-1] in schemas, (path, ref)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []
