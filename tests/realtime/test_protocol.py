"""REALTIME.md's client events parsed into typed values, and the errors a bad one gets."""

from __future__ import annotations

import base64
import json

import pytest

from agent_server.realtime import protocol as p


def _parse(**event: object) -> p.ClientEvent:
    return p.parse_client_event(json.dumps(event))


def _code(raw: str | bytes) -> str:
    with pytest.raises(p.ProtocolError) as info:
        p.parse_client_event(raw)
    return info.value.code


def test_events_parse_into_their_types() -> None:
    assert _parse(type="response.create", event_id="e1") == p.ResponseCreate("e1")
    assert _parse(type="input_audio_buffer.commit") == p.AudioCommit(None)
    append = _parse(type="input_audio_buffer.append", audio=base64.b64encode(b"\x01\x02").decode())
    assert append == p.AudioAppend(None, b"\x01\x02")
    msg = _parse(type="conversation.item.create", item={"type": "message", "role": "user", "id": "item_1",
                                                        "content": [{"type": "input_text", "text": " hi "}]})
    assert msg == p.UserMessage(None, "item_1", "hi")


def test_session_update_fields() -> None:
    up = _parse(type="session.update", session={
        "instructions": "Be brief.", "input_audio_format": "g711_ulaw",
        "audio": {"output": {"format": {"type": "audio/pcma"}},
                  "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 800,
                                               "create_response": False}}}})
    assert isinstance(up, p.SessionUpdate)
    assert (up.input_format, up.output_format, up.instructions) == ("audio/pcmu", "audio/pcma", "Be brief.")
    assert up.turn_detection_given and up.create_response is False
    td = up.turn_detection_over({"type": "server_vad", "threshold": 0.7, "silence_duration_ms": 500,
                                 "prefix_padding_ms": 300})
    assert td == {"type": "server_vad", "threshold": 0.7, "silence_duration_ms": 800, "prefix_padding_ms": 300}
    ptt = _parse(type="session.update", session={"turn_detection": None})
    assert isinstance(ptt, p.SessionUpdate) and ptt.turn_detection_given and ptt.turn_detection_over(td) is None
    same = _parse(type="session.update", session={})
    assert isinstance(same, p.SessionUpdate) and not same.turn_detection_given and same.input_format is None


def test_bad_events_name_their_problem() -> None:
    assert _code("{not json") == "invalid_json"
    assert _code("[1]") == "invalid_event"
    assert _code(json.dumps({"type": "nope.nope"})) == "unknown_event"
    assert _code(json.dumps({"type": "session.update"})) == "invalid_event"
    assert _code(json.dumps({"type": "session.update", "session": {"input_audio_format": "mp3"}})) == "invalid_value"
    assert _code(json.dumps({"type": "session.update", "session": {"instructions": 3}})) == "invalid_value"
    bad_td = {"type": "session.update", "session": {"turn_detection": {"threshold": 5}}}
    with pytest.raises(p.ProtocolError) as info:
        p.parse_client_event(json.dumps(bad_td))
    assert info.value.param == "turn_detection.threshold"
    assert _code(json.dumps({"type": "input_audio_buffer.append", "audio": "%%%"})) == "invalid_audio"
    assert _code(json.dumps({"type": "input_audio_buffer.append", "audio": 5})) == "invalid_audio"
    assert _code(json.dumps({"type": "conversation.item.create", "item": {"role": "assistant"}})) == "invalid_item"
    long_text = {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "a" * (p.MAX_TEXT_CHARS + 1)}]}}
    assert _code(json.dumps(long_text)) == "invalid_item"
    with pytest.raises(p.ProtocolError) as info:
        p.parse_client_event(json.dumps({"type": "nope", "event_id": "evt_7"}))
    assert info.value.event_id == "evt_7"


def test_server_events_are_numbered_and_shaped() -> None:
    ev = p.ServerEvents("sess_abcdefgh12345")
    a, b = ev.input_cleared(), ev.committed("item_1")
    assert a["event_id"] != b["event_id"] and a["event_id"].startswith("event_abcdefgh")
    done = ev.response_finished(response_id="resp_1", item_id="item_2", conversation_id="sess_x", status="failed",
                                transcript="", status_details={"type": "failed", "error": {"code": "reply_failed"}},
                                timings={"asr_ms": 12.34})
    assert [e["type"] for e in done] == ["response.output_audio.done", "response.output_audio_transcript.done",
                                         "response.output_item.done", "response.done"]
    body = done[-1]["response"]
    assert body["status"] == "failed" and body["output"][0]["status"] == "incomplete"
    assert body["x_timings"] == {"asr_ms": 12.3}
