"""Property-based fuzzing of the HTTP API from its own `/openapi.json` (schemathesis):
valid and invalid requests generated for every HTTP operation, sent with a real key to
a real server; no answer is a 5xx, invalid input is refused with a 4xx, and every
answer's status, content type and JSON body are the ones the document promises.

Bounded: a fixed number of cases per operation and mode (a few hundred in all),
derandomized so a failure reproduces, each operation under a pytest timeout; about a
minute on 2 cores. The WebSocket routes are not HTTP operations and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from agent_server.api.openapi import PATHS, build_spec
from tests.server.inproc import Server, serve

CASES = 20  # per operation and mode: ~450 in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# Limits high enough that the fuzzer is not throttled into testing only 429s; models
# load when first needed (random text rarely names a real voice, so speech is rare).
_SETTINGS: dict[str, Any] = {
    "limits": {"requests_per_key_per_s": 10_000, "failed_auth_per_address_per_min": 100_000,
               "client_secrets_per_key_per_min": 10_000},
    "models": {"preload": False},
}
_WEBSOCKETS = {"/v1/realtime", "/v1/telephony/twilio"}
# The document as this code builds it, for collecting one test per operation; the test
# checks that the running server serves exactly this document.
_SPEC = build_spec(set(PATHS))
_SCHEMA = schemathesis.openapi.from_dict(_SPEC)
_CASES = [(path, method.upper(), mode) for path, ops in PATHS.items() if path not in _WEBSOCKETS
          for method, op in ops.items()
          # Invalid requests need something to make invalid: a body (paths and queries are free text).
          for mode in ([GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if "requestBody" in op
                       else [GenerationMode.POSITIVE])]
schemathesis.serializer.alias("application/sdp", "text/plain")  # an SDP offer is text


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(str(tmp_path_factory.mktemp("fuzz")), **_SETTINGS)


def test_the_server_serves_the_fuzzed_document(fuzzed: Server) -> None:
    with fuzzed.client() as c:
        assert c.get("/openapi.json").json() == _SPEC


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("path", "method", "mode"), _CASES, ids=[f"{m} {p} {g}" for p, m, g in _CASES])
def test_no_5xx_and_every_answer_conforms(fuzzed: Server, path: str, method: str, mode: GenerationMode) -> None:
    operation = _SCHEMA[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(base_url=fuzzed.base_url, headers={"Authorization": f"Bearer {fuzzed.key}"},
                               checks=CHECKS, timeout=30)

    check()
