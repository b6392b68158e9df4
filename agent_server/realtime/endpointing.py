"""An earlier turn end: when the words heard so far read as a finished sentence, a
shorter silence closes the turn instead of the full ``silence_duration_ms``.

Most of a turn's voice-to-voice time is the silence wait, which has to be long enough
for the pauses people make inside a sentence (read speech pauses over 500 ms). A pause
after a finished sentence needs no such margin. The speculative reply
(:mod:`.turns`) already transcribes the turn once the VAD hears a short pause, so the
transcript is there to judge by: it ends a turn early when it ends in sentence-final
punctuation and not on a word that leaves the sentence open ("... and.", "... the."),
which is how Whisper punctuates a cut-off clause. Anything else falls back to the full
wait, so a mid-sentence pause costs nothing it did not cost before.

A wrong early end (the user goes on) is a barge-in on the reply plus a new turn, as a
too-short pause always was; ``bench/realtime_latency.py`` counts them ("false" ends).
"""

from __future__ import annotations

from dataclasses import dataclass

# Words a sentence does not end on: a transcript ending on one of them with a full stop
# is a clause the user has not finished.
_OPEN_BY_KIND = {
    "articles, determiners": "a an the this these those my your his her its our their",
    "conjunctions": "and or but nor so because although though while whereas if unless until since as than "
                    "that which who whom whose where when",
    "prepositions": "of to for with from into onto about by at in on over under between through during "
                    "without like",
    "auxiliaries": "is are was were am be been being do does did have has had will would shall should can "
                   "could may might must",
    "subjects, qualifiers": "i we you he she they it's i'm we're you're they're not very really just also "
                            "more most",
}
OPEN_WORDS = frozenset(w for words in _OPEN_BY_KIND.values() for w in words.split())


@dataclass(frozen=True)
class TurnEndPredictor:
    """``silence_ms``: the silence that ends a turn whose transcript reads as finished."""

    silence_ms: int = 300

    def finished(self, transcript: str) -> bool:
        """The words read as a finished sentence (see the module docstring)."""
        text = transcript.strip()
        if not text or text.endswith("...") or text[-1] not in ".?!":
            return False
        words = text.rstrip(".?!\"' ").split()
        return bool(words) and words[-1].lower().strip(",;:\"'") not in OPEN_WORDS

    def ends(self, transcript: str | None, quiet_ms: float, full_silence_ms: int) -> bool:
        """End the turn now: ``quiet_ms`` of silence so far, the turn's transcript (None:
        not there yet), and the silence that would end it anyway."""
        if transcript is None or quiet_ms < min(self.silence_ms, full_silence_ms):
            return False
        return self.finished(transcript)
