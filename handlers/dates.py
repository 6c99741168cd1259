"""Forgiving parsing of dates typed by people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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
