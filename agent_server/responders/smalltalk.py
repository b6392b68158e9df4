"""Built-in small talk and fallbacks, so an agent with nothing but a name and a voice
still holds a polite conversation instead of repeating one canned line."""

from __future__ import annotations

import re

# Matched like intents (fuzzy + embedding score) but with a higher bar than a user's own
# intents, so a question that is really about the agent's topic is never taken as chat.
THRESHOLD = 0.75

TOPICS: list[tuple[str, list[str]]] = [
    ("greeting", ["hello", "hi there", "hey", "good morning", "good afternoon", "good evening"]),
    ("how_are_you", ["how are you", "how are you doing today", "how is it going"]),
    ("thanks", ["thank you", "thanks a lot", "thank you very much"]),
    ("who", ["who are you", "what is your name", "am I talking to a robot", "are you a real person"]),
    ("abilities", ["what can you do", "what can you help me with", "what do you know", "how can you help me"]),
]


def answer(topic: int, name: str, facts: list[str]) -> str:
    kind = TOPICS[topic][0]
    if kind == "greeting":
        return "Hello! How can I help you?"
    if kind == "how_are_you":
        return "I'm doing well, thank you. How can I help?"
    if kind == "thanks":
        return "You're welcome."
    if kind == "who":
        who = f"I'm {name}, an automated voice assistant." if name else "I'm an automated voice assistant."
        return who + " How can I help?"
    if facts:
        return "I can answer questions about what I've been told. For example: " + facts[0]
    return "I can chat, but I haven't been told much about this service yet."


def barely_words(said: str) -> bool:
    """One word or less: most likely noise or a fragment the recogniser caught."""
    return len(re.findall(r"[A-Za-z0-9']+", said)) <= 1


def not_heard() -> str:
    return "Sorry, I didn't catch that. Could you say it again?"


def not_known(has_facts: bool) -> str:
    if has_facts:
        return "I'm sorry, I don't know that. Is there anything else I can help with?"
    return "I'm sorry, I can't answer that. I haven't been told much about this service yet."
