"""Structural checks of Vietnamese identifiers (pure functions, no Presidio).

Sources: Circular 105/2020/TT-BTC (tax code check digit), Circular 59/2021/TT-BCA
(12-digit citizen ID layout), carriers' published mobile prefixes after the 2018
11-to-10-digit migration, and the vehicle plate province codes of Circular 24/2023/TT-BCA.
"""

from __future__ import annotations

from datetime import date

#: First three digits of a 12-digit CCCD: the 63 provinces before the 2025 merger.
CCCD_PROVINCE_CODES: frozenset[str] = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)

#: Mobile prefixes (with the leading 0) of every carrier.
MOBILE_PREFIXES: frozenset[str] = frozenset(
    [f"03{d}" for d in "23456789"]  # Viettel 032-039
    + ["086", "096", "097", "098"]  # Viettel
    + ["081", "082", "083", "084", "085", "088", "091", "094"]  # Vinaphone
    + ["070", "076", "077", "078", "079", "089", "090", "093"]  # MobiFone
    + ["052", "056", "058", "092"]  # Vietnamobile
    + ["059", "099"]  # Gmobile
    + ["087"]  # Itelecom
    + ["055"]  # Reddi
)

#: Vehicle plate province codes 11-99 that are not assigned.
_UNUSED_PLATE_CODES = frozenset({13, 42, 44, 45, 46, 87, 91, 96})

MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def mst_check_digit(first9: str) -> int | None:
    """Check digit of a 10-digit tax code, or None when no digit can be valid.

    check = 10 - (weighted sum mod 11); a remainder of 0 would need "10", so codes
    whose first nine digits give remainder 0 are never issued.
    """
    remainder = sum(w * int(d) for w, d in zip(MST_WEIGHTS, first9, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def is_valid_mst(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit():
        return False
    return mst_check_digit(digits[:9]) == int(digits[9])


def cccd_birth_year(digits: str) -> int | None:
    """Birth year encoded in a CCCD (digit 4 = century and sex, digits 5-6 = year)."""
    century = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200}
    base = century.get(int(digits[3]), 1800)
    return base + int(digits[4:6])


def is_valid_cccd(digits: str, *, today: date | None = None) -> bool:
    """Province code known and the encoded birth year plausible for a living person."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    if digits[:3] not in CCCD_PROVINCE_CODES:
        return False
    year = cccd_birth_year(digits)
    current = (today or date.today()).year
    return year is not None and 1900 <= year <= current


def national_phone(digits: str) -> str | None:
    """Digits of a phone candidate in national form (leading 0), or None if not Vietnamese."""
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    # "84" + trunk "0" ("840903...") became "00...": not a number anyone dials. A national
    # number may well start 0840 (Vinaphone 084), so only the double zero is refused.
    if digits.startswith("00"):
        return None
    return digits if digits.startswith("0") else None


def is_mobile(national: str) -> bool:
    return len(national) == 10 and national[:3] in MOBILE_PREFIXES


def is_landline(national: str) -> bool:
    # since 2017 every landline is 0 + 2x(x) area code + local number = 11 digits
    return len(national) == 11 and national[1] == "2"


def is_plate_province(code: str) -> bool:
    return code.isdigit() and 11 <= int(code) <= 99 and int(code) not in _UNUSED_PLATE_CODES


def plausible_birth_date(year: int, month: int, day: int, *, today: date | None = None) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= (today or date.today())
