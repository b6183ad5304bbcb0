"""Synthetic registries (hub.demo.synth) and the shipped examples.

The identifier checks below are written independently of the generator (their own
province list, prefix list and check-digit code), so a bug there cannot hide itself.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from connectors.descriptor import load_descriptor
from hub.demo import synth

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Birth-province codes printed in CCCDs: the 63 provinces before the 2025 merger.
LEGACY_PROVINCE_CODES = {
    f"{c:03d}"
    for c in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34,
        35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67,
        68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
}  # fmt: skip
MOBILE_PREFIXES = {
    "032", "033", "034", "035", "036", "037", "038", "039", "070", "076", "077", "078",
    "079", "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093",
    "094", "096", "097", "098",
}  # fmt: skip


def mst_is_valid(code: str) -> bool:
    """MST check digit: weights 31..3 over nine digits, 10 - sum mod 11 (0 remainder: none)."""
    if not re.fullmatch(r"\d{10}", code) or code[2:9] == "0000000":
        return False
    total = sum(w * int(d) for w, d in zip((31, 29, 23, 19, 17, 13, 7, 5, 3), code, strict=False))
    return 10 - total % 11 == int(code[9])


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def age_on_reference(born: date) -> int:
    ref = synth.REFERENCE_DATE
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The full-size data set with default seeds, generated once for the module."""
    folder = tmp_path_factory.mktemp("synth")
    started = time.perf_counter()
    owners = synth.write_population(folder / "population.csv")
    synth.write_businesses(folder / "businesses.csv", owners=owners)
    elapsed = time.perf_counter() - started
    return {"folder": folder, "owners": owners, "elapsed": elapsed}


@pytest.fixture(scope="module")
def population(generated: dict[str, object]) -> list[dict[str, str]]:
    header, rows = read_csv(generated["folder"] / "population.csv")  # type: ignore[operator]
    assert header == list(synth.POPULATION_COLUMNS)
    return rows


@pytest.fixture(scope="module")
def businesses(generated: dict[str, object]) -> list[dict[str, str]]:
    header, rows = read_csv(generated["folder"] / "businesses.csv")  # type: ignore[operator]
    assert header == list(synth.BUSINESS_COLUMNS)
    return rows


# -- size and speed -------------------------------------------------------------------
def test_default_sizes_and_returned_owners(generated, population, businesses):
    assert len(population) == 10_000
    assert len(businesses) == 2_000
    assert generated["owners"] == [row["citizen_id"] for row in population]


def test_generation_is_fast(generated):
    # the brief: 10,000 + 2,000 rows well under 3 s (it takes about 0.3 s)
    assert generated["elapsed"] < 3.0


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first = synth.write_population(tmp_path / "a.csv", 300)
    second = synth.write_population(tmp_path / "b.csv", 300)
    synth.write_population(tmp_path / "c.csv", 300, seed=8)
    assert first == second
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    synth.write_businesses(tmp_path / "x.csv", 100, owners=first)
    synth.write_businesses(tmp_path / "y.csv", 100, owners=first)
    assert (tmp_path / "x.csv").read_bytes() == (tmp_path / "y.csv").read_bytes()


def test_zero_rows_writes_only_the_header(tmp_path):
    assert synth.write_population(tmp_path / "p.csv", 0) == []
    header, rows = read_csv(tmp_path / "p.csv")
    assert header == list(synth.POPULATION_COLUMNS) and rows == []


# -- citizens -------------------------------------------------------------------------
def test_cccd_shape_province_and_century_sex_digit(population):
    seen = set()
    for row in population:
        cccd, born = row["citizen_id"], date.fromisoformat(row["date_of_birth"])
        assert re.fullmatch(r"\d{12}", cccd), cccd
        assert cccd[:3] in LEGACY_PROVINCE_CODES, cccd
        century = (born.year - 1900) // 100
        expected = 2 * century + (0 if row["gender"] == "nam" else 1)
        assert int(cccd[3]) == expected, (cccd, row["gender"], born)
        assert cccd[4:6] == f"{born.year % 100:02d}"
        seen.add(cccd)
    assert len(seen) == len(population)
    # mostly born in the city (079, or 074/077 for the merged provinces), some elsewhere
    local = sum(r["citizen_id"][:3] in {"079", "074", "077"} for r in population)
    assert 0.5 < local / len(population) < 0.8


def test_people_fields(population):
    ages = []
    for row in population:
        born = date.fromisoformat(row["date_of_birth"])
        ages.append(age_on_reference(born))
        assert row["gender"] in {"nam", "nu"}
        assert len(row["full_name"].split()) >= 3, row["full_name"]
        assert "  " not in row["address"]
    assert min(ages) >= 0 and max(ages) <= 95
    assert 25 < sum(ages) / len(ages) < 45
    genders = {g: sum(r["gender"] == g for r in population) for g in ("nam", "nu")}
    assert abs(genders["nam"] - genders["nu"]) < 0.1 * len(population)


def test_phones_valid_mobile_and_empty_for_children(population):
    phones = []
    for row in population:
        age = age_on_reference(date.fromisoformat(row["date_of_birth"]))
        if age < 15:
            assert row["phone"] == "", row
            continue
        assert re.fullmatch(r"0\d{9}", row["phone"]), row["phone"]
        assert row["phone"][:3] in MOBILE_PREFIXES, row["phone"]
        phones.append(row["phone"])
    assert len(set(phones)) == len(phones)


def test_wards_are_real_2025_hcmc_units_and_match_the_address(population):
    wards = synth.hcmc_wards()
    by_slug = {synth.ward_slug(w): w for w in wards}
    for row in population:
        ward = by_slug[row["ward"]]
        assert row["address"].endswith(f", {ward.name}, Thành phố Hồ Chí Minh"), row
    assert len({r["ward"] for r in population}) > 150  # spread over the city


def test_ethnicity_and_notes_shares(population):
    n = len(population)
    kinh = sum(r["ethnicity"] == "Kinh" for r in population) / n
    hoa = sum(r["ethnicity"] == "Hoa" for r in population) / n
    assert 0.88 < kinh < 0.96 and 0.02 < hoa < 0.06
    notes = [r["notes"] for r in population if r["notes"]]
    assert 0.25 < len(notes) / n < 0.35
    # some remarks carry personal data (a spaced phone number), most do not
    with_phone = [t for t in notes if re.search(r"\b0\d{3} \d{3} \d{3}\b", t)]
    assert 0 < len(with_phone) < len(notes) / 4


# -- wards ----------------------------------------------------------------------------
def test_hcmc_wards_from_vietnam_provinces():
    wards = synth.hcmc_wards()
    assert len(wards) == 168  # 113 wards, 54 communes, Côn Đảo special zone (2025)
    assert all(int(w.province_code) == 79 for w in wards)
    assert all("  " not in w.name and w.name == w.name.strip() for w in wards)
    slugs = [synth.ward_slug(w) for w in wards]
    assert len(set(slugs)) == len(slugs)
    assert "phuong-ben-thanh" in slugs
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)


def test_ward_slug_disambiguates_shared_codenames():
    shared = [w for w in synth.hcmc_wards() if w.codename == "xa_thanh_an"]
    assert len(shared) == 2  # Xã Thanh An (ex-Bình Dương) and Xã Thạnh An (Cần Giờ)
    assert {synth.ward_slug(w) for w in shared} == {f"xa-thanh-an-{int(w.code)}" for w in shared}


# -- businesses -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("0100233488", True),  # a real Hanoi MST
        ("0100233480", False),  # same, wrong check digit
        ("0300000000", False),  # zero sequence
        ("010023348", False),  # nine digits
    ],
)
def test_mst_validation_helpers(code, valid):
    assert synth.is_valid_mst(code) is valid
    assert mst_is_valid(code) is valid


def test_tax_codes_valid_and_unique(businesses):
    codes = [row["tax_code"] for row in businesses]
    assert all(mst_is_valid(c) for c in codes), [c for c in codes if not mst_is_valid(c)]
    assert len(set(codes)) == len(codes)
    prefixes = {c[:2] for c in codes}
    assert prefixes <= {"03", "35", "37"} and "03" in prefixes


def test_businesses_owned_by_adults_among_the_owners(population, businesses):
    born = {r["citizen_id"]: date.fromisoformat(r["date_of_birth"]) for r in population}
    names = set()
    for row in businesses:
        owner_born = born[row["owner_citizen_id"]]
        registered = date.fromisoformat(row["registered_on"])
        assert registered <= synth.REFERENCE_DATE
        assert (registered - owner_born).days >= 18 * 365, row
        assert row["status"] in {"active", "suspended", "dissolved"}
        assert int(row["charter_capital_vnd"]) >= 10_000_000
        assert row["company_name"].startswith(
            ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân")
        )
        assert row["address"].endswith(", Thành phố Hồ Chí Minh")
        names.add(row["company_name"])
    assert len(names) == len(businesses)
    slugs = {synth.ward_slug(w) for w in synth.hcmc_wards()}
    assert {row["ward"] for row in businesses} <= slugs


@pytest.mark.parametrize(
    ("owners", "message"),
    [
        (["07920800001"], "12-digit"),  # eleven digits
        (["079320000001"], "adult"),  # a girl born in 2020
        ([], "adult"),  # nobody
    ],
)
def test_write_businesses_rejects_unusable_owners(tmp_path, owners, message):
    with pytest.raises(ValueError, match=message):
        synth.write_businesses(tmp_path / "b.csv", 5, owners=owners)


# -- examples -------------------------------------------------------------------------
DESCRIPTORS = sorted((EXAMPLES / "datasets").glob("*.yaml"))
POLICIES = sorted((EXAMPLES / "policies").glob("*.yaml"))


def load(path: Path):
    return load_descriptor(path.read_text(encoding="utf-8"), source=str(path))


def test_examples_exist():
    assert [p.name for p in DESCRIPTORS] == ["business-registry.yaml", "population-registry.yaml"]
    assert [p.name for p in POLICIES] == ["business-registry.yaml", "population-registry.yaml"]


@pytest.mark.parametrize("path", DESCRIPTORS, ids=lambda p: p.stem)
def test_example_descriptor_loads_and_matches_its_sample(path):
    descriptor = load(path)
    assert descriptor.id == path.stem
    assert all(f.label and f.description for f in descriptor.fields)
    assert descriptor.source.connector == "csv"
    data = path.parent / descriptor.source.options["path"]
    header, rows = read_csv(data)
    assert header == descriptor.field_names
    assert len(rows) == 50


def test_population_descriptor_as_specified():
    d = load(EXAMPLES / "datasets" / "population-registry.yaml")
    assert (d.agency, d.classification.value, d.primary_key) == (
        "cong-an",
        "restricted",
        "citizen_id",
    )
    pii = {f.name: (f.type.value, f.pii.value if f.pii else None) for f in d.fields}
    assert pii == {
        "citizen_id": ("string", "VN_CCCD"),
        "full_name": ("string", "PERSON"),
        "date_of_birth": ("date", "DATE_OF_BIRTH"),
        "gender": ("string", None),
        "phone": ("string", "PHONE_NUMBER"),
        "address": ("string", "LOCATION"),
        "ward": ("string", None),
        "ethnicity": ("string", "SENSITIVE"),
        "notes": ("text", "FREE_TEXT"),
    }
    assert d.open_data is not None
    assert d.open_data.quasi_identifiers == ["date_of_birth", "gender", "ward"]
    assert (d.open_data.k, d.open_data.license) == (5, "cc-by-4.0")


def test_business_descriptor_as_specified():
    d = load(EXAMPLES / "datasets" / "business-registry.yaml")
    assert (d.agency, d.classification.value, d.primary_key) == (
        "so-tai-chinh",
        "internal",
        "tax_code",
    )
    assert d.field("owner_citizen_id").pii is not None
    assert d.field("owner_citizen_id").pii.value == "VN_CCCD"
    assert d.field("charter_capital_vnd").type.value == "integer"


def test_shipped_samples_are_what_make_samples_writes(tmp_path):
    owners = synth.write_population(tmp_path / "population.csv", 50)
    synth.write_businesses(tmp_path / "businesses.csv", 50, owners=owners)
    for name in ("population.csv", "businesses.csv"):
        shipped = EXAMPLES / "datasets" / "data" / name
        assert shipped.read_bytes() == (tmp_path / name).read_bytes(), (
            f"{shipped} is stale: run python examples/make_samples.py"
        )


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_example_policy_names_only_fields_of_its_dataset(path):
    policy = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert policy["dataset"] == path.stem
    fields = set(load(EXAMPLES / "datasets" / f"{path.stem}.yaml").field_names)
    ids = [rule["id"] for rule in policy["rules"]]
    assert len(set(ids)) == len(ids)
    for rule in policy["rules"]:
        assert set(rule["fields"]) <= fields, (rule["id"], set(rule["fields"]) - fields)
        assert set(rule.get("row_filter", {})) <= fields, rule["id"]
        assert rule["agencies"] and rule["roles"] and rule["purposes"], rule["id"]


def test_population_policy_rules_as_specified():
    policy = yaml.safe_load((EXAMPLES / "policies" / "population-registry.yaml").read_text("utf-8"))
    rules = {rule["id"]: rule for rule in policy["rules"]}
    assert set(rules) == {"tax-identity-check", "health-ward-care", "police-full"}
    tax = rules["tax-identity-check"]
    assert tax["fields"]["date_of_birth"] == {"generalize": "year"}
    assert tax["fields"]["phone"] == {"mask": {"keep_last": 3}}
    assert tax["fields"]["ethnicity"] == "drop"
    assert (tax["max_rows"], tax["expires"]) == (100, date(2027, 12, 31))
    health = rules["health-ward-care"]
    assert health["row_filter"] == {"ward": "${attrs.ward}"}
    assert health["fields"]["citizen_id"] == "pseudonymize"
    police = rules["police-full"]
    assert set(police["fields"].values()) == {"keep"} and len(police["fields"]) == 9


def test_readme_names_existing_example_files():
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in set(re.findall(r"examples/[\w./-]+\.(?:yaml|py)", text)):
        assert (ROOT / name).is_file(), name


def test_demo_package_does_not_import_the_web_stack():
    code = "import sys, hub.demo.synth; sys.exit('fastapi' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT).returncode == 0
