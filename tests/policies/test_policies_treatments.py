"""Treatments applied to batches: every operator, nulls, edge cases, fail-closed behaviour."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest

from connectors.descriptor import FieldType
from policies.errors import TreatmentError, UnknownTreatment
from policies.model import (
    Drop,
    Generalize,
    Keep,
    Mask,
    Pseudonymize,
    Redact,
    RedactPii,
    parse_treatment,
)
from policies.treatment_kinds import Treatment
from policies.treatments import (
    Operator,
    TreatmentContext,
    apply,
    compile_plan,
    register,
)

KEY = b"k" * 32
TODAY = date(2026, 3, 1)


@pytest.fixture
def ctx(descriptor) -> TreatmentContext:
    return TreatmentContext.for_dataset(descriptor, pseudonym_key=KEY, today=TODAY)


def treat(ctx: TreatmentContext, field: str, treatment: Treatment, values: list[Any]) -> list:
    return apply({field: treatment}, {field: values}, ctx)[field]


def test_only_visible_columns_come_back_in_row_order(ctx):
    columns = {
        "citizen_id": ["079090001234", "079090005678", None],
        "ethnicity": ["Kinh", "Hoa", "Kinh"],
        "phone": ["0909123456", None, "0281234567"],
    }
    out = apply(
        {"citizen_id": Keep(), "ethnicity": Drop(), "phone": Mask(keep_last=3)}, columns, ctx
    )
    assert out == {
        "citizen_id": ["079090001234", "079090005678", None],
        "phone": ["*******456", None, "*******567"],
    }


def test_a_missing_column_is_an_error_not_a_silent_gap(ctx):
    with pytest.raises(TreatmentError, match="no column 'phone'"):
        apply({"phone": Keep()}, {"citizen_id": ["1"]}, ctx)


def test_redact_uses_the_pii_type(ctx):
    assert treat(ctx, "phone", Redact(), ["0909", None, ""]) == [
        "<PHONE_NUMBER>",
        None,
        "<PHONE_NUMBER>",
    ]
    assert treat(ctx, "ward", Redact(), ["phuong-ben-thanh"]) == ["<REDACTED>"]  # no pii type


def test_redact_pii_goes_through_the_batch_redactor(descriptor):
    calls: list[list[str | None]] = []

    def redactor(texts: list[str | None]) -> list[str | None]:
        calls.append(texts)
        return [None if t is None else t.replace("0909123456", "<PHONE_NUMBER>") for t in texts]

    ctx = TreatmentContext.for_dataset(
        descriptor, pseudonym_key=KEY, today=TODAY, redact_free_text=redactor
    )
    out = treat(ctx, "notes", RedactPii(), ["gọi 0909123456", None, "ok"])
    assert out == ["gọi <PHONE_NUMBER>", None, "ok"]
    assert calls == [["gọi 0909123456", None, "ok"]]  # one call per batch


def test_redact_pii_without_an_analyzer_withholds_text(ctx):
    out = treat(ctx, "notes", RedactPii(), ["Nguyễn Văn An, 0909123456", None, ""])
    assert out == ["<FREE_TEXT>", None, ""]


@pytest.mark.parametrize(
    "broken",
    [
        lambda texts: texts[:-1],  # lost a row
        lambda texts: [1 for _ in texts],  # not text
    ],
)
def test_a_broken_redactor_fails_closed(descriptor, broken):
    ctx = TreatmentContext.for_dataset(
        descriptor, pseudonym_key=KEY, today=TODAY, redact_free_text=broken
    )
    with pytest.raises(TreatmentError, match=r"refusing|non-text"):
        treat(ctx, "notes", RedactPii(), ["a", "b"])


def test_redactor_cannot_turn_null_into_text(descriptor):
    ctx = TreatmentContext.for_dataset(
        descriptor, pseudonym_key=KEY, today=TODAY, redact_free_text=lambda t: ["x"] * len(t)
    )
    assert treat(ctx, "notes", RedactPii(), [None, "a"]) == [None, "x"]


# -- pseudonyms ----------------------------------------------------------------------------


def test_pseudonym_is_hmac_sha256_truncated_to_128_bits(ctx):
    (out,) = treat(ctx, "citizen_id", Pseudonymize(), ["079090001234"])
    expected = hmac.new(KEY, b"079090001234", hashlib.sha256).hexdigest()[:32]
    assert out == expected
    assert len(out) == 32 and out == out.lower()


@pytest.mark.parametrize("key", [b"k" * 32, bytes(range(64)), b"long key " * 20])
def test_pseudonym_equals_the_standard_hmac_for_any_key_length(descriptor, key):
    ctx = TreatmentContext.for_dataset(descriptor, pseudonym_key=key, today=TODAY)
    values = ["079090001234", "Nguyễn Văn An", 42, date(1990, 5, 17)]
    expected = [hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:32] for v in values]
    assert treat(ctx, "citizen_id", Pseudonymize(), values) == expected


def test_pseudonyms_are_stable_and_ignore_surrounding_spaces(ctx):
    a = treat(ctx, "citizen_id", Pseudonymize(), ["079090001234", " 079090001234 ", None])
    assert a[0] == a[1] and a[2] is None
    # the same value in another field (or dataset) links under the same key
    assert treat(ctx, "full_name", Pseudonymize(), ["079090001234"])[0] == a[0]


def test_pseudonyms_depend_on_the_key(descriptor, ctx):
    other = TreatmentContext.for_dataset(descriptor, pseudonym_key=b"x" * 48, today=TODAY)
    value = ["079090001234"]
    assert treat(ctx, "citizen_id", Pseudonymize(), value) != treat(
        other, "citizen_id", Pseudonymize(), value
    )


@pytest.mark.parametrize("key", [b"", b"short", b"k" * 31, "k" * 32])
def test_a_short_key_is_refused(descriptor, key):
    with pytest.raises(TreatmentError, match="at least 32"):
        TreatmentContext.for_dataset(descriptor, pseudonym_key=key, today=TODAY)


# -- mask ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "mask", "expected"),
    [
        ("0909123456", Mask(keep_last=3), "*******456"),
        ("0909123456", Mask(keep_first=3, keep_last=2), "090*****56"),
        ("0909123456", Mask(), "**********"),  # nothing kept
        ("0909123456", Mask(keep_first=2, char="#"), "09########"),
        # the kept ends cover the value: still at least half is masked
        ("12345", Mask(keep_last=12), "***45"),
        ("abcd", Mask(keep_first=3, keep_last=3), "a**d"),
        ("abcdef", Mask(keep_first=6), "abc***"),
        ("a", Mask(keep_first=1), "*"),
        ("", Mask(keep_last=3), ""),
        ("Nguyễn", Mask(keep_first=1), "N*****"),  # characters, not bytes
        (None, Mask(keep_last=3), None),
    ],
)
def test_mask(ctx, value, mask, expected):
    assert treat(ctx, "phone", mask, [value]) == [expected]


def test_mask_of_an_integer_masks_its_digits(ctx):
    assert treat(ctx, "age", Mask(keep_last=1), [123456, None]) == ["*****6", None]


# -- generalize: dates, numbers, ages --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "level", "value", "expected"),
    [
        ("date_of_birth", "year", date(1990, 5, 17), "1990"),
        ("date_of_birth", "month", date(1990, 5, 17), "1990-05"),
        ("date_of_birth", "month", date(2000, 2, 29), "2000-02"),
        ("registered_at", "year", datetime(2024, 12, 31, 23, 0, tzinfo=UTC), "2024"),
        ("registered_at", "month", datetime(2024, 1, 2, 3, 4), "2024-01"),
        ("date_of_birth", "year", "1985-07-01", "1985"),  # ISO text from a CSV
        ("date_of_birth", "month", "1985-07-01T10:00:00", "1985-07"),
        ("date_of_birth", "year", "17/05/1990", "<UNKNOWN>"),  # never the raw value
        ("date_of_birth", "year", 1990, "<UNKNOWN>"),
        ("date_of_birth", "year", None, None),
    ],
)
def test_generalize_dates(ctx, field, level, value, expected):
    assert treat(ctx, field, Generalize(level), [value]) == [expected]


@pytest.mark.parametrize(
    ("field", "width", "value", "expected"),
    [
        ("age", 10, 42, "40-49"),
        ("age", 10, 40, "40-49"),
        ("age", 10, 0, "0-9"),
        ("age", 5, 49, "45-49"),
        ("age", 10, -3, "-10--1"),
        ("age", 10, "42", "40-49"),  # numeric text
        ("age", 10, 42.5, "<UNKNOWN>"),  # not an integer
        ("age", 2.5, 41, "[40.0, 42.5)"),  # a fractional width on integers
        ("income", 10, 42.5, "[40.0, 50.0)"),
        ("income", 1000, 12345.6, "[12000.0, 13000.0)"),
        ("income", 0.1, 0.3, "[0.3, 0.4)"),  # decimal, not float, arithmetic
        ("income", 0.25, 1.3, "[1.25, 1.50)"),
        ("income", 10, float("nan"), "<UNKNOWN>"),
        ("income", 10, True, "<UNKNOWN>"),  # a boolean is not a number
        ("income", 10, "abc", "<UNKNOWN>"),
        ("income", 10, None, None),
    ],
)
def test_generalize_numbers(ctx, field, width, value, expected):
    assert treat(ctx, field, Generalize(width), [value]) == [expected]


@pytest.mark.parametrize(
    ("field", "value", "today", "expected"),
    [
        ("date_of_birth", date(1990, 3, 1), date(2026, 3, 1), "30-39"),  # birthday today
        ("date_of_birth", date(1990, 3, 2), date(2026, 3, 1), "30-39"),  # 35
        ("date_of_birth", date(1986, 3, 2), date(2026, 3, 1), "30-39"),  # turns 40 tomorrow
        ("date_of_birth", date(1986, 3, 1), date(2026, 3, 1), "40-49"),
        # born on 29 February: a year older on 1 March in non-leap years
        ("date_of_birth", date(2000, 2, 29), date(2030, 2, 28), "20-29"),
        ("date_of_birth", date(2000, 2, 29), date(2030, 3, 1), "30-39"),
        ("date_of_birth", date(2000, 2, 29), date(2028, 2, 29), "20-29"),  # 28 on the day
        ("registered_at", datetime(1930, 1, 1, 8, 0), date(2026, 3, 1), "90+"),
        ("date_of_birth", "2020-01-01", date(2026, 3, 1), "0-9"),
        ("date_of_birth", date(2027, 1, 1), date(2026, 3, 1), "<UNKNOWN>"),  # future
        ("age", 89, date(2026, 3, 1), "80-89"),
        ("age", 90, date(2026, 3, 1), "90+"),
        ("age", 104, date(2026, 3, 1), "90+"),
        ("age", 0, date(2026, 3, 1), "0-9"),
        ("age", -1, date(2026, 3, 1), "<UNKNOWN>"),
        ("age", None, date(2026, 3, 1), None),
    ],
)
def test_generalize_age_band(descriptor, field, value, today, expected):
    ctx = TreatmentContext.for_dataset(descriptor, pseudonym_key=KEY, today=today)
    assert treat(ctx, field, Generalize("age_band"), [value]) == [expected]


# -- generalize: places ------------------------------------------------------------------------

HCMC = "Thành phố Hồ Chí Minh"


@pytest.mark.parametrize(
    ("level", "value", "expected"),
    [
        ("province", "123 Lê Lợi, Phường Bến Thành, Quận 1, TP.HCM", HCMC),
        ("ward", "123 Lê Lợi, Phường Bến Thành, Quận 1, TP.HCM", f"Phường Bến Thành, {HCMC}"),
        ("ward", "phuong-ben-thanh", f"Phường Bến Thành, {HCMC}"),  # a ward slug
        ("district", "45 Lý Thường Kiệt, Phường 7, Quận 10, TP HCM", "Quận 10"),  # legacy
        ("district", "Ấp 3, Xã Củ Chi, TP HCM", HCMC),  # no district named: the province
        ("ward", "45 Lý Thường Kiệt, Phường 7, Quận 10, TP HCM", HCMC),  # pre-2025 ward
        ("province", "12 Nguyễn Huệ", "<UNKNOWN>"),  # a street only: cannot be placed
        ("province", "12 Nguyễn Huệ, Việt Nam", "<UNKNOWN>"),  # nor with a last part unknown
        ("province", "12 Đường Hà Nội, Phường Bến Thành, TP.HCM, Việt Nam", HCMC),
        ("ward", "không rõ địa chỉ", "<UNKNOWN>"),
        ("province", "", "<UNKNOWN>"),
        ("province", None, None),
    ],
)
def test_generalize_places(ctx, level, value, expected):
    assert treat(ctx, "address", Generalize(level), [value]) == [expected]


# -- compiled plans and the registry ------------------------------------------------------------


def test_a_plan_compiles_once_and_serves_many_batches(ctx):
    plan = compile_plan({"age": Generalize(10), "ethnicity": Drop(), "ward": Keep()}, ctx)
    assert plan.fields == ["age", "ward"]
    assert plan.apply({"age": [31], "ward": ["a"]}) == {"age": ["30-39"], "ward": ["a"]}
    assert plan.apply({"age": [7, 70], "ward": ["b", None]}) == {
        "age": ["0-9", "70-79"],
        "ward": ["b", None],
    }
    assert plan.apply_rows([{"age": 55, "ward": "c", "ethnicity": "Kinh"}]) == [
        {"age": "50-59", "ward": "c"}
    ]


def test_an_unregistered_treatment_kind_fails(ctx):
    @dataclass(frozen=True)
    class Shuffle(Treatment):
        kind: ClassVar[str] = "shuffle"

    with pytest.raises(UnknownTreatment, match="unknown treatment 'shuffle'"):
        apply({"ward": Shuffle()}, {"ward": ["a"]}, ctx)


@dataclass(frozen=True)
class Initials(Treatment):
    """A third-party treatment: ``{initials: {}}`` keeps the first letter of each word."""

    kind: ClassVar[str] = "test_initials"
    FITS: ClassVar[frozenset[FieldType] | None] = frozenset({FieldType.string})


@register
class InitialsOperator(Operator):
    treatment = Initials

    def compile(self, treatment: Initials, field: str, ctx: TreatmentContext):
        return lambda col: [
            None if v is None else ".".join(w[0] for w in str(v).split()) + "." for v in col
        ]


def test_a_third_party_treatment_registers_like_the_built_ins(ctx):
    treatment = parse_treatment("test_initials")  # policy files may now name it
    assert treatment == Initials()
    assert not treatment.fits(FieldType.date)
    assert treat(ctx, "full_name", treatment, ["Nguyễn Văn An", None]) == ["N.V.A.", None]
