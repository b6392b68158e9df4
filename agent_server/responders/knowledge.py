"""The embedded default responder: intents with example phrases and answers, then the
agent's own words (instructions and ``knowledge`` text), then small talk.

Config (on the agent)::

    {"type": "knowledge",
     "intents": [{"name": "hours", "examples": ["when are you open", ...],
                  "answer": "We're open nine to five on {weekday}."}],
     "fallback": "Sorry, I can help with opening hours and bookings.",
     "end_call": {"examples": ["goodbye", "that's all"], "answer": "Goodbye!"},
     "threshold": 0.65, "min_similarity": 0.35}

Intents take precedence; when none matches, the sentence of the agent's text nearest
the question (:mod:`.facts`, ``min_similarity``) is the answer; then built-in small
talk (:mod:`.smalltalk`); then ``fallback``, or without one a reply that tells "I didn't
hear you" from "I don't know that".

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
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from agent_server.responders import embeddings, slots, smalltalk
from agent_server.responders.base import Responder, ResponderTurn
from agent_server.responders.facts import MIN_SIMILARITY, fact_base

# The fallback agents were given before they could answer from their text: stored
# configs that still carry it get the built-in replies instead.
LEGACY_FALLBACK = "Sorry, I didn't catch that. Could you say it another way?"
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
    out: dict[str, Any] = {"type": "knowledge", "intents": [], "fallback": None,
                           "end_call": None, "threshold": DEFAULT_THRESHOLD, "min_similarity": MIN_SIMILARITY}
    unknown = set(cfg) - set(out)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    intents = cfg.get("intents") or []
    if not isinstance(intents, list) or len(intents) > _MAX_INTENTS:
        raise ValueError(f"'intents' must be a list of at most {_MAX_INTENTS} intents")
    for i, it in enumerate(intents):
        if not isinstance(it, dict):
            raise ValueError(f"intents[{i}] must be an object with 'examples' and 'answer'")
        entry: dict[str, Any] = {"name": _str(it.get("name", f"intent_{i}"), f"intents[{i}].name", 100),
                 "examples": _examples(it.get("examples"), f"intents[{i}].examples"),
                 "answer": _str(it.get("answer"), f"intents[{i}].answer")}
        ask = it.get("ask")
        if ask is not None:
            if not isinstance(ask, dict) or not all(k in _ASK and isinstance(v, str) for k, v in ask.items()):
                raise ValueError(f"intents[{i}].ask maps slot names (date, time, number) to questions")
            entry["ask"] = ask
        out["intents"].append(entry)
    if cfg.get("fallback") is not None and cfg["fallback"] != LEGACY_FALLBACK:
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
    sim = cfg.get("min_similarity", MIN_SIMILARITY)
    if isinstance(sim, bool) or not isinstance(sim, int | float) or not 0.0 < sim < 1.0:
        raise ValueError("'min_similarity' must be a number between 0 and 1")
    out["min_similarity"] = float(sim)
    return out


def _norm(text: str) -> str:
    text = text.lower().replace("'", "")
    text = text.translate(str.maketrans(string.punctuation, " " * len(string.punctuation)))
    return " ".join(text.split())


def fuzzy_score(said: str, example: str, *, partial: bool = True) -> float:
    """0..1. ``ratio``/``token_sort_ratio`` absorb misheard letters and word order;
    ``partial_ratio`` finds a phrase inside a longer sentence, but only for examples
    of three words or more, else "yes" would match everything containing "y-e-s"."""
    a, b = _norm(said), _norm(example)
    if not a or not b:
        return 0.0
    score = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))
    if partial and len(b.split()) >= 3 and len(a) > len(b):
        score = max(score, 0.95 * fuzz.partial_ratio(b, a))
    return score / 100.0


@dataclass
class Match:
    index: int  # -1: end of call
    score: float


class _Examples:
    """Example phrases with labels, scored against what the caller said."""

    def __init__(self, labelled: list[tuple[int, str]], *, phrase_in_sentence: bool = True) -> None:
        """``phrase_in_sentence``: an example found inside a longer sentence counts
        (right for a user's intents; wrong for small talk, where "how are you" sits
        inside "when are you open")."""
        self.labels = [lab for lab, _ in labelled]
        self.examples = [ex for _, ex in labelled]
        self.phrase_in_sentence = phrase_in_sentence
        self._vecs: np.ndarray | None = None

    def scores(self, said: str) -> np.ndarray:
        fuzzy = np.array([fuzzy_score(said, ex, partial=self.phrase_in_sentence) for ex in self.examples],
                         np.float32)
        if self._vecs is None:
            self._vecs = embeddings.encode(self.examples)
        vec = embeddings.encode([said]) if self._vecs is not None else None
        if vec is None or self._vecs is None:
            return fuzzy
        cos = self._vecs @ vec[0]
        # MiniLM cosines for true paraphrases sit ~0.6-0.9, unrelated ~0.0-0.3: on the
        # same scale as the fuzzy ratio once the low end is lifted a little.
        return np.maximum(fuzzy, np.clip(cos * 1.1, 0.0, 1.0))

    def best(self, said: str, threshold: float) -> Match | None:
        if not self.examples or not said.strip():
            return None
        scores = self.scores(said)
        best = int(np.argmax(scores))
        if scores[best] < threshold:
            return None
        return Match(self.labels[best], float(scores[best]))


_SMALL_TALK_LOCK = threading.Lock()
_small_talk_matcher: _Examples | None = None


def _small_talk() -> _Examples:
    """One process-wide matcher for the built-in small talk (its embeddings computed once)."""
    global _small_talk_matcher
    with _SMALL_TALK_LOCK:
        if _small_talk_matcher is None or _small_talk_matcher._vecs is None:
            _small_talk_matcher = _small_talk_matcher or _Examples(
                [(i, ex) for i, (_, examples) in enumerate(smalltalk.TOPICS) for ex in examples],
                phrase_in_sentence=False)
        return _small_talk_matcher


class KnowledgeResponder(Responder):
    def __init__(self, config: dict[str, Any], *, knowledge: str = "", name: str = "") -> None:
        self.config = validate_config(config)
        self.knowledge = knowledge
        self.name = name
        labelled = [(i, ex) for i, it in enumerate(self.config["intents"]) for ex in it["examples"]]
        if self.config["end_call"]:
            labelled += [(-1, ex) for ex in self.config["end_call"]["examples"]]
        self._intents = _Examples(labelled)
        self._pending: dict[str, Any] | None = None  # intent waiting for a slot
        self._slots = slots.Slots()
        embeddings.start_loading()

    def match(self, said: str) -> Match | None:
        """The best intent (or end of call) for ``said``, if it clears the threshold."""
        return self._intents.best(said, self.config["threshold"])

    def unmatched_reply(self, said: str, instructions: str) -> str:
        """No intent matched: a sentence of the agent's own text that answers, else
        small talk, else a fallback that says what happened (not heard vs not known)."""
        facts = fact_base(instructions, self.knowledge)
        found = facts.answer(said, self.config["min_similarity"])
        if found:
            return " ".join(f.text for f in found)
        talk = _small_talk().best(said, smalltalk.THRESHOLD)
        if talk is not None:
            return smalltalk.answer(talk.index, self.name, facts.sentences)
        if self.config["fallback"]:
            return self.config["fallback"]
        return smalltalk.not_heard() if smalltalk.barely_words(said) else smalltalk.not_known(bool(facts.sentences))

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
            yield await turn.run_cpu(self.unmatched_reply, said, turn.instructions)
            return
        yield self._answer(self.config["intents"][match.index])
