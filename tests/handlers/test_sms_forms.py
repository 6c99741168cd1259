"""Every message a feature phone gets has a short form that fits one SMS
(160 GSM-7 characters once diacritics are stripped), in Vietnamese and in
English, with long names, large amounts, long reasons and long commune
names; the facts that matter (amount, date, contact) survive shortening."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from handlers import sms, sms_forms
from handlers.i18n import Catalogs
from handlers.sms_text import is_gsm7, plain, segments
from storage.records import Beneficiary, Payment
from tests.conftest import COMMUNE

LONG_NAME = "Tôn Nữ Thị Hoàng Phương Thảo Nguyễn Ngọc Bích"
MEDIUM_NAME = "Tôn Nữ Thị Hoàng Phương Thảo"
LONG_COMMUNE = "Phường Nguyễn Thái Bình Đông Hòa Thượng Mỹ Lộc"
LONG_REASON = "tài khoản bị khóa do chủ tài khoản chưa cập nhật căn cước gắn chip tại ngân hàng"
BIG = 123_456_789
TODAY = date(2026, 11, 20)


def ben(name: str = "Nguyễn Thị Phàm", amount: int = 500_000, method: str = "bank") -> Beneficiary:
    return Beneficiary(
        id=1,
        full_name=name,
        commune_code="99001",
        village="Thôn Đông",
        category="elderly",
        monthly_amount=amount,
        payment_method=method,
        bank_name="Agribank",
        account_last4="6789",
        female=True,
        birth_year=1940,
    )


def payment(status: str, method: str, amount: int, note: str | None) -> Payment:
    return Payment(
        beneficiary_id=1,
        period="2026-11",
        amount=amount,
        status=status,
        paid_on=date(2026, 11, 10) if status == "paid" else None,
        method=method,
        bank_name="Vietcombank" if method == "bank" else None,
        account_last4="6789" if method == "bank" else None,
        note=note,
    )


def one_segment(text: str) -> None:
    flat = plain(text)
    assert is_gsm7(flat), flat
    assert segments(flat) == 1, (len(flat), flat)


CASES = [
    (status, method)
    for status in ("paid", "pending", "failed", "returned")
    for method in ("bank", "post", "cash")
]


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("name", ["Lê Văn Tư", LONG_NAME])
@pytest.mark.parametrize("amount", [500_000, BIG])
def test_every_status_form_fits_one_sms(locale, name, amount):
    t = Catalogs().get(locale)
    person = replace(ben(name, amount), female=False)
    long_commune = replace(COMMUNE, name=LONG_COMMUNE, officer_phone="0912 345 678")
    for commune in (COMMUNE, long_commune, None):
        one_segment(sms_forms.status(t, person, None, "2026-11", commune, TODAY))
        for status, method in CASES:
            for note in (None, "sai số tài khoản", LONG_REASON):
                p = payment(status, method, amount, note)
                for today in (TODAY, date(2026, 11, 5)):
                    text = sms_forms.status(t, person, p, "2026-11", commune, today)
                    one_segment(text)
                    # The amount is always there, whatever was shortened.
                    assert plain(t.money(amount)) in plain(text)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("name", ["Lê Văn Tư", LONG_NAME])
def test_reminder_forms_fit_one_sms(locale, name):
    t = Catalogs().get(locale)
    for commune in (COMMUNE, replace(COMMUNE, name=LONG_COMMUNE)):
        for post in (False, True):
            text = sms_forms.payday(
                t, ben(name), commune, "2026-12", BIG, post, date(2026, 12, 10), TODAY
            )
            one_segment(text)
            assert "10/12/2026" in text
        text = sms_forms.insurance(t, ben(name), date(2026, 12, 20), TODAY)
        one_segment(text)
        assert "20/12/2026" in text and "30" in text


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_answers_by_sms_fit_one_sms(locale):
    t = Catalogs().get(locale)
    for msgid in (sms.MSG_HELP, sms.MSG_UNKNOWN, sms.MSG_STOPPED, sms.MSG_STARTED):
        one_segment(t.gettext(msgid))
    one_segment(t.gettext(sms.MSG_LIMIT, count=10))
    one_segment(t.gettext(sms.MSG_LANGUAGE))


def test_the_limit_notice_reads_well_for_one_answer():
    en = Catalogs().get("en")
    assert en.gettext(sms.MSG_LIMIT, count=1) == (
        "This number has reached today's limit of answers (1). Please text again tomorrow."
    )


def test_the_short_forms_read_well():
    vi, en = Catalogs().get("vi"), Catalogs().get("en")
    paid = payment("paid", "bank", 500_000, None)
    assert plain(sms_forms.status(vi, ben(), paid, "2026-11", COMMUNE, TODAY)) == (
        "Tro cap thang 11/2026 cua Ba Nguyen Thi Pham: 500.000 VND, da chuyen vao TK "
        "Vietcombank ****6789 ngay 10/11/2026."
    )
    failed = payment("failed", "bank", BIG, LONG_REASON)
    # A long name goes to its initials first; then a long reason is cut at a word.
    text = plain(sms_forms.status(en, ben(MEDIUM_NAME), failed, "2026-11", COMMUNE, TODAY))
    assert text == (
        "Allowance 11/2026 for Ms T.N.T.H.P. Thao (VND123,456,789) not transferred: "
        "tai khoan bi khoa do chu tai... The money is not lost. Please call 0912 345 678."
    )
    # A very long name: its initials and the given name.
    text = plain(sms_forms.status(vi, ben(LONG_NAME), failed, "2026-11", COMMUNE, TODAY))
    assert text == (
        "Tro cap thang 11/2026 cua Ba T.N.T.H.P.T.N.N. Bich (123.456.789 VND) chua chuyen duoc: "
        "tai khoan bi khoa do chu tai... Tien khong bi mat. Xin goi 0912 345 678."
    )
    # The reminder keeps what to bring; the long commune name is cut instead.
    text = plain(
        sms_forms.payday(
            vi,
            ben(LONG_NAME),
            replace(COMMUNE, name=LONG_COMMUNE),
            "2026-12",
            BIG,
            True,
            date(2026, 12, 10),
            TODAY,
        )
    )
    assert text.endswith("tu khoang ngay 10/12/2026. Xin mang the can cuoc.")


def test_the_name_is_shortened_before_the_reason_is_cut():
    en = Catalogs().get("en")
    failed = payment("failed", "bank", BIG, LONG_REASON)
    text = plain(sms_forms.status(en, ben(MEDIUM_NAME), failed, "2026-11", COMMUNE, TODAY))
    # Initials first; the reason is cut only as far as it must be, at a word, with "...".
    assert "Ms T.N.T.H.P. Thao" in text
    reason = text.split("not transferred: ")[1].split("... The money")[0]
    assert len(reason) > 15 and plain(LONG_REASON).startswith(reason)
    assert plain(LONG_REASON)[len(reason)] == " "  # cut at a word
    one_segment(text)
    # A reason that fits with the initials is not cut at all.
    short = "tài khoản bị khóa tạm thời"
    text = plain(
        sms_forms.status(
            en, ben(MEDIUM_NAME), replace(failed, note=short), "2026-11", COMMUNE, TODAY
        )
    )
    assert plain(short) + ". The money" in text and "..." not in text


def test_nothing_is_lost_when_a_text_cannot_be_shortened():
    text = sms_forms.first_fit(["Ê" * 400])
    assert text == "E" * 157 + "..."
    assert sms_forms.first_fit(["{" * 200]) == "{" * 78 + "..."
    assert sms_forms.initials("Tư") == "Tư"
