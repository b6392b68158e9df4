"""Text normalisation: what the speech endpoint must read naturally, and what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voices.text_normalize import MAX_CHARS, NothingToSpeakError, normalize, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your appointment is at 2 PM.", "Your appointment is at two P M."),
        ("Meet me at 10:30 a.m. on Monday.", "Meet me at ten thirty A M on Monday."),
        ("Dr. Smith is here.", "Doctor Smith is here."),
        ("It costs $3.50 today.", "It costs three dollars and fifty cents today."),
        ("It costs $1.01.", "It costs one dollar and one cent."),
        ("We grew 45% in 2024, again.", "We grew forty five percent in twenty twenty four, again."),
        ("The 21st guest.", "The twenty first guest."),
        ("Pi is 3.14.", "Pi is three point one four."),
        ("We have 1,234 users.", "We have one thousand two hundred and thirty four users."),
        ("Great job 👍!", "Great job!"),
        ("Call 555-1234 now.", "Call five five five, one two three four now."),
        ("Pages 10-20.", "Pages ten to twenty."),
    ],
)
def test_reads_naturally(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "...!?", "👍👍🎉", "—", "* * *"])
def test_nothing_to_speak_raises_clear_error(text: str) -> None:
    with pytest.raises(NothingToSpeakError, match="nothing to speak"):
        normalize(text)


def test_over_limit_raises() -> None:
    with pytest.raises(ValueError, match="limit"):
        normalize("a" * (MAX_CHARS + 1))


def test_split_keeps_every_word_and_starts_short() -> None:
    text = normalize(
        "Hello there, my friend, I hope you are well and that the weather is kind to you "
        "today. How are you? Fine!"
    )
    pieces = split_sentences(text)
    assert len(pieces) >= 3
    assert len(pieces[0]) <= 40
    assert " ".join(pieces).split() == text.split()


def test_split_bounds_long_sentences() -> None:
    text = normalize(" ".join(["word"] * 400) + ".")
    pieces = split_sentences(text)
    assert all(len(p) <= 300 for p in pieces)
    assert sum(len(p.split()) for p in pieces) == 400


def test_first_piece_is_short_even_without_commas() -> None:
    text = normalize("The quick brown fox jumps over the lazy dog near the old mill by the river bank today.")
    pieces = split_sentences(text)
    assert len(pieces[0]) <= 40
    assert " ".join(pieces).split() == text.split()


def test_scientific_notation_reads_as_a_power_of_ten() -> None:
    assert normalize("1e308") == "one times ten to the power of three hundred and eight"
    assert "minus three" in normalize("2.5E-3 volts")
    assert "onee" not in normalize("1e308x and mp3")  # numbers glued to letters stay apart


def test_limit_holds_after_numbers_are_spelled_out() -> None:
    """Within the character limit, but ~40,000 characters once read: refused, before any audio."""
    from voices.text_normalize import MAX_SPOKEN_CHARS, SpokenTooLongError

    text = "12345678901234 " * 273
    assert len(text) <= 4096
    with pytest.raises(SpokenTooLongError, match="spelled out"):
        normalize(text)
    with pytest.raises(SpokenTooLongError):
        normalize("9" * 4000)
    assert len(normalize("It costs $3.50 at 2 PM. " * 100)) <= MAX_SPOKEN_CHARS  # ordinary text fits


def test_spelled_out_limit_is_exact_when_refused_early() -> None:
    """The refusal comes as soon as the words alone pass the limit, so it can't refuse
    an input whose whole reading fits: the most copies of a long number that fit are
    read, one more is refused, and a refusal leaves nothing behind for the next call."""
    from voices.text_normalize import MAX_SPOKEN_CHARS, SpokenTooLongError

    one = len(normalize("12345678901234"))
    fits = (MAX_SPOKEN_CHARS + 1) // (one + 1)
    assert len(normalize("12345678901234 " * fits)) <= MAX_SPOKEN_CHARS
    with pytest.raises(SpokenTooLongError):
        normalize("12345678901234 " * (fits + 1))
    digits = "1" * 20  # read digit by digit
    fits = (MAX_SPOKEN_CHARS + 1) // (len(normalize(digits)) + 1)
    assert len(normalize((digits + " ") * fits)) <= MAX_SPOKEN_CHARS
    with pytest.raises(SpokenTooLongError):
        normalize((digits + " ") * (fits + 1))


_NUMBER_FORMS = st.one_of(
    st.integers(0, 10**18).map(str),
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(lambda p: f"{p[0]}.{p[1]}"),
    st.tuples(st.sampled_from("$€£"), st.integers(0, 10**6), st.integers(0, 10**5)).map(
        lambda p: f"{p[0]}{p[1]}.{p[2]:02d}"),
    st.integers(1, 10**4).map(lambda n: f"{n}th"),
    st.tuples(st.integers(1, 12), st.integers(0, 59)).map(lambda p: f"{p[0]}:{p[1]:02d} pm"),
    st.integers(1100, 2099).map(str),
    st.integers(10**6, 10**7 - 1).map(lambda n: f"555-{n % 10000:04d}"),
    st.integers(0, 999).map(lambda n: f"{n}%"),
    st.tuples(st.integers(1, 99), st.integers(0, 300)).map(lambda p: f"{p[0]}e{p[1]}"),
    st.integers(10**15, 10**19).map(lambda n: "0" + str(n)),  # an id, read digit by digit
)


@given(st.lists(_NUMBER_FORMS, min_size=1, max_size=6))
def test_the_early_refusal_bound_never_exceeds_the_reading(tokens: list[str]) -> None:
    """The bound that refuses a number bomb before spelling it is a true lower bound: no
    input it refuses would have fit once read."""
    from voices.text_normalize import _spelled_at_least

    text = " ".join(tokens)
    assert _spelled_at_least(text) <= sum(ch.isalpha() for ch in normalize(text))


def test_a_number_bomb_far_past_the_limit_is_refused_before_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    from voices import text_normalize
    from voices.text_normalize import SpokenTooLongError

    calls: list[object] = []
    monkeypatch.setattr(text_normalize, "num2words", lambda *a, **k: calls.append(a) or "one")
    with pytest.raises(SpokenTooLongError, match="spelled out"):
        normalize("12345678901234 " * 273)
    assert calls == []
