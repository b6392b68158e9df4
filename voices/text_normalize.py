"""Text normalisation for speech: what a person would read aloud, split into sentences.

Piper's espeak front end reads digits and many symbols itself, but inconsistently
("$3.50" becomes "dollar three point five zero", "2 PM" "two pee em"), so the forms a
speech API sees most often (money, clock times, percentages, ordinals, years, common
titles) are expanded here first with ``num2words``; emoji and other pictographs are
dropped. The result is split into sentences so synthesis can stream one at a time, and
the first piece is kept short (cut at a clause boundary) so the first audio leaves fast.
"""

from __future__ import annotations

import re
import unicodedata

from num2words import num2words

MAX_CHARS = 4096
# The input limit bounds what a request costs only if it holds after expansion: 15
# digits can become 100 characters of words ("12345678901234 " x 273 read ~37 minutes).
MAX_SPOKEN_CHARS = 2 * MAX_CHARS


class NothingToSpeakError(ValueError):
    """The input has no letters or digits left once symbols and emoji are removed."""


class SpokenTooLongError(ValueError):
    """The input is within the character limit but reads far longer once spelled out."""


_TITLES = {
    "dr": "Doctor", "mr": "Mister", "mrs": "Missus", "ms": "Miz", "prof": "Professor",
    "jr": "Junior", "sr": "Senior", "st": "Saint", "mt": "Mount", "capt": "Captain",
    "gen": "General", "sgt": "Sergeant", "lt": "Lieutenant", "gov": "Governor",
}
_INLINE_ABBREV = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "approx.": "approximately", "no.": "number", "ave.": "Avenue", "dept.": "department",
}
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
               "£": ("pound", "pounds", "penny", "pence")}
_UNITS = {"%": "percent", "km": "kilometers", "kg": "kilograms", "mph": "miles per hour",
          "cm": "centimeters", "mm": "millimeters", "ms": "milliseconds", "GB": "gigabytes",
          "MB": "megabytes", "kHz": "kilohertz", "Hz": "hertz"}
_SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "#": " number ",
            "°": " degrees ", "×": " times ", "~": " about "}


_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _spelled_too_long() -> SpokenTooLongError:
    return SpokenTooLongError(f"the input reads as more than {MAX_SPOKEN_CHARS} characters once numbers are "
                              "spelled out: split it into several requests")


class _Speller:
    """Spells numbers out for one :func:`normalize` call, counting the characters of
    words it may still produce. Every spelled number ends up whole in the result (later
    passes only touch digits, symbols and runs of spaces), so once the words alone pass
    the limit the input is refused there: a number bomb costs the first ~8,000
    characters of its words, not all ~40,000 (num2words is pure Python, ~60 ms for 4096
    characters of long numbers)."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def words(self, n: int | float, to: str = "cardinal") -> str:
        return self.spend(num2words(n, to=to, lang="en").replace("-", " ").replace(",", ""))

    def spend(self, words: str) -> str:
        self.left -= len(words)
        if self.left < 0:
            raise _spelled_too_long()
        return words

    def money(self, m: re.Match[str]) -> str:
        one, many, sub_one, sub_many = _CURRENCIES[m.group("cur")]
        whole = int(m.group("int").replace(",", ""))
        frac = m.group("frac")
        scale = m.group("scale")
        if scale:
            value = m.group("int").replace(",", "") + (("." + frac) if frac else "")
            return f"{self.number_text(value)} {scale} {many}"
        parts = [f"{self.words(whole)} {one if whole == 1 else many}"] if whole or not frac else []
        if frac:
            cents = int((frac + "0")[:2])
            if cents:
                parts.append(f"{self.words(cents)} {sub_one if cents == 1 else sub_many}")
        return " and ".join(parts) if parts else f"zero {many}"

    def clock(self, m: re.Match[str]) -> str:
        hour = int(m.group("h"))
        minute = int(m.group("m") or 0)
        text = self.words(hour)
        if minute:
            text += (" oh " if minute < 10 else " ") + self.words(minute)
        elif not m.group("ampm"):
            text += " o'clock"
        ampm = m.group("ampm")
        if ampm:
            text += " " + " ".join(ampm.replace(".", "").upper())
            # "at 2 p.m." ends a sentence: keep the period the pattern swallowed.
            rest = m.string[m.end():]
            if ampm.endswith(".") and (not rest.strip() or re.match(r"\s+[A-Z]", rest)):
                text += "."
        return text

    def number_text(self, raw: str) -> str:
        raw = raw.replace(",", "")
        if "." in raw:
            whole, frac = raw.split(".", 1)
            head = self.words(int(whole)) if whole else "zero"
            return head + " point " + " ".join(self.words(int(d)) for d in frac)
        return self.words(int(raw))

    def number(self, raw: str) -> str:
        plain = raw.replace(",", "")
        if "," not in raw and "." not in raw and len(plain) == 4 and 1100 <= int(plain) <= 2099:
            return self.words(int(plain), "year")
        if len(plain.split(".")[0]) > 15:  # an id or a phone number: read digit by digit
            return self.spend(" ".join(_DIGITS[int(d)] if d.isdigit() else "point" for d in plain))
        return self.number_text(raw)

    def padded_number(self, m: re.Match[str]) -> str:
        """A number's words, kept apart from letters it touches ("mp3", "1e5x"): glued on,
        "1e5" would read "oneefive"."""
        words = self.number(("0" if m.group(0).startswith(".") else "") + m.group(0))
        before = m.string[m.start() - 1] if m.start() > 0 else ""
        after = m.string[m.end()] if m.end() < len(m.string) else ""
        return (" " if before.isalpha() else "") + words + (" " if after.isalpha() else "")

    def scientific(self, m: re.Match[str]) -> str:
        """``1e308`` is "one times ten to the power of three hundred and eight", not a word."""
        sign = "minus " if m.group(2) == "-" else ""
        return f"{self.number_text(m.group(1))} times ten to the power of {sign}{self.words(int(m.group(3)))}"


def _strip_unspeakable(text: str) -> str:
    """Drop emoji, pictographs and control characters, keeping letters and punctuation."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("So", "Cs", "Co", "Cn", "Cf", "Mn") or (cat == "Cc" and ch not in "\n\t"):
            out.append(" ")
        elif ch in "\u2018\u2019":
            out.append("'")
        elif ch in "\u201c\u201d":
            out.append('"')
        elif ch in "\u2013\u2014":
            out.append(", ")
        elif ch == "\u2026":
            out.append("...")
        else:
            out.append(ch)
    return "".join(out)


def normalize(text: str) -> str:
    """Expand numbers, money, times, units and abbreviations into words.

    Raises :class:`NothingToSpeakError` when no letter or digit is left (only
    punctuation, only emoji, blank input).
    """
    if len(text) > MAX_CHARS:
        raise ValueError(f"the input is {len(text)} characters; the limit is {MAX_CHARS}")
    return _expand(text, _Speller(MAX_SPOKEN_CHARS))


_SUB_CENTS = re.compile(r"([$€£]\s?\d[\d,]*\.\d{2})\d+")


def _spelled_at_least(text: str) -> int:
    """A lower bound on the characters the text's numbers spell out to: each nonzero digit
    reads as three letters or more ("one", "six", "ten"; a teen or a tens word covers two
    digits with six or more), and every digit is read except a money amount's beyond its
    cents. A number bomb far past the limit is refused before anything is spelled."""
    return 3 * sum(ch in "123456789" for ch in _SUB_CENTS.sub(r"\1", text))


def _expand(text: str, speller: _Speller) -> str:
    text = unicodedata.normalize("NFKC", _strip_unspeakable(text))
    if not any(ch.isalnum() for ch in text):
        raise NothingToSpeakError(
            "the input has nothing to speak: it needs at least one word or number "
            "(punctuation and emoji alone are not read aloud)"
        )
    if _spelled_at_least(text) > MAX_SPOKEN_CHARS:
        raise _spelled_too_long()
    for abbr, full in _INLINE_ABBREV.items():
        text = re.sub(rf"(?<!\w){re.escape(abbr)}", full, text, flags=re.IGNORECASE)
    text = re.sub(
        r"\b(" + "|".join(_TITLES) + r")\.(?=\s+[A-Z])",
        lambda m: _TITLES[m.group(1).lower()],
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(
        r"(?P<cur>[$€£])\s?(?P<int>\d[\d,]*)(?:\.(?P<frac>\d+))?(?:\s?(?P<scale>million|billion|thousand|trillion)\b)?",
        speller.money, text,
    )
    text = re.sub(
        r"\b(?P<h>[01]?\d|2[0-3])(?::(?P<m>[0-5]\d))?\s?(?P<ampm>[ap]\.?m\b\.?)",
        speller.clock, text, flags=re.IGNORECASE,
    )
    text = re.sub(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b(?P<ampm>)", speller.clock, text)
    text = re.sub(
        r"\b(\d+)(st|nd|rd|th)\b", lambda m: speller.words(int(m.group(1)), "ordinal"), text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    for unit, word in _UNITS.items():
        if unit != "%":
            text = re.sub(rf"(\d)\s?{re.escape(unit)}\b", rf"\1 {word}", text)
    text = re.sub(
        r"(?<![\d-])(?:\(?\d{3}\)?[-. ])?\d{3}-\d{4}\b",
        lambda m: ", ".join(" ".join(speller.words(int(d)) for d in g) for g in re.findall(r"\d+", m.group(0))),
        text,
    )
    text = re.sub(r"(?<=\d)-(?=\d)", " to ", text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([+-]?)(\d{1,3})\b", speller.scientific, text)
    text = re.sub(
        r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?<!\w)\.\d+",
        speller.padded_number,
        text,
    )
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    text = re.sub(r"[\[\]{}<>|\\^_*`]", " ", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_SPOKEN_CHARS:
        raise SpokenTooLongError(
            f"the input reads as {len(text)} characters once numbers and symbols are spelled out; "
            f"the limit is {MAX_SPOKEN_CHARS}: split it into several requests")
    return text


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")


def split_sentences(text: str, *, first_max: int = 40, max_len: int = 300) -> list[str]:
    """Split normalised text into pieces synthesised one at a time.

    Sentences longer than ``max_len`` are cut at clause punctuation, then at word
    boundaries. The first piece is kept to ``first_max`` characters (about 2-2.5 s of
    speech), cut at a clause boundary where there is one and else between words: the
    time to first audio grows with its length, and a comma is where a reader pauses.
    """
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        limit = first_max if not pieces else max_len
        pieces.extend(_cut(sentence, limit, max_len))
    pieces = [p for p in pieces if any(ch.isalnum() for ch in p)]
    if pieces and len(pieces[0]) > first_max:
        cut = pieces[0].rfind(" ", first_max // 2, first_max)
        if cut > 0:
            pieces[:1] = [pieces[0][:cut], pieces[0][cut + 1 :]]
    return pieces


def _cut(sentence: str, first_limit: int, max_len: int) -> list[str]:
    if len(sentence) <= first_limit:
        return [sentence]
    clauses = _CLAUSE_END.split(sentence)
    out: list[str] = []
    cur = ""
    for clause in clauses:
        limit = first_limit if not out else max_len
        if cur and len(cur) + 1 + len(clause) > limit:
            out.append(cur)
            cur = clause
        else:
            cur = f"{cur} {clause}".strip()
    if cur:
        out.append(cur)
    final: list[str] = []
    for piece in out:
        while len(piece) > max_len:
            cut = piece.rfind(" ", 0, max_len)
            cut = cut if cut > 0 else max_len
            final.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            final.append(piece)
    return final
