"""The quality fields and failure codes are defined once (api_contract); the gate, the
server's /openapi.json, the SDK and the CLI all follow that one definition."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from api_contract import FAILURE_CODES, FAILURES, QUALITY_FIELDS, quality_meta

ROOT = Path(__file__).resolve().parents[1]


def _judge_codes() -> set[str]:
    """The codes the gate's rules can answer (first argument of each ``rule(...)`` call)."""
    tree = ast.parse((ROOT / "voices/gate/judge.py").read_text())
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "rule"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


def test_the_gate_answers_exactly_the_contracts_codes_with_a_message_each() -> None:
    from voices.gate import messages

    assert _judge_codes() == set(FAILURE_CODES)
    assert set(messages._TEXT) == set(FAILURE_CODES)


def test_each_code_points_at_a_quality_field_and_has_a_fix() -> None:
    for code, failure in FAILURES.items():
        assert failure.code == code and failure.measure in QUALITY_FIELDS, code
        assert failure.fix.endswith(".") and failure.rule, code
    for name in QUALITY_FIELDS:
        assert set(quality_meta(name)) == {"label", "fmt", "description"}


def test_sdk_cli_and_openapi_follow_the_contract() -> None:
    from agent_server.api.openapi import PATHS, build_spec
    from pyai.cli.clones import _FAILURE_METRIC, _QUALITY_ROWS
    from pyai.failures import FIXES
    from pyai.types import VoiceQuality

    assert [f.name for f in dataclasses.fields(VoiceQuality) if f.name != "extra"] == list(QUALITY_FIELDS)
    assert set(FIXES) == set(FAILURE_CODES) and set(_FAILURE_METRIC) == set(FAILURE_CODES)
    assert [row[0] for row in _QUALITY_ROWS] == list(QUALITY_FIELDS)
    schemas = build_spec(set(PATHS))["components"]["schemas"]
    assert list(schemas["QualityValues"]["properties"]) == list(QUALITY_FIELDS)
    assert set(schemas["Failure"]["properties"]["code"]["enum"]) == set(FAILURE_CODES)
