"""Translations and locale-aware formatting (Babel).

Catalogs are the gettext ``.po`` files under ``locales/``; they are compiled in
memory when loaded, so editing a ``.po`` file and restarting is enough. Only
literal strings go inside ``_()``, with named ``{placeholders}``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("vi", "en")
DEFAULT_LOCALE = "vi"
_BABEL_LOCALE = {"vi": "vi_VN", "en": "en_US"}
# How each language names itself, for the language menu.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@lru_cache(maxsize=4096)
def _money(amount: int, locale: str) -> str:
    # Babel parses the currency pattern on every call; amounts repeat a lot.
    return format_currency(amount, "VND", locale=locale)


@lru_cache(maxsize=4096)
def _date(d: date, locale: str) -> str:
    return format_date(d, "dd/MM/yyyy", locale=locale)


def _(message: str) -> str:
    """Mark a string for extraction without translating it (module constants)."""
    return message


def load_translations(locale: str, locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    po = locales_dir / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out, as gettext does
    buf.seek(0)
    return Translations(buf)


def normalize_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    if not code:
        return default
    short = code.replace("-", "_").split("_")[0].lower()
    return short if short in SUPPORTED else default


@dataclass
class Translator:
    """Everything language-specific a handler needs for one user."""

    locale: str
    translations: NullTranslations

    def gettext(self, message: str, **params: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**params) if params else text

    def money(self, amount: int) -> str:
        return _money(amount, _BABEL_LOCALE[self.locale])

    def date(self, d: date) -> str:
        return _date(d, _BABEL_LOCALE[self.locale])

    def join(self, items: list[str]) -> str:
        """ "A, B and C" the way the language writes lists (Babel)."""
        return format_list(items, locale=_BABEL_LOCALE[self.locale])

    def percent(self, part: int, whole: int) -> str:
        """A share rounded half up to one decimal, as provinces report it:
        "38,7 %" in Vietnamese, "38.7%" in English; "—" when there is no whole."""
        if whole <= 0:
            return "—"
        value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        number = format_decimal(value, format="#,##0.0", locale=_BABEL_LOCALE[self.locale])
        return f"{number}\xa0%" if self.locale == "vi" else f"{number}%"

    def number(self, value: int) -> str:
        """A count with the language's thousands separator: 21.150 / 21,150."""
        return format_decimal(value, locale=_BABEL_LOCALE[self.locale])

    def period(self, period: str) -> str:
        """'2026-11' -> '11/2026' (the way both languages write a month here)."""
        year, month = period.split("-")
        return f"{month}/{year}"

    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(_BABEL_LOCALE[self.locale])


class Catalogs:
    """Loads each language's catalog once."""

    def __init__(self, locales_dir: Path = LOCALES_DIR, default: str = DEFAULT_LOCALE) -> None:
        self.default = normalize_locale(default)
        self._translators = {
            code: Translator(code, load_translations(code, locales_dir)) for code in SUPPORTED
        }

    def get(self, locale: str | None) -> Translator:
        return self._translators[normalize_locale(locale, self.default)]

    def all(self) -> list[Translator]:
        return list(self._translators.values())
