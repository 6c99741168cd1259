"""Every user-facing message has a Vietnamese translation with the same
placeholders, and the catalogs are up to date with the code."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.i18n import LOCALES_DIR, Catalogs

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def _placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def _source_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def _catalog(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_message_in_the_code_is_in_the_vietnamese_catalog():
    vi = _catalog("vi")
    missing = sorted(m for m in _source_messages() if vi.get(m) is None)
    assert not missing, f"not in locales/vi (run pybabel extract/update, see README): {missing}"


def test_every_vietnamese_translation_is_done_and_keeps_placeholders():
    problems = []
    for msg in _catalog("vi"):
        if not msg.id:
            continue
        if not msg.string or msg.fuzzy:
            problems.append(f"untranslated or fuzzy: {msg.id!r}")
        elif _placeholders(msg.id) != _placeholders(msg.string):
            problems.append(f"placeholders differ: {msg.id!r} -> {msg.string!r}")
    assert not problems, "\n".join(problems)


def test_english_wording_is_complete_and_keeps_the_placeholders():
    problems = [
        msg.id
        for msg in _catalog("en")
        if msg.id
        and (not msg.string or msg.fuzzy or _placeholders(msg.id) != _placeholders(msg.string))
    ]
    assert not problems, problems


def test_english_catalog_lists_the_same_messages():
    vi = {m.id for m in _catalog("vi") if m.id}
    en = {m.id for m in _catalog("en") if m.id}
    assert vi == en


def test_money_and_dates_follow_the_users_language():
    catalogs = Catalogs()
    vi, en = catalogs.get("vi"), catalogs.get("en")
    assert vi.money(500_000) == "500.000\xa0₫"
    assert en.money(500_000) == "₫500,000"
    assert vi.date(date(2026, 11, 10)) == "10/11/2026"
    assert en.date(date(2026, 11, 10)) == "10/11/2026"
    assert catalogs.get(None).locale == "vi"  # Vietnamese by default
    assert catalogs.get("en-US").locale == "en"
    assert catalogs.get("fr").locale == "vi"
