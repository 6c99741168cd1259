"""Forgiving parsing of dates typed by people."""

from __future__ import annotations

import re
from datetime import date

_SEP = re.compile(r"[\s/.\-,]+")


def parse_date(text: str) -> date | None:
    """Parse a typed date of birth.

    Accepts day/month/year with ``/``, ``-``, ``.`` or spaces ("15/3/1945",
    "15-03-1945", "15 3 1945"), eight digits ("15031945"), and ISO
    ("1945-03-15"). Returns None when it is not a real date.
    """
    s = text.strip()
    if not s:
        return None
    parts = [p for p in _SEP.split(s) if p]
    try:
        if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) == 8:
            p = parts[0]
            return date(int(p[4:]), int(p[2:4]), int(p[:2]))
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            if len(parts[0]) == 4:  # yyyy-mm-dd
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            if len(parts[2]) == 4:
                return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None
    return None
