"""Forgiving parsing of dates typed by people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_ASCII_NUMBER = re.compile(r"[0-9]+")
# What may stand between the numbers: separators and the words people write
# around a date ("ngày 28 tháng 11 năm 1982", "28 thg 11, 1982").
_FILLER = re.compile(
    r"^(?:[\s/.\-,]|ngay|ngày|thang|tháng|thg|nam|năm|sinh|day|month|year|of|th|t)*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateProblem:
    code: str  # "unreadable", "no_such_day"


def parse_typed_date(text: str, century: int | None = None) -> date | DateProblem:
    """Parse a typed date of birth.

    Accepts day/month/year with ``/``, ``-``, ``.`` or spaces ("15/3/1945",
    "15-03-1945", "15 3 1945"), in words ("ngày 15 tháng 3 năm 1945"), eight
    digits ("15031945"), ISO ("1945-03-15"), and a two-digit year ("15/3/45")
    when ``century`` (e.g. 1900, from the citizen ID) is given.
    """
    s = text.strip()
    numbers = _ASCII_NUMBER.findall(s)
    if not numbers or not _FILLER.match(_ASCII_NUMBER.sub(" ", s)):
        return DateProblem("unreadable")
    if len(numbers) == 1 and len(numbers[0]) == 8:
        p = numbers[0]
        numbers = [p[:2], p[2:4], p[4:]]
    if len(numbers) != 3:
        return DateProblem("unreadable")
    if len(numbers[0]) == 4:  # yyyy-mm-dd
        year, month, day = (int(n) for n in numbers)
    elif len(numbers[2]) == 4:
        day, month, year = (int(n) for n in numbers)
    elif len(numbers[2]) == 2 and century is not None:
        day, month, year = int(numbers[0]), int(numbers[1]), century + int(numbers[2])
    else:
        return DateProblem("unreadable")
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return DateProblem("unreadable")
    try:
        return date(year, month, day)
    except ValueError:
        return DateProblem("no_such_day")  # 31/02, 29/02 in a common year


def parse_date(text: str, century: int | None = None) -> date | None:
    result = parse_typed_date(text, century)
    return result if isinstance(result, date) else None


_DAY_MONTH = re.compile(r"\b(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{4}))?\b")
_CLOCK = re.compile(r"\b(\d{1,2})\s*(?::|h|g|gio)\s*(\d{2})?\b")
_TOMORROW = {"mai", "ngay mai", "tomorrow"}
_TODAY = {"", "nay", "hom nay", "today"}
_AFTERNOON = {"chieu", "toi", "pm"}
_FILLERS = {"luc", "vao", "at", "on", "sang", "am", "gio", "ngay", "phut"}


def parse_send_time(text: str, local_now: datetime) -> datetime | None:
    """A moment typed by an officer, in ``local_now``'s time zone.

    "18:30" or "18h30" (today), "mai 8:00" / "ngay mai 8h" / "tomorrow 8:00",
    "25/11 8:00" or "25/11/2026 8:00" (a day and month more than a month gone
    this year mean next year's); "chieu 6h" / "6h toi" is 18:00. None when it cannot be read. Whether it is in the past is the caller's question.
    """
    from handlers.text import match_key

    key = match_key(text)
    day: date | None = None
    found = _DAY_MONTH.search(key)
    if found:
        d, m, y = int(found.group(1)), int(found.group(2)), found.group(3)
        try:
            day = date(int(y) if y else local_now.year, m, d)
            if not y and day < local_now.date() - timedelta(days=31):
                # "5/1" typed in December is next year's; "25/11" typed on
                # 26/11 is yesterday, and the caller refuses a past time.
                day = date(local_now.year + 1, m, d)
        except ValueError:
            return None
        key = key[: found.start()] + " " + key[found.end() :]
    clock = _CLOCK.search(key)
    if not clock:
        return None
    hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
    rest = (key[: clock.start()] + " " + key[clock.end() :]).replace(",", " ").split()
    afternoon = any(w in _AFTERNOON for w in rest)
    words = " ".join(w for w in rest if w not in _AFTERNOON and w not in _FILLERS)
    if words in _TOMORROW or (words == "" and "ngay" in rest and "mai" in rest):
        if day is not None:
            return None
        day = local_now.date() + timedelta(days=1)
    elif words not in _TODAY:
        return None
    if afternoon and hour < 12:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return datetime.combine(day or local_now.date(), time(hour, minute), tzinfo=local_now.tzinfo)
