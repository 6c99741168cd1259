"""Checks on Vietnamese citizen-ID numbers (CCCD, 12 digits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Province-of-registration codes used in the first three digits (the 63
# provinces before the 2025 merger; see DOMAIN.md).
PROVINCE_CODES = frozenset(
    {
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    }
)

# Fourth digit: century and gender. 0/1 = 1900s, 2/3 = 2000s, 4/5 = 2100s,
# 6/7 = 2200s, 8/9 = 2300s (even = male, odd = female).
_CENTURY = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 2300,
    9: 2300,
}


@dataclass(frozen=True)
class IdProblem:
    """Why a citizen ID cannot be right; ``code`` selects the translated text."""

    code: str  # "no_digits", "length", "province", "century", "birth_year"


ASCII_DIGITS = frozenset("0123456789")


def normalize_id(text: str) -> str:
    """Keep the digits 0-9 of what the user typed ("0011 9600 1234" -> "001196001234").

    Only ASCII digits count: "¹" or "٣" are digits to ``str.isdigit`` but not
    part of any citizen ID.
    """
    return "".join(ch for ch in text if ch in ASCII_DIGITS)


def check_id_format(national_id: str) -> IdProblem | None:
    if not national_id:
        return IdProblem("no_digits")
    if len(national_id) != 12 or not set(national_id) <= ASCII_DIGITS:
        return IdProblem("length")
    if national_id[:3] not in PROVINCE_CODES:
        return IdProblem("province")
    # Digit 4 is 0-3 for people born 1900-2099; 4-9 would mean 2100 or later.
    if national_id[3] not in "0123":
        return IdProblem("century")
    return None


def birth_year_from_id(national_id: str) -> int:
    century = _CENTURY[int(national_id[3])]
    return century + int(national_id[4:6])


def check_id_against_birth(national_id: str, born: date) -> IdProblem | None:
    """The 4th-6th digits encode the birth year; they must agree with ``born``."""
    problem = check_id_format(national_id)
    if problem:
        return problem
    if birth_year_from_id(national_id) != born.year:
        return IdProblem("birth_year")
    return None


def mask_id(national_id: str) -> str:
    """Show only the last three digits: ``*********234``."""
    return "*" * (len(national_id) - 3) + national_id[-3:] if len(national_id) > 3 else "***"
