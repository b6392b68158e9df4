"""`agent-server keys ...` against both stores, as an operator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REDIS_TEST_URL, flush_redis, require_redis


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_server", "keys", *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_SERVER_") and k != "REDIS_URL"}
    base["AGENT_SERVER_DATA_DIR"] = str(tmp_path)
    if request.param == "redis":
        require_redis()
        flush_redis()
        base["REDIS_URL"] = REDIS_TEST_URL
        request.addfinalizer(flush_redis)
    return base


def test_create_list_revoke(env: dict[str, str]) -> None:
    out = run(env, "create", "--tenant", "acme", "--scopes", "voice:clone,audio:speech", "--name", "backend")
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip().splitlines()[-1]
    assert secret.startswith("sk-") and " " not in secret
    listed = json.loads(run(env, "list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["tenant"] == "acme" and listed[0]["name"] == "backend"
    assert secret not in json.dumps(listed) and "hash" not in listed[0]
    assert run(env, "revoke", listed[0]["id"]).returncode == 0
    assert json.loads(run(env, "list", "--json").stdout)[0]["revoked"] is True
    assert run(env, "revoke", "key_missing").returncode == 1


def test_bad_scopes_are_a_usage_error(env: dict[str, str]) -> None:
    out = run(env, "create", "--tenant", "acme", "--scopes", "voice:clone,superpowers")
    assert out.returncode == 2 and "superpowers" in out.stderr
