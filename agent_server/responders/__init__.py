"""How an agent decides what to say: one small interface, several implementations.

- :mod:`.knowledge` — the embedded default: intents with example phrases and answers,
  matched robustly to ASR errors, with slot filling, then answers found in the agent's
  own instructions and knowledge text (:mod:`.facts`); needs no network.
- :mod:`.openai_chat` — any OpenAI-compatible chat-completions server, streamed.

A responder is built per session from the agent's ``responder`` config, so a PATCH to
the agent takes effect at the next session.
"""

from __future__ import annotations

from typing import Any

from agent_server.responders.base import Message, Responder, ResponderTurn

__all__ = ["Message", "Responder", "ResponderTurn", "build_responder", "validate_responder_config"]


def validate_responder_config(value: Any) -> dict[str, Any]:
    """Normalise and check a ``responder`` config; raises ``ValueError`` with a message
    the API returns as is. ``None`` means the embedded knowledge responder, empty."""
    if value is None:
        value = {"type": "knowledge"}
    if not isinstance(value, dict):
        raise ValueError("must be an object with a 'type' ('knowledge' or 'openai')")
    kind = value.get("type", "knowledge")
    if kind == "knowledge":
        from agent_server.responders.knowledge import validate_config

        return validate_config(value)
    if kind in ("openai", "openai_chat"):
        from agent_server.responders.openai_chat import validate_config as validate_openai

        return validate_openai(value)
    raise ValueError(f"unknown type {kind!r}; use 'knowledge' or 'openai'")


def build_responder(config: dict[str, Any] | None, instructions: str = "", *, knowledge: str = "",
                    name: str = "") -> Responder:
    """``knowledge`` and ``name`` are the agent's: the embedded responder answers from
    the knowledge text and introduces itself by name; a chat server gets the knowledge
    text after the instructions in its system prompt."""
    config = validate_responder_config(config)
    if config["type"] == "knowledge":
        from agent_server.responders.knowledge import KnowledgeResponder

        return KnowledgeResponder(config, knowledge=knowledge, name=name)
    from agent_server.responders.openai_chat import OpenAIChatResponder

    return OpenAIChatResponder(config, instructions, knowledge)
