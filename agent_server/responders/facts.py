"""Answers from the agent's own words: its instructions and knowledge text, sentence by sentence.

A caller's question is compared with every sentence of the text by all-MiniLM-L6-v2
cosine similarity; the best sentence is the answer, joined by the next best when that
one is nearly as close (a fact often spans two sentences). Question-to-answer cosines
are lower than paraphrase cosines: on the hand-made pairs used to pick the constants
("is parking free" → "Parking is free behind the building." 0.80, "what are your hours"
→ "We are open from nine to five on weekdays." 0.37) related pairs sat at 0.37-0.80 and
unrelated questions ("tell me a joke", "what's the weather like") at 0.07-0.32. Shared
content words add a little, which rescues misheard questions ("when her you open": 0.32
by cosine alone).

Sentences of the instructions that speak *to* the agent ("You are...", "Be brief.")
are directives, not facts, and are left out. Embeddings of a text are cached by its
content, so sessions of the same agent share them.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from agent_server.responders import embeddings

MIN_SIMILARITY = 0.35
SECOND_WITHIN = 0.06  # a second sentence joins the answer when this close to the best
WORD_BONUS = 0.05  # per shared content word, at most two
MAX_SENTENCES = 2000
_CACHE_TEXTS = 64

# Split after . ! ? … (and closing quotes/brackets) before whitespace, and at line breaks;
# not after common abbreviations ("Dr. Smith") or single initials.
_ABBREV = {"dr", "mr", "mrs", "ms", "st", "prof", "inc", "ltd", "co", "jr", "sr", "vs", "etc", "no", "e.g", "i.e"}
_END = re.compile(r"([.!?…]+[\"')\]]*)\s+")
_DIRECTIVE_START = {
    "you", "your", "you're", "be", "always", "never", "don't", "do", "dont", "answer", "keep", "speak", "respond",
    "reply", "use", "avoid", "act", "pretend", "greet", "ask", "say", "tell", "talk", "please", "remember", "make",
}
_STOP = frozenset({
    "a", "an", "and", "are", "at", "be", "can", "could", "did", "do", "does", "for", "from", "have", "how",
    "i", "in", "is", "it", "me", "my", "of", "on", "or", "our", "so", "that", "the", "their", "there", "these",
    "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "would",
    "you", "your", "please", "tell", "about", "any", "some", "get", "there's", "what's",
})


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order, stripped; bullet marks and empty lines dropped."""
    out: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()
        if not line:
            continue
        start = 0
        for m in _END.finditer(line):
            words = line[start:m.start()].split()
            last = words[-1].lower().rstrip(".") if words else ""
            if m.group(1) == "." and (last in _ABBREV or (len(last) == 1 and last.isalpha())):
                continue
            out.append(line[start:m.end()].strip())
            start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return [s for s in out if any(c.isalnum() for c in s)][:MAX_SENTENCES]


def is_directive(sentence: str) -> bool:
    words = re.findall(r"[a-z']+", sentence.lower())
    return bool(words) and words[0] in _DIRECTIVE_START


def _content_words(text: str) -> set[str]:
    """Lower-case words of 3+ letters that carry meaning, cut to 4 letters so
    "parking" meets "park" and "opening" meets "open"."""
    words = re.findall(r"[a-z]+", text.lower())
    return {w[:4] for w in words if len(w) >= 3 and w not in _STOP}


@dataclass(frozen=True)
class Fact:
    text: str
    score: float


class FactBase:
    """The sentences of one text with their embeddings (computed on first use)."""

    def __init__(self, sentences: list[str]) -> None:
        self.sentences = sentences
        self._words = [_content_words(s) for s in sentences]
        self._vecs: np.ndarray | None = None

    def _vectors(self) -> np.ndarray | None:
        if self._vecs is None and self.sentences:
            self._vecs = embeddings.encode(self.sentences)
        return self._vecs

    def scores(self, question: str) -> np.ndarray | None:
        vecs = self._vectors()
        q = embeddings.encode([question]) if vecs is not None else None
        if vecs is None or q is None:
            return None
        cos = vecs @ q[0]
        said = _content_words(question)
        bonus = np.array([min(len(said & w), 2) * WORD_BONUS for w in self._words], np.float32)
        return cos + bonus

    def answer(self, question: str, min_similarity: float = MIN_SIMILARITY) -> list[Fact]:
        """The best sentence (and a close second, in text order), or [] when none is
        similar enough or the model isn't loaded."""
        if not self.sentences or not question.strip():
            return []
        scores = self.scores(question)
        if scores is None:
            return []
        order = np.argsort(-scores)
        best = int(order[0])
        if scores[best] < min_similarity:
            return []
        picked = [best]
        if len(order) > 1:
            second = int(order[1])
            if scores[second] >= max(min_similarity, scores[best] - SECOND_WITHIN):
                picked.append(second)
        return [Fact(self.sentences[i], float(scores[i])) for i in sorted(picked)]


_lock = threading.Lock()
_cache: OrderedDict[str, FactBase] = OrderedDict()


def fact_base(instructions: str, knowledge: str) -> FactBase:
    """The facts of an agent: its knowledge text, then the instructions' non-directive
    sentences; shared between sessions while the text is unchanged."""
    key = hashlib.sha256(f"{instructions}\0{knowledge}".encode()).hexdigest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    sentences = split_sentences(knowledge)
    seen = set(sentences)
    for s in split_sentences(instructions):
        if not is_directive(s) and s not in seen:
            sentences.append(s)
            seen.add(s)
    base = FactBase(sentences[:MAX_SENTENCES])
    with _lock:
        _cache[key] = base
        while len(_cache) > _CACHE_TEXTS:
            _cache.popitem(last=False)
    return base
