"""Generalization hierarchies per field type: levels, labels, nulls, choice and refusals."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from catalog.errors import NotPublishable, QuasiIdentifierError
from catalog.hierarchies import (
    DateHierarchy,
    FlatHierarchy,
    GeoHierarchy,
    NumberHierarchy,
    hierarchy_for,
)
from connectors.descriptor import FieldSpec, FieldType, PiiType
from tests.catalog.conftest import context, descriptor_for

DESCRIPTOR = descriptor_for(
    "  - {name: id, type: string}\n"
    "  - {name: born, type: date}\n"
    "  - {name: seen_at, type: datetime}\n"
    "  - {name: age, type: integer}\n"
    "  - {name: income, type: number}\n"
    "  - {name: ward, type: string}\n"
    "  - {name: active, type: boolean}\n",
    "{quasi_identifiers: [born]}",
)
CTX = context(DESCRIPTOR)


def labels(hierarchy, values):
    """Every level's labels for ``values``: one list per level."""
    return [hierarchy.column_fn(level, CTX)(values) for level in range(hierarchy.top + 1)]


def test_date_levels_day_month_year_five_years_star():
    h = DateHierarchy("born")
    assert h.levels == ("day", "month", "year", "5-year", "*")
    got = labels(h, [date(1990, 5, 17), "1994-12-31", None, "not a date"])
    assert got == [
        ["1990-05-17", "1994-12-31", None, "<UNKNOWN>"],
        ["1990-05", "1994-12", None, "<UNKNOWN>"],
        ["1990", "1994", None, "<UNKNOWN>"],
        ["1990-1994", "1990-1994", None, "<UNKNOWN>"],
        ["*", "*", "*", "*"],  # at * even a missing value reads *
    ]


def test_date_level_zero_drops_the_time_of_day():
    h = DateHierarchy("seen_at")
    assert labels(h, [datetime(2024, 5, 1, 8, 30, tzinfo=UTC)])[0] == ["2024-05-01"]


def test_date_object_and_iso_string_get_the_same_label():
    # the planner merges them into one class; apply must label them alike
    h = DateHierarchy("born")
    assert labels(h, [date(1990, 5, 17)]) == labels(h, ["1990-05-17"])


def test_geo_levels_are_official_units_only():
    h = GeoHierarchy("ward")
    got = labels(h, ["phuong-ben-thanh", "Phường Hoàn Kiếm, Thành phố Hà Nội", "nowhere", None])
    assert got == [
        [
            "Phường Bến Thành, Thành phố Hồ Chí Minh",
            "Phường Hoàn Kiếm, Thành phố Hà Nội",
            "<UNKNOWN>",
            None,
        ],
        ["Thành phố Hồ Chí Minh", "Thành phố Hà Nội", "<UNKNOWN>", None],
        ["*", "*", "*", "*"],
    ]


@pytest.mark.parametrize(
    ("field_type", "values", "widths"),
    [
        # integers: width 1 would be the value itself, so buckets start at 5
        (FieldType.integer, [21, 37], (5, 10)),
        # 0..999 needs every width below 1000 to tell its ends apart
        (FieldType.integer, [0, 999], (5, 10, 50, 100, 500)),
        # numbers start at width 1 (floors the decimals)
        (FieldType.number, [0.5, 7.25], (1, 5)),
        # one value: nothing between the value and *
        (FieldType.integer, [42, 42], ()),
        # no number at all
        (FieldType.integer, ["x"], ()),
    ],
)
def test_number_widths_fit_the_range(field_type, values, widths):
    assert NumberHierarchy.fit("age", field_type, values).widths == widths


def test_number_labels_reuse_the_policy_buckets():
    h = NumberHierarchy.fit("age", FieldType.integer, [21, 37])
    assert labels(h, [21, 37, None, "oops"]) == [
        ["21", "37", None, "<UNKNOWN>"],
        ["20-24", "35-39", None, "<UNKNOWN>"],
        ["20-29", "30-39", None, "<UNKNOWN>"],
        ["*", "*", "*", "*"],
    ]
    income = NumberHierarchy.fit("income", FieldType.number, [0.5, 7.25])
    assert labels(income, [0.5, 7.25])[1:3] == [
        ["[0.0, 1.0)", "[7.0, 8.0)"],
        ["[0.0, 5.0)", "[5.0, 10.0)"],
    ]


def test_number_hierarchies_nest():
    # every bucket lies inside one bucket of the next level: the lattice stays monotone
    h = NumberHierarchy.fit("age", FieldType.integer, [0, 999])
    values = list(range(0, 1000, 7))
    per_level = labels(h, values)
    for lower, upper in itertools.pairwise(per_level):
        mapping: dict = {}
        for a, b in zip(lower, upper, strict=True):
            assert mapping.setdefault(a, b) == b


def test_flat_keeps_the_value_or_stars_it():
    assert labels(FlatHierarchy("gender"), ["nam", "nu", None]) == [
        ["nam", "nu", None],
        ["*", "*", "*"],
    ]
    assert labels(FlatHierarchy("active"), [True, False])[0] == ["true", "false"]


@pytest.mark.parametrize(
    ("spec", "distinct", "kind"),
    [
        (FieldSpec(name="born", type=FieldType.date, pii=PiiType.DATE_OF_BIRTH), [], "date"),
        (FieldSpec(name="seen_at", type=FieldType.datetime), [], "date"),
        (FieldSpec(name="age", type=FieldType.integer), [1, 90], "number"),
        (FieldSpec(name="income", type=FieldType.number), [1.5], "number"),
        # a boolean has no ladder: keep or *
        (FieldSpec(name="active", type=FieldType.boolean), [True, False], "flat"),
        # a declared location is read as places whatever its values look like
        (FieldSpec(name="addr", type=FieldType.string, pii=PiiType.LOCATION), ["?"], "geo"),
        # ward slugs are recognized as places
        (
            FieldSpec(name="ward", type=FieldType.string),
            ["phuong-ben-thanh", "phuong-sai-gon", "xa-cu-chi"],
            "geo",
        ),
        # words that are not places: keep or *
        (FieldSpec(name="gender", type=FieldType.string), ["nam", "nu"], "flat"),
        # a sensitive attribute may also be a quasi-identifier: keep or *
        (FieldSpec(name="eth", type=FieldType.string, pii=PiiType.SENSITIVE), ["Kinh"], "flat"),
    ],
)
def test_hierarchy_chosen_from_type_pii_and_values(spec, distinct, kind):
    assert hierarchy_for(spec, distinct).kind == kind


def test_hierarchy_kind_can_be_asked_for():
    spec = FieldSpec(name="ward", type=FieldType.string)
    assert hierarchy_for(spec, ["nam"], "geo").kind == "geo"
    with pytest.raises(NotPublishable, match="does not fit 'ward'"):
        hierarchy_for(spec, [], "date")
    with pytest.raises(NotPublishable, match="unknown hierarchy 'zip'"):
        hierarchy_for(spec, [], "zip")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # free text cannot be generalized, whatever its PII declaration
        (FieldSpec(name="notes", type=FieldType.text), "'notes' is free text"),
        (
            FieldSpec(name="remark", type=FieldType.string, pii=PiiType.FREE_TEXT),
            "'remark' is free text",
        ),
        # a direct identifier is dropped or pseudonymized, never generalized
        (
            FieldSpec(name="phone", type=FieldType.string, pii=PiiType.PHONE_NUMBER),
            r"'phone' is a direct identifier \(PHONE_NUMBER\)",
        ),
    ],
)
def test_fields_that_cannot_be_quasi_identifiers(spec, message):
    with pytest.raises(QuasiIdentifierError, match=message) as err:
        hierarchy_for(spec, [])
    assert err.value.field == spec.name
    assert "quasi_identifiers" in str(err.value)  # says what to change
