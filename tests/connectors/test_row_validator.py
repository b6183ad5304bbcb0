"""RowValidator: every type's good and bad values, nulls, required fields, reasons."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from connectors.base import RawRow
from connectors.descriptor import FieldSpec, FieldType
from connectors.validate import Rejected, RowValidator

UTC = dt.UTC


def check(kind: FieldType, raw: Any) -> tuple[list[dict[str, Any]], list[Rejected]]:
    fields = [FieldSpec(name="id", type=FieldType.string), FieldSpec(name="v", type=kind)]
    return RowValidator(fields, "id").validate([RawRow(1, {"id": "1", "v": raw})])


def good(kind: FieldType, raw: Any) -> Any:
    valid, rejected = check(kind, raw)
    assert rejected == [], rejected
    return valid[0]["v"]


def bad(kind: FieldType, raw: Any) -> str:
    valid, rejected = check(kind, raw)
    assert valid == []
    return rejected[0].reason


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (FieldType.string, "  Bến Thành ", "Bến Thành"),  # surrounding spaces go
        (FieldType.string, "a  b", "a  b"),  # inner spaces stay
        (FieldType.string, "   ", None),  # blank is null
        (FieldType.string, None, None),  # null
        (FieldType.string, 79001234, "79001234"),  # a numeric SQL column
        (FieldType.string, "Nguy\u00ea\u0303n", "Nguyễn"),  # cp1258 combining tone -> NFC
        (FieldType.text, "  line one\nline two  ", "  line one\nline two  "),  # kept as is
        (FieldType.text, "", None),  # empty is null
        (FieldType.integer, "12", 12),  # digits
        (FieldType.integer, " -12 ", -12),  # sign and spaces
        (FieldType.integer, "+007", 7),  # leading zeros
        (FieldType.integer, 12, 12),  # native int
        (FieldType.integer, 12.0, 12),  # JSON/REAL whole number
        (FieldType.integer, Decimal("40"), 40),  # NUMERIC column
        (FieldType.integer, "", None),  # null
        (FieldType.integer, str(2**63 - 1), 2**63 - 1),  # largest BIGINT
        (FieldType.number, "12.5", 12.5),  # decimal point
        (FieldType.number, "-1e3", -1000.0),  # exponent
        (FieldType.number, ".5", 0.5),  # no leading digit
        (FieldType.number, 3, 3.0),  # int
        (FieldType.number, Decimal("2.25"), 2.25),  # NUMERIC column
        (FieldType.number, " ", None),  # blank is null
        (FieldType.boolean, "TRUE", True),  # case-insensitive
        (FieldType.boolean, "no", False),  # English
        (FieldType.boolean, "Có", True),  # Vietnamese
        (FieldType.boolean, "KHÔNG", False),  # Vietnamese, upper case
        (FieldType.boolean, "kho\u0302ng", False),  # Vietnamese, decomposed
        (FieldType.boolean, "1", True),  # digit
        (FieldType.boolean, 0, False),  # SQLite stores booleans as 0/1
        (FieldType.boolean, False, False),  # native
        (FieldType.date, "1990-02-28", dt.date(1990, 2, 28)),  # ISO
        (FieldType.date, "28/02/1990", dt.date(1990, 2, 28)),  # Vietnamese DD/MM/YYYY
        (FieldType.date, "1/2/1990", dt.date(1990, 2, 1)),  # one-digit day and month
        (FieldType.date, "29/02/2024", dt.date(2024, 2, 29)),  # leap day
        (FieldType.date, dt.date(2000, 1, 1), dt.date(2000, 1, 1)),  # native
        (FieldType.date, dt.datetime(2000, 1, 1), dt.date(2000, 1, 1)),  # Oracle-style DATE
        (
            FieldType.datetime,
            "2024-05-01T08:30:00+07:00",
            dt.datetime(2024, 5, 1, 1, 30, tzinfo=UTC),
        ),  # offset
        (
            FieldType.datetime,
            "2024-05-01T01:30:00Z",
            dt.datetime(2024, 5, 1, 1, 30, tzinfo=UTC),
        ),  # Zulu
        (
            FieldType.datetime,
            "2024-05-01 08:30",
            dt.datetime(2024, 5, 1, 1, 30, tzinfo=UTC),
        ),  # naive = Ho Chi Minh City time
        (
            FieldType.datetime,
            "01/05/2024 08:30:15",
            dt.datetime(2024, 5, 1, 1, 30, 15, tzinfo=UTC),
        ),  # Vietnamese form
        (
            FieldType.datetime,
            dt.datetime(2024, 5, 1, 8, 30),
            dt.datetime(2024, 5, 1, 1, 30, tzinfo=UTC),
        ),  # native naive
        (
            FieldType.datetime,
            dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),
            dt.datetime(2024, 4, 30, 23, 30, tzinfo=UTC),
        ),  # native aware, Tokyo
        (
            FieldType.datetime,
            dt.date(2024, 5, 1),
            dt.datetime(2024, 4, 30, 17, 0, tzinfo=UTC),
        ),  # a date is local midnight
    ],
)
def test_good_values(kind, raw, expected):
    value = good(kind, raw)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, dt.datetime):
        assert value.tzinfo is UTC


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        (FieldType.string, ["a"], "v: ['a'] is not text"),  # a JSON array
        (FieldType.string, True, "v: True is not text"),  # a boolean is not a name
        (FieldType.integer, "12.5", "v: '12.5' is not a whole number (use digits only, e.g. 42)"),
        (FieldType.integer, "1e3", "v: '1e3' is not a whole number"),  # exponent
        (FieldType.integer, "1_000", "v: '1_000' is not a whole number"),  # Python-only syntax
        (FieldType.integer, "1.000", "v: '1.000' is not a whole number"),  # thousands dot
        (FieldType.integer, "١٢", "v: '١٢' is not a whole number"),  # Arabic-Indic digits
        (FieldType.integer, True, "v: True is not a whole number"),  # bool is not a count
        (FieldType.integer, 12.5, "v: 12.5 is not a whole number"),  # fractional float
        (FieldType.integer, str(2**63), "is out of range for a whole number"),  # > BIGINT
        (FieldType.number, "nan", "v: 'nan' is not a number"),  # NaN spelled out
        (FieldType.number, "inf", "v: 'inf' is not a number"),  # infinity spelled out
        (FieldType.number, math.nan, "v: nan is not a finite number"),  # native NaN
        (FieldType.number, Decimal("Infinity"), "is not a finite number"),  # NUMERIC infinity
        (FieldType.number, "1e999", "v: '1e999' is not a finite number"),  # overflows
        (FieldType.number, "12,5", "(use a dot, not a comma, for decimals)"),  # decimal comma
        (FieldType.number, False, "v: False is not a number"),  # bool
        (FieldType.boolean, "maybe", "v: 'maybe' is not a yes/no value (use true/false"),
        (FieldType.boolean, 2, "v: 2 is not a yes/no value"),  # only 0 and 1
        (
            FieldType.date,
            "31/02/1990",
            "v: '31/02/1990' is not a valid date (use YYYY-MM-DD or DD/MM/YYYY)",
        ),  # no such day
        (FieldType.date, "1990-13-01", "v: '1990-13-01' is not a valid date"),  # month 13
        (FieldType.date, "02/31/1990", "v: '02/31/1990' is not a valid date"),  # US order
        (FieldType.date, "19900228", "v: '19900228' is not a valid date"),  # compact ISO
        (FieldType.date, "1990-2-28", "v: '1990-2-28' is not a valid date"),  # unpadded ISO
        (FieldType.date, 19900228, "v: 19900228 is not a valid date"),  # a number
        (FieldType.date, dt.datetime(2000, 1, 1, 9), "has a time of day"),  # not midnight
        (FieldType.datetime, "yesterday", "v: 'yesterday' is not a valid date and time"),
        (FieldType.datetime, "31/02/2024 08:00", "is not a valid date and time"),  # no such day
        (FieldType.datetime, "2024-05-01T25:00", "is not a valid date and time"),  # hour 25
        # local midnight of 1 January, year 1, is in year 0 in UTC: refused, not a crash
        (FieldType.datetime, "0001-01-01 00:00", "v: '0001-01-01 00:00' is out of range"),
        (FieldType.datetime, "01/01/0001 00:00", "is out of range (years 1 to 9999 in UTC)"),
        (FieldType.datetime, "9999-12-31T23:59:59-05:00", "is out of range"),
    ],
)
def test_bad_values(kind, raw, reason):
    assert reason in bad(kind, raw)


def test_output_has_exactly_the_descriptor_fields():
    fields = [
        FieldSpec(name="id", type=FieldType.string),
        FieldSpec(name="age", type=FieldType.integer),
        FieldSpec(name="note", type=FieldType.text),
    ]
    valid, _ = RowValidator(fields, "id").validate([RawRow(1, {"id": "a", "extra": 1})])
    assert valid == [{"id": "a", "age": None, "note": None}]


def test_primary_key_and_required_must_not_be_null():
    fields = [
        FieldSpec(name="id", type=FieldType.string),
        FieldSpec(name="ward", type=FieldType.string, required=True),
        FieldSpec(name="note", type=FieldType.text),
    ]
    validator = RowValidator(fields, "id")
    valid, rejected = validator.validate([RawRow(7, {"id": " ", "ward": None, "note": None})])
    assert valid == []
    assert rejected == [
        Rejected(
            7,
            "id: is empty but it is the primary key; ward: is required but empty",
            {"id": " ", "ward": None, "note": None},
        )
    ]


def test_all_problems_of_a_row_are_reported_together():
    fields = [
        FieldSpec(name="id", type=FieldType.string),
        FieldSpec(name="date_of_birth", type=FieldType.date),
        FieldSpec(name="children", type=FieldType.integer),
    ]
    _, rejected = RowValidator(fields, "id").validate(
        [RawRow(3, {"id": "1", "date_of_birth": "31/02/1990", "children": "two"})]
    )
    assert rejected[0].reason == (
        "date_of_birth: '31/02/1990' is not a valid date (use YYYY-MM-DD or DD/MM/YYYY); "
        "children: 'two' is not a whole number (use digits only, e.g. 42)"
    )


def test_long_values_are_cut_in_reasons():
    reason = bad(FieldType.integer, "9" * 50 + "x" * 50)
    assert f"v: '{'9' * 50 + 'x' * 10}…' is not a whole number" in reason


def test_a_row_error_from_the_connector_is_a_rejection():
    fields = [FieldSpec(name="id", type=FieldType.string)]
    row = RawRow(4, {"id": "1"}, error="row has 2 values but the header has 3 columns")
    valid, rejected = RowValidator(fields, "id").validate([row])
    assert valid == []
    assert rejected == [Rejected(4, "row has 2 values but the header has 3 columns", {"id": "1"})]


def test_good_and_bad_rows_are_separated_in_order():
    fields = [FieldSpec(name="id", type=FieldType.integer)]
    rows = [RawRow(n, {"id": v}) for n, v in enumerate(["1", "x", "3", "", "5"], start=1)]
    valid, rejected = RowValidator(fields, "id").validate(rows)
    assert valid == [{"id": 1}, {"id": 3}, {"id": 5}]
    assert [r.number for r in rejected] == [2, 4]


def test_unknown_primary_key_is_a_programming_error():
    with pytest.raises(ValueError, match="primary key 'nope'"):
        RowValidator([FieldSpec(name="id", type=FieldType.string)], "nope")
