"""The project's snapshot of Vietnam's communes since 1 July 2025."""

from __future__ import annotations

import unicodedata

from handlers.communes import official_communes


def test_the_snapshot_holds_the_34_provinces_and_3321_communes():
    snap = official_communes()
    assert len(snap.provinces) == 34
    assert len(snap.communes) == 3321 == len(snap.by_code)
    assert all(len(c.code) == 5 and c.code.isdigit() for c in snap.communes)
    assert all(len(p) == 2 and p.isdigit() for p in snap.provinces)
    assert all(unicodedata.is_normalized("NFC", c.name) for c in snap.communes)
    kinds = {c.name.split(" ")[0] for c in snap.communes}
    assert kinds == {"Xã", "Phường", "Đặc"}  # xã, phường, đặc khu
    assert snap.province("79") == "Thành phố Hồ Chí Minh"
    assert snap.province("01") == "Thành phố Hà Nội"


def test_a_commune_by_code_and_by_name():
    snap = official_communes()
    saigon = snap.commune("26740")
    assert saigon is not None
    assert (saigon.name, saigon.province_code) == ("Phường Sài Gòn", "79")
    assert snap.commune("12345") is None
    # Without diacritics, without the kind word, any case.
    assert [c.code for c in snap.find("phuong sai gon")] == ["26740"]
    assert [c.code for c in snap.find("SÀI GÒN")] == ["26740"]
    assert [c.code for c in snap.find("Phường Ba Đình")] == ["00004"]


def test_a_name_shared_by_several_communes_is_narrowed_by_its_province():
    snap = official_communes()
    many = snap.find("Xã Tân Phú")
    assert len(many) > 1
    provinces = {c.province_code for c in many}
    one = sorted(provinces)[0]
    name = snap.province(one)
    narrowed = snap.find(f"Xã Tân Phú, {name}")
    assert narrowed and {c.province_code for c in narrowed} == {one}
    # The province written loosely, after a dash.
    loose = name.replace("Tỉnh ", "").replace("Thành phố ", "TP ")
    assert snap.find(f"tan phu - {loose}") == narrowed


def test_the_province_in_brackets_or_without_a_comma():
    snap = official_communes()
    one = snap.find("Xã Tân Phú")[0]
    province = one.province_name.replace("Tỉnh ", "").replace("Thành phố ", "")
    for written in (
        f"Xã Tân Phú ({province})",
        f"tan phu {province}",
        f"Tân Phú, {one.province_name}",
    ):
        found = snap.find(written)
        assert found and {c.province_code for c in found} == {one.province_code}, written
    assert snap.find("tan phu atlantis") == []
