"""The project's bank list, finding a bank from what people type, and the
VietQR payload checked against published examples."""

from __future__ import annotations

import pytest

from handlers.bank_account import clean_account, next_period
from handlers.banks import all_banks, by_bin, find_banks
from handlers.vietqr import crc16, payload, png
from tests.conftest import NOW


def test_the_list_has_the_common_banks_vbsp_and_wallets():
    banks = all_banks()
    assert len(banks) >= 40
    assert len({b.bin for b in banks}) == len(banks)  # no BIN twice
    assert all(b.bin.isdigit() and len(b.bin) == 6 for b in banks)
    for bin_code, name in [
        ("970436", "Vietcombank"), ("970415", "VietinBank"), ("970418", "BIDV"),
        ("970405", "Agribank"), ("970407", "Techcombank"), ("970422", "MB"),
        ("970416", "ACB"), ("970432", "VPBank"), ("970403", "Sacombank"),
        ("970423", "TPBank"), ("999888", "VBSP"), ("971005", "Viettel Money"),
        ("971011", "VNPT Money"),
    ]:  # fmt: skip
        bank = by_bin(bin_code)
        assert bank is not None and bank.short_name == name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("vietcom", ["Vietcombank"]),
        ("VIETCOMBANK", ["Vietcombank"]),
        ("agri", ["Agribank"]),
        ("ngân hàng nông nghiệp", ["Agribank"]),
        ("chinh sach xa hoi", ["VBSP"]),
        ("Ngân hàng Chính sách", ["VBSP"]),
        ("nhcsxh", ["VBSP"]),
        ("vcb", ["Vietcombank"]),
        ("mb bank", ["MB"]),
        ("viettel", ["Viettel Money"]),
        ("vi vnpt", ["VNPT Money"]),
        ("lien viet", ["LPBank"]),
        ("970418", ["BIDV"]),
        ("xyz", []),
        ("a", []),
    ],
)
def test_finding_a_bank_by_part_of_its_name(typed, expected):
    assert [b.short_name for b in find_banks(typed)] == expected


def test_a_vague_name_gives_several_the_common_first():
    found = [b.short_name for b in find_banks("viet")]
    assert found[:4] == ["Vietcombank", "VietinBank", "BIDV", "Agribank"]
    assert len(found) > 8


def test_account_numbers_lose_spaces_dots_and_dashes():
    assert clean_account(" 0123.4567-8901 ") == "012345678901"
    assert clean_account("1234\u00a05678") == "12345678"


def test_the_next_period_rolls_over_the_year():
    assert next_period(NOW) == "2026-12"
    assert next_period(NOW.replace(month=12)) == "2027-01"


def test_crc16_ccitt_check_value():
    assert crc16("123456789") == "29B1"  # the CRC-16/CCITT-FALSE check value


@pytest.mark.parametrize(
    "published",
    [
        # Published VietQR strings (a dynamic QR with amount and message): their
        # last four characters are the CRC of everything before them.
        "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA"
        "5303704540719430005802VN62120808TT0000696304A8E5",
        "00020101021238570010A0000007270127000697041501130011001932418"
        "0208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C",
    ],
)
def test_crc_matches_published_vietqr_codes(published):
    assert crc16(published[:-4]) == published[-4:]


def test_payload_for_an_account():
    text = payload("970436", "1023456789")
    assert text == (
        "000201"  # format
        "010211"  # static: no amount
        "3854" "0010A000000727" "0124" "0006970436" "01101023456789" "0208QRIBFTTA"
        "5303704"  # VND
        "5802VN"
        "6304" + crc16(text[:-4])
    )  # fmt: skip
    assert text.endswith("6304A824")
    with pytest.raises(ValueError):
        payload("970436", "12ab")


def test_png_is_an_image():
    assert png(payload("999888", "123456789")).startswith(b"\x89PNG\r\n\x1a\n")
