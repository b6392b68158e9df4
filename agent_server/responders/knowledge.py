"""The embedded default responder: intents with example phrases and answers.

Config (on the agent)::

    {"type": "knowledge",
     "intents": [{"name": "hours", "examples": ["when are you open", ...],
                  "answer": "We're open nine to five on {weekday}."}],
     "fallback": "Sorry, I can help with opening hours and bookings.",
     "end_call": {"examples": ["goodbye", "that's all"], "answer": "Goodbye!"},
     "threshold": 0.65}

Matching must survive ASR errors ("when her you open") and paraphrase. Two scores are
combined per example and the best intent wins when it clears ``threshold``:
cosine similarity of all-MiniLM-L6-v2 embeddings (paraphrase; see :mod:`.embeddings`),
and RapidFuzz's normalised edit-distance ratios (misheard words and spelling). An answer
may use ``{date}``, ``{weekday}``, ``{time}``, ``{number}``: they are filled from the
caller's words (:mod:`.slots`); when one is missing the intent's ``ask`` prompt for it
(or a generic question) is spoken instead, and the slots heard so far are kept for the
next turn.
"""

from __future__ import annotations

import re
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from agent_server.responders import embeddings, slots
from agent_server.responders.base import Responder, ResponderTurn

DEFAULT_FALLBACK = "Sorry, I didn't catch that. Could you say it another way?"
DEFAULT_THRESHOLD = 0.65  # fuzzy ratios of unrelated short sentences reach ~0.55
_PLACEHOLDER = re.compile(r"\{(date|weekday|time|number)\}")
_ASK = {"date": "For which day?", "weekday": "For which day?", "time": "At what time?",
        "number": "For how many?"}
_MAX_INTENTS = 200
_MAX_EXAMPLES = 50


def _str(v: Any, what: str, limit: int = 4096, *, required: bool = True) -> str:
    if v is None and not required:
        return ""
    if not isinstance(v, str) or (required and not v.strip()) or len(v) > limit:
        raise ValueError(f"{what} must be a non-empty string of at most {limit} characters")
    return v


def _examples(v: Any, what: str) -> list[str]:
    if not isinstance(v, list) or not v or len(v) > _MAX_EXAMPLES:
        raise ValueError(f"{what} must be a list of 1 to {_MAX_EXAMPLES} example phrases")
    return [_str(e, f"each of {what}", 500) for e in v]


def validate_config(cfg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "knowledge", "intents": [], "fallback": DEFAULT_FALLBACK,
                           "end_call": None, "threshold": DEFAULT_THRESHOLD}
    unknown = set(cfg) - set(out)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    intents = cfg.get("intents") or []
    if not isinstance(intents, list) or len(intents) > _MAX_INTENTS:
        raise ValueError(f"'intents' must be a list of at most {_MAX_INTENTS} intents")
    for i, it in enumerate(intents):
        if not isinstance(it, dict):
            raise ValueError(f"intents[{i}] must be an object with 'examples' and 'answer'")
        entry = {"name": _str(it.get("name", f"intent_{i}"), f"intents[{i}].name", 100),
                 "examples": _examples(it.get("examples"), f"intents[{i}].examples"),
                 "answer": _str(it.get("answer"), f"intents[{i}].answer")}
        ask = it.get("ask")
        if ask is not None:
            if not isinstance(ask, dict) or not all(k in _ASK and isinstance(v, str) for k, v in ask.items()):
                raise ValueError(f"intents[{i}].ask maps slot names (date, time, number) to questions")
            entry["ask"] = ask
        out["intents"].append(entry)
    if cfg.get("fallback") is not None:
        out["fallback"] = _str(cfg["fallback"], "'fallback'")
    end = cfg.get("end_call")
    if end is not None:
        if not isinstance(end, dict):
            raise ValueError("'end_call' must be an object with 'examples' and 'answer'")
        out["end_call"] = {"examples": _examples(end.get("examples"), "end_call.examples"),
                           "answer": _str(end.get("answer", "Goodbye!"), "end_call.answer")}
    th = cfg.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(th, bool) or not isinstance(th, int | float) or not 0.0 < th < 1.0:
        raise ValueError("'threshold' must be a number between 0 and 1")
    out["threshold"] = float(th)
    return out


def _norm(text: str) -> str:
    text = text.lower().replace("'", "")
    text = text.translate(str.maketrans(string.punctuation, " " * len(string.punctuation)))
    return " ".join(text.split())


def fuzzy_score(said: str, example: str) -> float:
    """0..1. ``ratio``/``token_sort_ratio`` absorb misheard letters and word order;
    ``partial_ratio`` finds a phrase inside a longer sentence, but only for examples
    of three words or more, else "yes" would match everything containing "y-e-s"."""
    a, b = _norm(said), _norm(example)
    if not a or not b:
        return 0.0
    score = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))
    if len(b.split()) >= 3 and len(a) > len(b):
        score = max(score, 0.95 * fuzz.partial_ratio(b, a))
    return score / 100.0


@dataclass
class Match:
    index: int  # -1: end of call
    score: float


class KnowledgeResponder(Responder):
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = validate_config(config)
        self._labels: list[int] = []
        self._examples: list[str] = []
        for i, it in enumerate(self.config["intents"]):
            for ex in it["examples"]:
                self._labels.append(i)
                self._examples.append(ex)
        if self.config["end_call"]:
            for ex in self.config["end_call"]["examples"]:
                self._labels.append(-1)
                self._examples.append(ex)
        self._example_vecs: np.ndarray | None = None
        self._pending: dict[str, Any] | None = None  # intent waiting for a slot
        self._slots = slots.Slots()
        embeddings.start_loading()

    def _scores(self, said: str) -> np.ndarray:
        fuzzy = np.array([fuzzy_score(said, ex) for ex in self._examples], np.float32)
        if self._example_vecs is None:
            self._example_vecs = embeddings.encode(self._examples)
        vec = embeddings.encode([said]) if self._example_vecs is not None else None
        if vec is None or self._example_vecs is None:
            return fuzzy
        cos = self._example_vecs @ vec[0]
        # MiniLM cosines for true paraphrases sit ~0.6-0.9, unrelated ~0.0-0.3: on the
        # same scale as the fuzzy ratio once the low end is lifted a little.
        return np.maximum(fuzzy, np.clip(cos * 1.1, 0.0, 1.0))

    def match(self, said: str) -> Match | None:
        """The best intent (or end of call) for ``said``, if it clears the threshold."""
        if not self._examples or not said.strip():
            return None
        scores = self._scores(said)
        best = int(np.argmax(scores))
        if scores[best] < self.config["threshold"]:
            return None
        return Match(self._labels[best], float(scores[best]))

    def snapshot(self) -> object:
        return (self._pending, slots.Slots(self._slots.date, self._slots.time, self._slots.number))

    def restore(self, state: object) -> None:
        if isinstance(state, tuple):
            self._pending, self._slots = state

    def _answer(self, intent: dict[str, Any]) -> str:
        values = self._slots.values()
        for name in _PLACEHOLDER.findall(intent["answer"]):
            if name not in values:
                self._pending = intent
                return intent.get("ask", {}).get(name) or _ASK[name]
        self._pending = None
        self._slots = slots.Slots()
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], intent["answer"])

    def _heard(self, said: str) -> bool:
        new = slots.extract(said)
        got = False
        for name in ("date", "time", "number"):
            if getattr(new, name) is not None:
                setattr(self._slots, name, getattr(new, name))
                got = True
        return got

    async def reply(self, turn: ResponderTurn) -> AsyncIterator[str]:
        said = turn.text
        match = await turn.run_cpu(self.match, said)
        got_slot = self._heard(said)
        if match is not None and match.index == -1:
            turn.end_call = True
            yield self.config["end_call"]["answer"]
            return
        if match is None and self._pending is not None and got_slot:
            # "Tomorrow at seven" answers the question we just asked.
            yield self._answer(self._pending)
            return
        if match is None:
            yield self.config["fallback"]
            return
        yield self._answer(self.config["intents"][match.index])
