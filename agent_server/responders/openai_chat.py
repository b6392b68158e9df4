"""A responder backed by any OpenAI-compatible chat-completions server, streamed.

Config (on the agent)::

    {"type": "openai", "base_url": "http://127.0.0.1:8080/v1", "model": "llama-3.1-8b",
     "api_key_env": "LLM_API_KEY", "temperature": 0.7, "max_tokens": 300}

The key itself never sits in the agent record: only the name of the environment
variable that holds it, read when the session starts. The system prompt is the agent's
``instructions``, followed by its ``knowledge`` text when it has one; history is sent
as is. Tokens are yielded as they arrive (SSE ``data:`` lines of
``chat.completion.chunk`` objects), so the TTS can start on the first sentence while
the model is still writing the rest.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from agent_server.responders.base import Responder, ResponderTurn

log = logging.getLogger("agent_server.responders")

FAILURE_REPLY = "Sorry, I can't answer that right now. Please try again in a moment."
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def validate_config(cfg: dict[str, Any]) -> dict[str, Any]:
    allowed = {"type", "base_url", "model", "api_key_env", "temperature", "max_tokens", "timeout_s"}
    unknown = set(cfg) - allowed
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    base = cfg.get("base_url")
    if not isinstance(base, str) or not re.match(r"^https?://[^\s]+$", base):
        raise ValueError("'base_url' must be an http(s) URL such as http://127.0.0.1:8080/v1")
    model = cfg.get("model")
    if not isinstance(model, str) or not model or len(model) > 200:
        raise ValueError("'model' must be the model name the chat server expects")
    env = cfg.get("api_key_env")
    if env is not None and (not isinstance(env, str) or not _ENV_NAME.match(env)):
        raise ValueError("'api_key_env' must be the name of an environment variable")
    temp = cfg.get("temperature", 0.7)
    if isinstance(temp, bool) or not isinstance(temp, int | float) or not 0 <= temp <= 2:
        raise ValueError("'temperature' must be between 0 and 2")
    max_tokens = cfg.get("max_tokens", 300)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= 4096:
        raise ValueError("'max_tokens' must be an integer between 1 and 4096")
    timeout = cfg.get("timeout_s", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 1 <= timeout <= 300:
        raise ValueError("'timeout_s' must be between 1 and 300 seconds")
    return {"type": "openai", "base_url": base.rstrip("/"), "model": model, "api_key_env": env,
            "temperature": float(temp), "max_tokens": max_tokens, "timeout_s": float(timeout)}


class OpenAIChatResponder(Responder):
    def __init__(self, config: dict[str, Any], instructions: str = "", knowledge: str = "") -> None:
        self.config = validate_config(config)
        self.instructions = instructions
        self.knowledge = knowledge
        headers = {"content-type": "application/json"}
        env = self.config["api_key_env"]
        if env and os.environ.get(env):
            headers["authorization"] = f"Bearer {os.environ[env]}"
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(self.config["timeout_s"], connect=5.0))

    def _messages(self, turn: ResponderTurn) -> list[dict[str, str]]:
        system = turn.instructions or self.instructions
        if self.knowledge.strip():
            # The agent's knowledge text, for the model to answer from as the embedded
            # responder would.
            system = (system + "\n\n" if system else "") + "Answer from these facts:\n" + self.knowledge.strip()
        msgs = [{"role": "system", "content": system}] if system else []
        msgs += [{"role": m.role, "content": m.content} for m in turn.history]
        msgs.append({"role": "user", "content": turn.text})
        return msgs

    async def reply(self, turn: ResponderTurn) -> AsyncIterator[str]:
        body = {"model": self.config["model"], "messages": self._messages(turn), "stream": True,
                "temperature": self.config["temperature"], "max_tokens": self.config["max_tokens"]}
        said_anything = False
        try:
            async with self._client.stream("POST", f"{self.config['base_url']}/chat/completions",
                                           json=body) as resp:
                if resp.status_code != 200:
                    detail = (await resp.aread())[:300].decode("utf-8", "replace")
                    log.warning("chat server answered %s: %s", resp.status_code, detail)
                    yield FAILURE_REPLY
                    return
                async for line in resp.aiter_lines():
                    text = _delta(line)
                    if text is None:
                        break
                    if text:
                        said_anything = True
                        yield text
        except httpx.HTTPError as exc:
            log.warning("chat server unreachable: %s", exc)
            if not said_anything:
                yield FAILURE_REPLY

    async def aclose(self) -> None:
        await self._client.aclose()


def _delta(line: str) -> str | None:
    """The content of one SSE line: '' for nothing to say, None at ``[DONE]``."""
    line = line.strip()
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        chunk = json.loads(data)
        choice = chunk["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
    content = (choice.get("delta") or {}).get("content") or ""
    return content if isinstance(content, str) else ""
