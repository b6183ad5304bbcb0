"""Structural checks of Vietnamese identifiers, without Presidio."""

from __future__ import annotations

from datetime import date

import pytest

from anonymizer.recognizers import checks

TODAY = date(2025, 7, 1)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("0100109106", True),  # a real Hanoi company code (Viettel group)
        ("0312345673", True),  # computed: 031234567 -> check 3
        ("0312345674", False),  # same body, wrong check digit
        ("0312345610", False),  # body 031234561 has remainder 0: no check digit is valid
        ("0312345619", False),  # ... whatever the last digit
        ("031234567", False),  # nine digits
        ("03123456a3", False),  # not all digits
    ],
)
def test_tax_code_check_digit(code: str, valid: bool) -> None:
    assert checks.is_valid_mst(code) is valid


def test_check_digit_formula_matches_circular_105() -> None:
    # 0*31 + 1*29 + 0*23 + 0*19 + 1*17 + 0*13 + 9*7 + 1*5 + 0*3 = 114; 114 % 11 = 4; 10 - 4 = 6
    assert checks.mst_check_digit("010010910") == 6
    assert checks.mst_check_digit("031234561") is None


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("079090001234", True),  # HCMC, man born 1990
        ("001305012345", True),  # Hanoi, woman born 2005
        ("079226001234", False),  # born 2026: after today
        ("003090001234", False),  # 003 is not a province code
        ("079890001234", False),  # century digit 8 = 1800s: not a living person
        ("079490001234", False),  # century digit 4 = 2100s
        ("07909000123", False),  # eleven digits
    ],
)
def test_cccd_structure(number: str, valid: bool) -> None:
    assert checks.is_valid_cccd(number, today=TODAY) is valid


def test_cccd_province_codes_are_the_63_legacy_provinces() -> None:
    assert len(checks.CCCD_PROVINCE_CODES) == 63
    assert {"001", "079", "096"} <= checks.CCCD_PROVINCE_CODES
    assert not {"003", "097", "000"} & checks.CCCD_PROVINCE_CODES


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        ("0903123456", "mobile"),  # MobiFone 090
        ("0321234567", "mobile"),  # Viettel 032
        ("0559876543", "mobile"),  # Reddi 055
        ("0871234567", "mobile"),  # Itelecom 087
        ("84903123456", "mobile"),  # country code without +
        ("02838295555", "landline"),  # HCMC 028 + 8 digits
        ("0123456789", None),  # 012 was retired in 2018
        ("0203123456", None),  # 02x with only 10 digits
        ("0000000000", None),  # zeros
    ],
)
def test_phone_kinds(digits: str, kind: str | None) -> None:
    national = checks.national_phone(digits)
    got = None
    if national and checks.is_mobile(national):
        got = "mobile"
    elif national and checks.is_landline(national):
        got = "landline"
    assert got == kind


@pytest.mark.parametrize(
    ("code", "valid"),
    [("51", True), ("29", True), ("99", True), ("13", False), ("10", False), ("5A", False)],
)
def test_plate_province(code: str, valid: bool) -> None:
    assert checks.is_plate_province(code) is valid


@pytest.mark.parametrize(
    ("ymd", "plausible"),
    [((1990, 3, 5), True), ((1899, 12, 31), False), ((2026, 1, 1), False), ((1990, 2, 30), False)],
)
def test_plausible_birth_date(ymd: tuple[int, int, int], plausible: bool) -> None:
    assert checks.plausible_birth_date(*ymd, today=TODAY) is plausible
