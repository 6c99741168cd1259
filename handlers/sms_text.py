"""SMS text: Vietnamese without diacritics (so a segment holds 160
characters, not 70) and the segment count an SMS will cost."""

from __future__ import annotations

import math
import unicodedata

# The GSM 03.38 default alphabet; the extension table's characters cost two.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

_REPLACE = {
    "đ": "d",
    "Đ": "D",
    "—": "-",
    "–": "-",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "…": "...",
    "•": "-",
    "\u00a0": " ",
    "₫": "VND",
}


def plain(text: str) -> str:
    """``text`` in the GSM alphabet: diacritics stripped (case kept), đ as d,
    typographic marks as their plain forms; anything else (emoji) dropped."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        ch = _REPLACE.get(ch, ch)
        if len(ch) == 1 and not ch.isascii():
            # Every mark goes, even on the few accented letters GSM has (à,
            # é): Vietnamese reads the same throughout.
            ch = "".join(
                c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
            )
            if not all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in ch):
                ch = ""
        out.append(ch)
    return "".join(out).replace("  ", " ").strip()


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` costs: GSM-7 160 characters alone or
    153 a part; otherwise UCS-2, 70 alone or 67 a part."""
    if not text:
        return 0
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def sms_form(text: str, *, unicode: bool = False) -> str:
    """How ``text`` goes out by SMS: plain (the default) or as written."""
    return unicodedata.normalize("NFC", text).strip() if unicode else plain(text)
