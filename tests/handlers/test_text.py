from __future__ import annotations

import unicodedata
from datetime import date

from handlers.dates import DateProblem, parse_date, parse_typed_date
from handlers.ids import check_id_against_birth, check_id_format, mask_id, normalize_id
from handlers.text import best_intent, match_key


def test_match_key_folds_case_diacritics_nfd_and_d():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    assert match_key(nfd) == match_key("NGUYỄN  THỊ HÒA".replace("Ò", "Ò")) == "nguyen thi hoa"
    assert match_key("Đặng Văn Đức") == "dang van duc"


def test_intents_tolerate_typos_but_not_short_word_swaps():
    intents = {"status": ["tien ve chua"], "bank": ["tai khoan ngan hang"]}
    assert best_intent("tiền về chưa", intents) == "status"
    assert best_intent("tienn ve chua", intents) == "status"
    assert best_intent("tien vo chua", intents) is None
    assert best_intent("mo tai khoan ngan hangg", intents) == "bank"


def test_citizen_id_structure():
    assert normalize_id(" 0011-4000 1234 ") == "001140001234"
    assert check_id_format("00114000123").code == "length"
    assert check_id_format("003140001234").code == "province"
    assert check_id_format("001540001234").code == "century"  # born 2140?
    assert check_id_format(normalize_id("abc")).code == "no_digits"
    assert normalize_id("062¹82583594") == "06282583594"  # superscript is not a digit
    assert check_id_format("001140001234") is None
    assert check_id_against_birth("001140001234", date(1940, 1, 1)) is None
    assert check_id_against_birth("001140001234", date(1941, 1, 1)).code == "birth_year"
    assert check_id_against_birth("001305001234", date(2005, 6, 1)) is None  # 2000s, female
    assert mask_id("001140001234") == "*********234"


def test_parse_date_forms():
    for text in (
        "15/3/1940",
        "15-03-1940",
        "15.03.1940",
        "15 3 1940",
        "15031940",
        "1940-03-15",
        "ngày 15 tháng 3 năm 1940",
        "ngay 15 thang 3 nam 1940",
    ):
        assert parse_date(text) == date(1940, 3, 15), text
    assert parse_date("15/3/40", century=1900) == date(1940, 3, 15)
    assert parse_date("15/3/40") is None  # no century to go by
    for bad in ("1940", "abc", "", "15/13/1940", "15/3/1940 abc", "¹5/3/1940"):
        assert parse_date(bad) is None, bad
    assert parse_typed_date("31/02/1940") == DateProblem("no_such_day")
    assert parse_typed_date("hôm qua") == DateProblem("unreadable")
