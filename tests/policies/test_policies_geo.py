"""The gazetteer behind generalize: province|ward|district (vietnam_provinces 2025 data)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from policies import geo

HCMC = "Thành phố Hồ Chí Minh"


# (address, province, ward, district) as generalize would return them; None: unplaced
CASES = [
    # the usual shapes of an HCMC address, abbreviated or not
    ("123 Lê Lợi, Phường Bến Thành, Quận 1, TP.HCM", HCMC, f"Phường Bến Thành, {HCMC}", "Quận 1"),
    ("12 Nguyễn Huệ, P. Bến Thành, Q.1, Tp. Hồ Chí Minh", HCMC, f"Phường Bến Thành, {HCMC}",
     "Quận 1"),
    ("12 Nguyễn Huệ, P.Bến Thành, Q1, TPHCM", HCMC, f"Phường Bến Thành, {HCMC}", "Quận 1"),
    ("Phường Bến Thành Quận 1 Thành phố Hồ Chí Minh Việt Nam", HCMC,
     f"Phường Bến Thành, {HCMC}", "Quận 1"),
    # no accents, upper case
    ("12 NGUYEN HUE, PHUONG BEN THANH, QUAN 1, HCM", HCMC, f"Phường Bến Thành, {HCMC}",
     "Quận 1"),
    ("1 Lê Duẩn, Phường Sài Gòn, Thành phố Hồ Chí Minh", HCMC, f"Phường Sài Gòn, {HCMC}", HCMC),
    # a ward as a whole comma-separated part, without its kind
    ("12 Lê Lợi, Bến Thành, HCM", HCMC, f"Phường Bến Thành, {HCMC}", HCMC),
    # legacy districts: numbered, named, rural; Quận 01 reads as Quận 1
    ("Phường 7, Quận 10, TP HCM", HCMC, HCMC, "Quận 10"),
    ("Phường 01, Quận 01", HCMC, HCMC, "Quận 1"),
    ("Ấp 2, Huyện Củ Chi", HCMC, HCMC, "Huyện Củ Chi"),
    ("Khu phố 3, TP. Thủ Đức, TP.HCM", HCMC, HCMC, "Thành phố Thủ Đức"),
    ("Quận Bình Thạnh, Thành phố Hồ Chí Minh", HCMC, HCMC, "Quận Bình Thạnh"),
    # a legacy district of HCMC with another province named: the district is not believed
    ("Quận 1, Hà Nội", "Thành phố Hà Nội", "Thành phố Hà Nội", "Thành phố Hà Nội"),
    # 2025 communes
    ("Ấp 3, Xã Củ Chi, TP HCM", HCMC, f"Xã Củ Chi, {HCMC}", HCMC),
    # other provinces
    ("12 Trần Phú, Phường Ba Đình, Hà Nội", "Thành phố Hà Nội",
     "Phường Ba Đình, Thành phố Hà Nội", "Thành phố Hà Nội"),
    ("Tỉnh Phú Thọ", "Phú Thọ", "Phú Thọ", "Phú Thọ"),
    ("12 Lê Duẩn, Phú Thọ", "Phú Thọ", "Phú Thọ", "Phú Thọ"),
    ("Can Tho", "Thành phố Cần Thơ", "Thành phố Cần Thơ", "Thành phố Cần Thơ"),
    # pre-2025 provinces read as the province they merged into
    ("Số 5, Thuận An, Bình Dương", HCMC, f"Phường Thuận An, {HCMC}", HCMC),
    ("Phường  Rạch Dừa, Bà Rịa - Vũng Tàu", HCMC, f"Phường Rạch Dừa, {HCMC}", HCMC),
    ("Tỉnh Long An", "Tây Ninh", "Tây Ninh", "Tây Ninh"),
    # a province name inside a street name is not the province
    ("1 Đường Phú Thọ, Phường Bến Thành", HCMC, f"Phường Bến Thành, {HCMC}", HCMC),
    # a ward name several provinces share: the named province decides...
    ("Phường Phú Thọ, Tỉnh Phú Thọ", "Phú Thọ", "Phường Phú Thọ, Phú Thọ", "Phú Thọ"),
    ("Phường Tân Hưng, Hải Phòng", "Thành phố Hải Phòng",
     "Phường Tân Hưng, Thành phố Hải Phòng", "Thành phố Hải Phòng"),
    # ... else the home province (HCMC) when it has one ...
    ("Phường Tân Hưng", HCMC, f"Phường Tân Hưng, {HCMC}", HCMC),
    # ... else nobody can say which one
    ("Phường Hoàng Mai", None, None, None),
    ("Phường Hoàng Mai, Nghệ An", "Nghệ An", "Phường Hoàng Mai, Nghệ An", "Nghệ An"),
    # two HCMC communes fold to the same letters; the accents written decide
    ("Xã Thạnh An, TP.HCM", HCMC, f"Xã Thạnh An, {HCMC}", HCMC),
    ("Xã Thanh An, TP.HCM", HCMC, f"Xã Thanh An, {HCMC}", HCMC),
    # written without accents it is literally Thanh An (a name with no diacritics)
    ("xa thanh an, tp hcm", HCMC, f"Xã Thanh An, {HCMC}", HCMC),
    # a tone mark placed the old way (Hoà) still finds Hòa through the folded index
    ("Phường Hoà Hưng, TP.HCM", HCMC, f"Phường Hòa Hưng, {HCMC}", HCMC),
    # ward slugs
    ("phuong-ben-thanh", HCMC, f"Phường Bến Thành, {HCMC}", HCMC),
    ("phuong_ben_thanh", HCMC, f"Phường Bến Thành, {HCMC}", HCMC),
    ("phuong-hoang-mai", None, None, None),  # the slug of two wards
    ("ho-chi-minh", HCMC, HCMC, HCMC),
    # nothing official in it
    ("12 Nguyễn Huệ", None, None, None),
    ("abc xyz", None, None, None),
    ("", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "province", "ward", "district"), CASES)
def test_generalize(text, province, ward, district):
    assert geo.generalize(text, "province") == province
    assert geo.generalize(text, "ward") == ward
    assert geo.generalize(text, "district") == district


def test_the_data_is_indexed_once_and_names_are_cleaned():
    g = geo.gazetteer()
    assert g is geo.gazetteer()
    assert len(g.province_names) == 34
    assert all("  " not in w.name for ws in g.wards.values() for w in ws)


def test_lookups_are_cached_per_distinct_value():
    geo.place.cache_clear()
    for _ in range(3):
        geo.generalize("7 Pasteur, Phường Sài Gòn, TP.HCM", "ward")
    info = geo.place.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_the_gazetteer_is_not_built_at_import():
    code = (
        "import policies.treatments, policies.geo as g; "
        "assert g.gazetteer.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_words_expand_abbreviations():
    assert geo.words("TP.HCM") == ("thanh", "pho", "ho", "chi", "minh")
    assert geo.words("P.Bến Thành, Q.01") == ("phuong", "ben", "thanh", "quan", "1")
    assert geo.words("Đường Đồng Khởi") == ("duong", "dong", "khoi")
