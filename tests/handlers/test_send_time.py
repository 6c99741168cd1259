"""Times officers type for a scheduled broadcast."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.core import VN_TZ
from handlers.dates import parse_send_time

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("18:30", (2026, 11, 20, 18, 30)),
        ("18h30", (2026, 11, 20, 18, 30)),
        ("lúc 18:30", (2026, 11, 20, 18, 30)),
        ("hom nay 18:30", (2026, 11, 20, 18, 30)),
        ("mai 8:00", (2026, 11, 21, 8, 0)),
        ("Ngày mai 8h", (2026, 11, 21, 8, 0)),
        ("ngay mai 8 gio", (2026, 11, 21, 8, 0)),
        ("tomorrow 8:00", (2026, 11, 21, 8, 0)),
        ("25/11 8:00", (2026, 11, 25, 8, 0)),
        ("8:00 25/11", (2026, 11, 25, 8, 0)),
        ("25-11-2026 8:00", (2026, 11, 25, 8, 0)),
        ("chiều 6h", (2026, 11, 20, 18, 0)),
        ("6h tối", (2026, 11, 20, 18, 0)),
        ("5/1 7:30", (2027, 1, 5, 7, 30)),  # January is next year's
        ("9:00", (2026, 11, 20, 9, 0)),  # in the past: the caller refuses it
        ("19/11 23:00", (2026, 11, 19, 23, 0)),  # yesterday, not next year: refused too
    ],
)
def test_typed_times(typed, expected):
    assert parse_send_time(typed, NOW) == datetime(*expected, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "mai",
        "sang thu hai",
        "25/13 8:00",
        "31/2 8:00",
        "25:00",
        "8:75",
        "abc 8:00",
        "mai 25/11 8:00",
    ],
)
def test_unreadable_times(typed):
    assert parse_send_time(typed, NOW) is None
