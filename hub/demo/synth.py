"""Seeded synthetic registries of Ho Chi Minh City: citizens and businesses.

Everything is drawn from one ``random.Random(seed)``, so a seed always gives the same
bytes (for the installed versions of ``vietnam_provinces`` and Faker). No person here
is real, but every identifier has a valid shape:

* ``citizen_id`` is a 12-digit CCCD: three digits for the birth province (the 63-province
  codes cards carry), one for century and sex (1900s: male 0, female 1; 2000s: 2, 3),
  two for the birth year, six random digits;
* ``tax_code`` is a 10-digit MST whose tenth digit is the check digit over the first nine
  (weights 31, 29, 23, 19, 17, 13, 7, 5, 3; ``10 - sum % 11``; remainder 0 is invalid);
* wards are the 168 wards, communes and the special zone of the city since 1 July 2025,
  from ``vietnam_provinces``; ``phone`` is a 10-digit mobile number on a live prefix.

Faker is slow per call, so names are built from its vi_VN word lists (widened with
``vocab``) and drawn with ``random``: 10,000 citizens and 2,000 businesses take a
fraction of a second.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import functools
import itertools
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from faker.providers.person.vi_VN import Provider as FakerViVN
from vietnam_provinces import ProvinceCode, VietNamDivisionType, Ward

from hub.demo import vocab

T = TypeVar("T")

#: "Today" for the synthetic data: ages and registration dates are relative to it, so
#: the files do not change with the calendar.
REFERENCE_DATE = date(2026, 1, 1)
#: The 2025 reorganisation of administrative units took effect on this day.
MERGER_DATE = date(2025, 7, 1)
CITY_NAME = "Thành phố Hồ Chí Minh"
HCMC = ProvinceCode.P_79

POPULATION_COLUMNS = (
    "citizen_id", "full_name", "date_of_birth", "gender", "phone", "address", "ward",
    "ethnicity", "notes",
)  # fmt: skip
BUSINESS_COLUMNS = (
    "tax_code", "company_name", "owner_citizen_id", "address", "ward", "industry",
    "registered_on", "charter_capital_vnd", "status",
)  # fmt: skip
MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

NOTES_SHARE = 0.30  # share of citizens with a remark
PHONE_MIN_AGE = 15


# -- identifiers ----------------------------------------------------------------------
def mst_check_digit(first_nine: str) -> int | None:
    """The MST check digit for nine digits, or None when no digit makes them valid."""
    remainder = sum(w * int(d) for w, d in zip(MST_WEIGHTS, first_nine, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def is_valid_mst(code: str) -> bool:
    """A 10-digit MST with a sequence other than 0000000 and the right check digit."""
    if len(code) != 10 or not code.isdigit() or code[2:9] == "0000000":
        return False
    return mst_check_digit(code[:9]) == int(code[9])


def cccd_birth_year(citizen_id: str) -> int:
    """Birth year encoded in a CCCD (century from the 4th digit, year from the 5th-6th)."""
    return 1900 + 100 * (int(citizen_id[3]) // 2) + int(citizen_id[4:6])


def cccd_sex_digit(birth_year: int, *, male: bool) -> int:
    return 2 * ((birth_year - 1900) // 100) + (0 if male else 1)


# -- wards ----------------------------------------------------------------------------
@functools.cache
def _hcmc_wards() -> tuple[Ward, ...]:
    wards = sorted(Ward.iter_by_province(HCMC), key=lambda w: int(w.code))
    # a few names in the package carry a double space ("Phường  Rạch Dừa")
    return tuple(dataclasses.replace(w, name=" ".join(w.name.split())) for w in wards)


def hcmc_wards() -> list[Ward]:
    """The 2025 wards, communes and special zone of Thành phố Hồ Chí Minh, by code."""
    return list(_hcmc_wards())


@functools.cache
def _shared_codenames(province: ProvinceCode) -> frozenset[str]:
    counts = Counter(w.codename for w in Ward.iter_by_province(province))
    return frozenset(name for name, count in counts.items() if count > 1)


def ward_slug(ward: Ward) -> str:
    """The ward's codename with ``-`` for ``_``, e.g. ``phuong-ben-thanh``.

    Two communes of the city share a codename (Xã Thanh An, ex-Bình Dương, and Xã Thạnh
    An, Cần Giờ: both ``xa_thanh_an``); such wards get their code appended
    (``xa-thanh-an-25807``) so that a slug names exactly one ward.
    """
    slug = ward.codename.replace("_", "-")
    if ward.codename in _shared_codenames(ward.province_code):
        slug = f"{slug}-{int(ward.code)}"
    return slug


def _region(ward: Ward) -> str:
    """Which pre-2025 province a ward lies in (ward codes are numbered by province)."""
    code = int(ward.code)
    if code < 26500:
        return "binh-duong"
    if code < 26734:
        return "ba-ria-vung-tau"
    return "city"


_REGION_SHARE = {"city": 0.70, "binh-duong": 0.21, "ba-ria-vung-tau": 0.09}
_LOCAL_PROVINCE = {"city": "079", "binh-duong": "074", "ba-ria-vung-tau": "077"}
_MST_PREFIX = {"city": "03", "binh-duong": "37", "ba-ria-vung-tau": "35"}


def _streets(ward: Ward) -> tuple[str, ...]:
    region = _region(ward)
    if region == "binh-duong":
        return vocab.STREETS_BINH_DUONG
    if region == "ba-ria-vung-tau":
        return vocab.STREETS_BA_RIA_VUNG_TAU
    if ward.division_type is VietNamDivisionType.PHUONG:
        return vocab.STREETS_CITY
    return vocab.STREETS_RURAL


# -- drawing --------------------------------------------------------------------------
class Picker(Generic[T]):
    """Weighted choice with precomputed cumulative weights."""

    def __init__(self, weighted: Iterable[tuple[T, float]]) -> None:
        pairs = [(item, weight) for item, weight in weighted if weight > 0]
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def __call__(self, rng: random.Random) -> T:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.items[min(index, len(self.items) - 1)]


def _unique(*pools: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(itertools.chain(*pools)))


class _Vocabulary:
    """All pickers, built once per process (a few milliseconds)."""

    def __init__(self) -> None:
        wards = _hcmc_wards()
        self.wards = wards
        self.streets = {w.code: _streets(w) for w in wards}
        self.ward_pick = Picker((w, self._ward_weight(w, wards)) for w in wards)
        self.surname = Picker(vocab.KINH_SURNAMES.items())
        self.middle = {
            (male, young): Picker(
                (name, weights[young])
                for name, weights in (vocab.MIDDLE_MALE if male else vocab.MIDDLE_FEMALE).items()
            )
            for male in (True, False)
            for young in (0, 1)
        }
        self.given = {
            True: _unique(vocab.GIVEN_MALE, FakerViVN.first_names_male),
            False: _unique(vocab.GIVEN_FEMALE, FakerViVN.first_names_female),
        }
        self.ethnicity = Picker(vocab.ETHNICITIES.items())
        self.age_band = Picker(enumerate(vocab.AGE_BANDS))
        self.migrant_province = {
            region: Picker(
                (code, 4.0 if code == "079" else weight)
                for code, (_, weight) in vocab.LEGACY_PROVINCES.items()
                if code != local
            )
            for region, local in _LOCAL_PROVINCE.items()
        }
        self.industry = Picker((entry, entry[2]) for entry in vocab.INDUSTRIES)
        self.company_form = Picker(vocab.COMPANY_FORMS.items())
        self.infix = Picker(vocab.NAME_INFIXES.items())
        self.status = Picker(vocab.STATUSES.items())

    @staticmethod
    def _ward_weight(ward: Ward, wards: Sequence[Ward]) -> float:
        """Split each region's share of residents over its wards, urban wards twice."""

        def units(w: Ward) -> float:
            if w.division_type is VietNamDivisionType.DAC_KHU:
                return 0.1
            return 2.0 if w.division_type is VietNamDivisionType.PHUONG else 1.0

        region = _region(ward)
        total = sum(units(w) for w in wards if _region(w) == region)
        return _REGION_SHARE[region] * units(ward) / total


@functools.cache
def _vocabulary() -> _Vocabulary:
    return _Vocabulary()


# -- people ---------------------------------------------------------------------------
def _birth_date(rng: random.Random, age: int) -> date:
    """A date of birth giving exactly ``age`` on REFERENCE_DATE (which is a 1 January)."""
    first = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age - 1) + timedelta(days=1)
    last = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age)
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _age(born: date) -> int:
    years = REFERENCE_DATE.year - born.year
    return years - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))


def _full_name(
    rng: random.Random, v: _Vocabulary, *, male: bool, born: int, surname: str | None = None
) -> str:
    young = int(born >= 2000)
    if surname is None:
        surname = v.surname(rng)
    middle = v.middle[(male, young)](rng)
    if young and rng.random() < 0.12:  # "Nguyễn Ngọc Bảo Trâm"
        second = v.middle[(male, young)](rng)
        if second != middle:
            middle = f"{middle} {second}"
    return f"{surname} {middle} {rng.choice(v.given[male])}"


def _surname(rng: random.Random, v: _Vocabulary, ethnicity: str) -> str:
    if ethnicity == "Hoa":
        return rng.choice(vocab.HOA_SURNAMES)
    if ethnicity == "Khmer":
        return rng.choice(vocab.KHMER_SURNAMES)
    return v.surname(rng)


def _mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = rng.choice(vocab.MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
        if number not in taken:
            taken.add(number)
            return number


def _spaced(phone: str) -> str:
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"


def _house_number(rng: random.Random) -> str:
    roll = rng.random()
    base = rng.randint(1, 350)
    if roll < 0.60:
        return str(base)
    if roll < 0.85:
        return f"{base}/{rng.randint(1, 60)}"
    if roll < 0.95:
        return f"{base}/{rng.randint(1, 40)}/{rng.randint(1, 20)}"
    return f"{base}{rng.choice('ABCD')}"


def _address(rng: random.Random, v: _Vocabulary, ward: Ward) -> str:
    street = rng.choice(v.streets[ward.code])
    return f"{_house_number(rng)} {street}, {ward.name}, {CITY_NAME}"


def _citizen_id(
    rng: random.Random, v: _Vocabulary, *, born: date, male: bool, region: str, taken: set[str]
) -> str:
    local_share = 0.85 if _age(born) < 18 else 0.55
    if rng.random() < local_share:
        # since the merger every birth in the city is registered under 079
        province = "079" if born >= MERGER_DATE else _LOCAL_PROVINCE[region]
    else:
        province = v.migrant_province[region](rng)
    head = f"{province}{cccd_sex_digit(born.year, male=male)}{born.year % 100:02d}"
    while True:
        cccd = f"{head}{rng.randrange(10**6):06d}"
        if cccd not in taken:
            taken.add(cccd)
            return cccd


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Lazy(dict[str, Any]):
    """``str.format_map`` mapping that computes only the placeholders a template uses."""

    def __init__(self, fillers: dict[str, Callable[[], Any]]) -> None:
        super().__init__()
        self.fillers = fillers

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.fillers[key]()
        return value


def _note(
    rng: random.Random, v: _Vocabulary, *, born: date, male: bool, surname: str, full_name: str
) -> str:
    age = _age(born)
    templates = [t for t, low, high in vocab.NOTE_TEMPLATES if low <= age <= high]
    template = rng.choice(templates)

    def relative() -> str:
        kin_male = rng.random() < 0.5
        word = rng.choice(vocab.RELATIVES_MALE if kin_male else vocab.RELATIVES_FEMALE)
        year = rng.randint(1945, 2000)
        kin_surname = surname if rng.random() < 0.5 else None
        return f"{word} {_full_name(rng, v, male=kin_male, born=year, surname=kin_surname)}"

    def email() -> str:
        given, family = full_name.split()[-1], full_name.split()[0]
        local = f"{_ascii(given)}.{_ascii(family)}{rng.choice(['', str(born.year)])}".lower()
        return f"{local}@{rng.choice(['gmail.com', 'yahoo.com', 'outlook.com'])}"

    def cccd() -> str:
        year, kin_male = rng.randint(1960, 1995), rng.random() < 0.5
        digit = cccd_sex_digit(year, male=kin_male)
        return f"079{digit}{year % 100:02d}{rng.randrange(10**6):06d}"

    def plate() -> str:
        area = rng.choice(["59", "50", "51", "61", "72"])  # HCMC, ex-Bình Dương, ex-BR-VT
        series = f"{rng.choice('BCDEFGHKLMNPSTUVXYZ')}{rng.randint(1, 9)}"
        return f"{area}-{series} {rng.randrange(1000):03d}.{rng.randrange(100):02d}"

    def changed_on() -> str:
        day = REFERENCE_DATE - timedelta(days=rng.randint(1, 3 * 365))
        return day.strftime("%d/%m/%Y")

    phone = functools.partial(_mobile, rng, set())
    last_year = REFERENCE_DATE.year - 1
    fillers: dict[str, Callable[[], Any]] = {
        "relative": relative,
        "phone_spaced": lambda: _spaced(phone()),
        "phone": phone,
        "house": lambda: _house_number(rng),
        "street": lambda: rng.choice(vocab.STREETS_CITY),
        "year": lambda: rng.randint(min(max(born.year + min(age, 18), 1995), last_year), last_year),
        "chip_year": lambda: rng.randint(2021, REFERENCE_DATE.year - 1),
        "month": lambda: f"{rng.randint(1, 12):02d}",
        "date": changed_on,
        "spouse": lambda: _full_name(rng, v, male=not male, born=born.year),
        "father": lambda: _full_name(rng, v, male=True, born=born.year - 28, surname=surname),
        "mother": lambda: _full_name(rng, v, male=False, born=born.year - 26),
        "cmnd": lambda: f"02{rng.randrange(10**7):07d}",
        "email": email,
        "cccd": cccd,
        "bhxh": lambda: f"79{rng.randrange(10**8):08d}",
        "district": lambda: rng.choice(vocab.LEGACY_DISTRICTS),
        "province": lambda: vocab.LEGACY_PROVINCES[v.migrant_province["city"](rng)][0],
        "plate": plate,
    }
    return template.format_map(_Lazy(fillers))


def _population_rows(n: int, seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    v = _vocabulary()
    ids: set[str] = set()
    phones: set[str] = set()
    rows: list[tuple[str, ...]] = []
    for _ in range(n):
        band = v.age_band(rng)
        age = 5 * band + rng.randrange(6 if band == len(vocab.AGE_BANDS) - 1 else 5)
        born = _birth_date(rng, age)
        male = rng.random() < 0.49
        ward = v.ward_pick(rng)
        ethnicity = v.ethnicity(rng)
        surname = _surname(rng, v, ethnicity)
        name = _full_name(rng, v, male=male, born=born.year, surname=surname)
        cccd = _citizen_id(rng, v, born=born, male=male, region=_region(ward), taken=ids)
        phone = _mobile(rng, phones) if age >= PHONE_MIN_AGE else ""
        notes = ""
        if rng.random() < NOTES_SHARE:
            notes = _note(rng, v, born=born, male=male, surname=surname, full_name=name)
        rows.append(
            (
                cccd,
                name,
                born.isoformat(),
                "nam" if male else "nu",
                phone,
                _address(rng, v, ward),
                ward_slug(ward),
                ethnicity,
                notes,
            )
        )
    return rows


# -- businesses -----------------------------------------------------------------------
def _tax_code(rng: random.Random, prefix: str, registered: date, taken: set[str]) -> str:
    """An MST whose sequence grows with the registration date, as real ones roughly do."""
    span = (REFERENCE_DATE - date(1991, 1, 1)).days
    base = int(1_900_000 * (registered - date(1991, 1, 1)).days / span)
    while True:
        sequence = max(1, base + rng.randrange(100_000))
        first_nine = f"{prefix}{sequence:07d}"
        check = mst_check_digit(first_nine)
        code = f"{first_nine}{check}"
        if check is not None and code not in taken:
            taken.add(code)
            return code


def _company_name(rng: random.Random, v: _Vocabulary, sectors: Sequence[str]) -> str:
    form = v.company_form(rng)
    sector = rng.choice(sectors)
    infix = v.infix(rng)
    if infix and not set(infix.split()) & set(sector.split()):
        sector = f"{infix} {sector}"
    return f"{form} {sector} {rng.choice(vocab.BRANDS)}"


def _capital(rng: random.Random, name: str) -> int:
    if name.startswith("Công ty Cổ phần"):
        median, sigma = 8e9, 1.3
    elif name.startswith("Doanh nghiệp tư nhân"):
        median, sigma = 5e8, 1.0
    else:
        median, sigma = 1.5e9, 1.2
    amount = rng.lognormvariate(math.log(median), sigma)
    return int(min(max(amount, 1e7), 5e12) // 10_000_000 * 10_000_000)


def _registration_date(rng: random.Random, owner_born: int) -> date:
    first = max(date(1991, 1, 1), date(owner_born + 19, 1, 1))
    span = (REFERENCE_DATE - first).days - 1
    return first + timedelta(days=int(span * rng.random() ** 0.5))  # recent years heavier


_CCCD = re.compile(r"^\d{12}$")


def _adult_owners(owners: Sequence[str]) -> list[tuple[str, int]]:
    bad = [o for o in owners if not _CCCD.match(o)]
    if bad:
        raise ValueError(f"owners must be 12-digit CCCDs; got {bad[0]!r}")
    adults = [(o, cccd_birth_year(o)) for o in owners]
    adults = [(o, born) for o, born in adults if born + 19 <= REFERENCE_DATE.year - 1]
    if not adults:
        raise ValueError("owners has no adult (born in 2006 or earlier) to own a business")
    return adults


def _business_rows(n: int, owners: Sequence[str], seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    v = _vocabulary()
    adults = _adult_owners(owners)
    codes: set[str] = set()
    names: set[str] = set()
    rows: list[tuple[str, ...]] = []
    for _ in range(n):
        owner, owner_born = rng.choice(adults)
        registered = _registration_date(rng, owner_born)
        ward = v.ward_pick(rng)
        region = _region(ward)
        prefix = _MST_PREFIX[region] if registered < MERGER_DATE else "03"
        industry, sectors, _ = v.industry(rng)
        name = base = _company_name(rng, v, sectors)
        for suffix in itertools.count(2):  # names are unique in the registry
            if name not in names:
                break
            name = f"{base} {suffix}"
        names.add(name)
        status = "active" if (REFERENCE_DATE - registered).days < 365 else v.status(rng)
        rows.append(
            (
                _tax_code(rng, prefix, registered, codes),
                name,
                owner,
                _address(rng, v, ward),
                ward_slug(ward),
                industry,
                registered.isoformat(),
                str(_capital(rng, name)),
                status,
            )
        )
    return rows


# -- files ----------------------------------------------------------------------------
def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_population(path: Path, n: int = 10_000, *, seed: int = 7) -> list[str]:
    """Write ``n`` citizens to a CSV file; return their CCCDs (owners for businesses)."""
    if n < 0:
        raise ValueError("n must not be negative")
    rows = _population_rows(n, seed)
    _write_csv(path, POPULATION_COLUMNS, rows)
    return [row[0] for row in rows]


def write_businesses(path: Path, n: int = 2_000, *, owners: Sequence[str], seed: int = 11) -> None:
    """Write ``n`` businesses to a CSV file, each owned by an adult among ``owners``."""
    if n < 0:
        raise ValueError("n must not be negative")
    _write_csv(path, BUSINESS_COLUMNS, _business_rows(n, owners, seed))
