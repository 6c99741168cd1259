"""Vietnamese text keys, shared by storage (stored matching keys) and handlers.

The matching key follows DOMAIN.md: NFC -> casefold -> strip combining marks ->
map đ to d -> collapse spaces. The exact NFC form is kept for display.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def display_form(text: str) -> str:
    """NFC with single spaces: how a name is stored and shown."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def match_key(text: str) -> str:
    """The diacritics-, case- and spacing-insensitive key of a text."""
    folded = unicodedata.normalize("NFC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d")
    return _SPACES.sub(" ", stripped).strip()
