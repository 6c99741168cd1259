"""Vietnamese text helpers: matching keys and forgiving free-text matching.

The matching key follows DOMAIN.md: NFC -> casefold -> strip combining marks ->
map đ to d -> collapse spaces. The exact NFC form is kept for display elsewhere.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from storage.text import display_form, match_key

__all__ = ["best_intent", "display_form", "match_key", "phrase_score", "words"]

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def words(text: str) -> list[str]:
    """Matching-key words of a text, punctuation removed."""
    return _PUNCT.sub(" ", match_key(text)).split()


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    # Short words must match exactly: "ve" and "vo" are different words.
    if min(len(a), len(b)) < 4:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def phrase_score(text_words: list[str], phrase: str) -> float:
    """Share of the phrase's words found (allowing typos) in the text."""
    pw = phrase.split()
    if not pw:
        return 0.0
    hits = sum(1 for w in pw if any(_similar(w, t) for t in text_words))
    return hits / len(pw)


def best_intent(text: str, intents: dict[str, list[str]], threshold: float = 0.99) -> str | None:
    """Return the intent whose phrase best matches ``text``.

    ``intents`` maps an intent name to phrases already in matching-key form. A
    phrase matches when all of its words occur in the text (each allowing a
    typo); longer phrases win ties, so "tai khoan ngan hang" beats "tien".
    """
    tw = words(text)
    if not tw:
        return None
    best: tuple[float, int, str] | None = None
    for intent, phrases in intents.items():
        for phrase in phrases:
            score = phrase_score(tw, phrase)
            if score >= threshold:
                cand = (score, len(phrase.split()), intent)
                if best is None or cand[:2] > best[:2]:
                    best = cand
    return best[2] if best else None
