"""Simple slots from the caller's words: dates, times and numbers.

ASR writes numbers either way ("seven thirty", "7:30", "four people"), so the text is
first turned to digits with text2num's ``alpha2digit``, then read with small patterns
anchored on the words people use on the phone ("tomorrow", "next friday", "june 3rd",
"at 7 30 pm", "noon"). Dates resolve against ``today`` so tests are deterministic.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH_RE = "|".join(_MONTHS + [m[:3] for m in _MONTHS if m != "may"])
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"


@dataclass
class Slots:
    date: dt.date | None = None
    time: dt.time | None = None
    number: int | None = None

    def values(self) -> dict[str, str]:
        """The spoken forms used to fill ``{date}``, ``{time}``, ``{number}``."""
        out: dict[str, str] = {}
        if self.date is not None:
            out["date"] = f"{self.date.strftime('%A')}, {self.date.strftime('%B')} {self.date.day}"
            out["weekday"] = self.date.strftime("%A")
        if self.time is not None:
            hour = self.time.hour % 12 or 12
            minute = f":{self.time.minute:02d}" if self.time.minute else ""
            out["time"] = f"{hour}{minute} {'PM' if self.time.hour >= 12 else 'AM'}"
        if self.number is not None:
            out["number"] = str(self.number)
        return out


def _digits(text: str) -> str:
    try:
        from text_to_num import alpha2digit

        # "one" stays a word in alpha2digit (it is usually a pronoun); fine for slots.
        return alpha2digit(text, "en")
    except Exception:  # text2num missing or confused: plain digits still work
        return text


def _date(text: str, today: dt.date) -> dt.date | None:
    if "day after tomorrow" in text:
        return today + dt.timedelta(days=2)
    if re.search(r"\btomorrow\b", text):
        return today + dt.timedelta(days=1)
    if re.search(r"\b(today|tonight)\b", text):
        return today
    m = re.search(rf"\b({_MONTH_RE})\w*\s+(?:the\s+)?{_ORD}\b", text) or None
    if m:
        month, day = _month(m.group(1)), int(m.group(2))
    else:
        m2 = re.search(rf"\b(?:the\s+)?{_ORD}\s+of\s+({_MONTH_RE})\w*", text)
        month, day = (_month(m2.group(2)), int(m2.group(1))) if m2 else (0, 0)
    if month and 1 <= day <= 31:
        for year in (today.year, today.year + 1):
            try:
                d = dt.date(year, month, day)
            except ValueError:
                return None
            if d >= today:
                return d
    m = re.search(r"\b(next|this|on)?\s*(" + "|".join(_WEEKDAYS) + r")\b", text)
    if m:
        ahead = (_WEEKDAYS.index(m.group(2)) - today.weekday()) % 7
        if m.group(1) == "next" and ahead == 0:
            ahead = 7
        return today + dt.timedelta(days=ahead)
    return None


def _month(name: str) -> int:
    name = name[:3]
    return next(i + 1 for i, m in enumerate(_MONTHS) if m.startswith(name))


def _time(text: str) -> dt.time | None:
    if re.search(r"\bnoon\b|\bmidday\b", text):
        return dt.time(12, 0)
    if re.search(r"\bmidnight\b", text):
        return dt.time(0, 0)
    m = re.search(r"\bhalf past (\d{1,2})\b", text)
    if m:
        return _clock(int(m.group(1)), 30, None, text[m.end():])
    m = re.search(r"\bquarter (past|to) (\d{1,2})\b", text)
    if m:
        h = int(m.group(2))
        return _clock(h, 15, None, text[m.end():]) if m.group(1) == "past" else _clock(h - 1, 45, None, text[m.end():])
    m = re.search(r"\b(\d{1,2})(?:[:.\s](\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?|o'?clock)", text)
    if not m:
        m = re.search(r"\b(?:at|by|around)\s+(\d{1,2})(?:[:.\s](\d{2}))?\b(?!\s*(?:people|persons|guests|of))",
                      text)
    if m:
        minute = int(m.group(2)) if m.group(2) else 0
        suffix = m.group(3) if m.lastindex and m.lastindex >= 3 else None
        return _clock(int(m.group(1)), minute, suffix, text[m.end():])
    return None


def _clock(hour: int, minute: int, suffix: str | None, rest: str) -> dt.time | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    suffix = (suffix or "").replace(".", "").replace(" ", "")
    if not suffix:
        after = re.match(r"\s*(in the (morning|afternoon|evening)|tonight|am|pm)", rest)
        suffix = "am" if after and ("morning" in after.group(1) or after.group(1) == "am") else (
            "pm" if after else "")
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    elif not suffix and 1 <= hour <= 7:
        # A bare "at 7" on a booking line means the evening far more often than 7 AM.
        hour += 12
    return dt.time(hour, minute)


_SMALL = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}


def _number(text: str) -> int | None:
    # alpha2digit leaves lone small numbers as words ("for two"), so read those here.
    m = re.search(r"\b(?:for|party of|table for)\s+(" + "|".join(_SMALL) + r")\b", text)
    if m:
        return _SMALL[m.group(1)]
    m = re.search(r"\b(?:for|party of|table for|of)\s+(\d{1,4})\b(?!\s*(?:am|pm|a\.m|p\.m|o'?clock|:))", text)
    if m:
        return int(m.group(1))
    m = re.search(r"\b(\d{1,6})\b(?!\s*(?:am|pm|a\.m|p\.m|o'?clock|:|st|nd|rd|th))", text)
    return int(m.group(1)) if m else None


def extract(text: str, today: dt.date | None = None) -> Slots:
    today = today or dt.date.today()
    low = _digits(text.lower())
    low = re.sub(r"[,!?]", " ", low)
    slots = Slots(date=_date(low, today), time=_time(low))
    # Numbers that are part of a date or a time are not the party size.
    rest = re.sub(rf"\b({_MONTH_RE})\w*\s+(?:the\s+)?{_ORD}\b|\b(?:the\s+)?{_ORD}\s+of\s+({_MONTH_RE})\w*", " ", low)
    rest = re.sub(r"\b(?:at|by|around)\s+\d{1,2}(?:[:.\s]\d{2})?\b"
                  r"|\b\d{1,2}(?:[:.\s]\d{2})?\s*(?:a\.?\s?m\.?|p\.?\s?m\.?|o'?clock)"
                  r"|half past \d{1,2}|quarter (?:past|to) \d{1,2}", " ", rest)
    slots.number = _number(rest)
    return slots
