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
    # read from the right: the province named last wins, even over one in the street
    ("12 Đường Hà Nội, Phường Bến Thành, TP.HCM", HCMC, f"Phường Bến Thành, {HCMC}", HCMC),
    ("1 Đường Thành phố Hà Nội, Phường Bến Thành, TP.HCM", HCMC, f"Phường Bến Thành, {HCMC}",
     HCMC),
    ("Phú Thọ, Hải Phòng", "Thành phố Hải Phòng", "Thành phố Hải Phòng",
     "Thành phố Hải Phòng"),
    # a ward named like a province, before the province: still the ward of that province
    ("Phường Phú Thọ, TP.HCM", HCMC, f"Phường Phú Thọ, {HCMC}", HCMC),
    # a province left of a legacy district still overrides it
    ("Hà Nội, Quận 1", "Thành phố Hà Nội", "Thành phố Hà Nội", "Thành phố Hà Nội"),
    # a ward right of the province counts; an unplaceable one does not stop the reading
    ("TP.HCM, Phường Bến Thành", HCMC, f"Phường Bến Thành, {HCMC}", HCMC),
    ("Phường Hoàng Mai, Phường Bến Thành, Nghệ An", "Nghệ An", "Phường Hoàng Mai, Nghệ An",
     "Nghệ An"),
    # no commas: the single part is read whole
    ("12 Lê Lợi Phường Bến Thành Quận 1 TPHCM", HCMC, f"Phường Bến Thành, {HCMC}", "Quận 1"),
    ("45 Đường Hà Nội Quận 2 TP HCM", HCMC, HCMC, "Quận 2"),
    # the last part names nothing: the reading goes on leftwards
    ("12 Lê Lợi, Phường Bến Thành, TP.HCM, Việt Nam", HCMC, f"Phường Bến Thành, {HCMC}",
     HCMC),
    ("Phường Bến Thành, Quận 1, abc", HCMC, f"Phường Bến Thành, {HCMC}", "Quận 1"),
    ("12 Trần Phú, Phường Ba Đình, Hà Nội, xyz 123", "Thành phố Hà Nội",
     "Phường Ba Đình, Thành phố Hà Nội", "Thành phố Hà Nội"),
    ("Phường Hoàng Mai; 12 Nguyễn Huệ", None, None, None),
    # other separators, and runs of them
    ("12 Lê Lợi; Phường Bến Thành | Quận 1\nTP.HCM", HCMC, f"Phường Bến Thành, {HCMC}",
     "Quận 1"),
    ("12 Lê Lợi,, Phường Bến Thành,,Hà Nội,", "Thành phố Hà Nội", "Thành phố Hà Nội",
     "Thành phố Hà Nội"),
    # nothing official in it
    ("12 Nguyễn Huệ", None, None, None),
    ("12 Nguyễn Huệ, Việt Nam", None, None, None),
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


@pytest.fixture
def parts_read(monkeypatch):
    """The parts the gazetteer scans (cached or not), in the order it reads them."""
    g = geo.gazetteer()
    read: list[str] = []

    def spy(part):
        read.append(part)
        return scan(part)

    scan = g.segment
    monkeypatch.setattr(g, "segment", spy)
    return read


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("province", ["TP.HCM"]),
        ("district", ["TP.HCM", "Quận 1"]),
        ("ward", ["TP.HCM", "Quận 1", "Phường Bến Thành"]),
    ],
)
def test_an_address_is_read_from_the_right_only_as_far_as_needed(parts_read, level, expected):
    geo.generalize("123 Lê Lợi, Phường Bến Thành, Quận 1, TP.HCM", level)
    assert parts_read == expected


def test_the_whole_text_is_read_when_the_right_does_not_settle_it(parts_read):
    assert geo.generalize("Hà Nội, Quận 1, Việt Nam", "province") == "Thành phố Hà Nội"
    assert parts_read == ["Việt Nam", "Quận 1", "Hà Nội"]
    parts_read.clear()
    assert geo.place("12 Đường Hà Nội, Phường Bến Thành, TP.HCM") == geo.Place(
        HCMC, "Phường Bến Thành", None
    )
    assert parts_read == ["TP.HCM", "Phường Bến Thành", "12 Đường Hà Nội"]  # for a district


def test_parts_are_cached_not_whole_addresses():
    g = geo.gazetteer()
    g.segment.cache_clear()
    for number in (7, 9, 11):
        assert geo.generalize(f"{number} Pasteur, Phường Sài Gòn, TP.HCM", "ward") == (
            f"Phường Sài Gòn, {HCMC}"
        )
    info = g.segment.cache_info()
    assert (info.misses, info.hits) == (2, 4)  # the street parts were never read
    assert info.maxsize == geo.PART_CACHE <= 20_000
    assert not hasattr(geo.place, "cache_info")


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
