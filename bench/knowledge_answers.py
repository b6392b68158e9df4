"""How often the embedded responder answers from an agent's knowledge text correctly.

    python bench/knowledge_answers.py

Three short knowledge texts that took no part in choosing ``facts.MIN_SIMILARITY``
(it was set on other pairs; see agent_server/responders/facts.py), each with questions
whose answer is one sentence of the text (a caller's wording, not the text's) and
questions it cannot answer. Per threshold: answerable questions answered with the right
sentence, answered with a wrong one, and unanswerable questions wrongly answered
(anything but the fallback). Ratios against the default threshold in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_server.responders import embeddings
from agent_server.responders.facts import MIN_SIMILARITY, FactBase, split_sentences

CASES = [
    ("Our dental practice is at 14 Mill Road, next to the library. We see patients from eight to six, Monday "
     "to Thursday, and until noon on Fridays. A check-up costs sixty dollars. We accept most insurance plans. "
     "Emergency appointments are kept free every morning. Please arrive ten minutes early for your first visit.",
     [("where are you located", "Mill Road"), ("what are your hours on friday", "until noon"),
      ("how much does a checkup cost", "sixty dollars"), ("do you take my insurance", "insurance plans"),
      ("I have a toothache, can I come in today", "Emergency"), ("when should I get there", "ten minutes early")],
     ["do you sell toothbrushes", "what is your dentist's name", "can I pay in bitcoin", "tell me a joke"]),
    ("The hotel has forty rooms and a rooftop bar. Check-in starts at three in the afternoon and check-out is "
     "at eleven. Breakfast is served from seven to ten in the garden room. Pets are welcome for a small fee. "
     "The airport shuttle leaves every hour from the main entrance. Wi-Fi is free in all rooms.",
     [("what time can I check in", "Check-in"), ("when do I have to leave the room", "check-out"),
      ("is breakfast included and when", "Breakfast"), ("can I bring my dog", "Pets"),
      ("how do I get to the airport", "shuttle"), ("is there internet", "Wi-Fi")],
     ["is there a swimming pool", "how far is the beach", "who won the game last night", "can you book a taxi"]),
    ("Green Valley Bikes rents city bikes and e-bikes. A city bike is twelve dollars a day; an e-bike is "
     "thirty. Helmets are included with every rental. You need a photo ID to rent. Bikes must be back by "
     "seven in the evening. We repair flat tyres while you wait.",
     [("how much is an electric bike", "e-bike"), ("do I need to bring a helmet", "Helmets"),
      ("what do I need to rent a bike", "photo ID"), ("when do I have to return it", "seven in the evening"),
      ("my tire is flat, can you fix it", "flat tyres")],
     ["do you sell bikes", "what's the weather tomorrow", "are you open on sundays", "how old is the shop"]),
]
THRESHOLDS = (0.25, 0.30, MIN_SIMILARITY, 0.40, 0.45, 0.50)


def main() -> None:
    assert embeddings.wait_ready(120), "the sentence-embedding model did not load"
    bases = [(FactBase(split_sentences(text)), good, bad) for text, good, bad in CASES]
    n_good = sum(len(g) for _, g, _ in bases)
    n_bad = sum(len(b) for _, _, b in bases)
    rows = []
    for th in THRESHOLDS:
        right = wrong = false_answer = 0
        for base, good, bad in bases:
            for question, expected in good:
                found = base.answer(question, th)
                if found and any(expected in f.text for f in found):
                    right += 1
                elif found:
                    wrong += 1
            false_answer += sum(1 for question in bad if base.answer(question, th))
        rows.append((th, right, wrong, false_answer))
    default = next(r for r in rows if r[0] == MIN_SIMILARITY)
    print(f"{len(CASES)} knowledge texts, {n_good} answerable and {n_bad} unanswerable questions")
    print(f"{'min_similarity':>15}{'right':>8}{'wrong':>8}{'silent':>8}{'false answer':>14}{'right / default':>17}")
    for th, right, wrong, false_answer in rows:
        mark = " (default)" if th == MIN_SIMILARITY else ""
        print(f"{th:>15.2f}{right:>5}/{n_good:<2}{wrong:>8}{n_good - right - wrong:>8}{false_answer:>10}/{n_bad:<3}"
              f"{right / max(default[1], 1):>17.2f}{mark}")


if __name__ == "__main__":
    main()
