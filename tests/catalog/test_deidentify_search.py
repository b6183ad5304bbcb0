"""The lattice search on tables small enough to check by hand.

Each test states the levels (0 = as is, top = ``*``), the loss of the candidates
(mean of level/top) and why the expected node is the least generalization reaching k.
Every result is recounted from the published columns, independently of the planner.
"""

from __future__ import annotations

from datetime import date

import pytest

from catalog.deidentify import DeidOptions, apply_plan, plan_deidentification
from catalog.errors import (
    EmptyDataset,
    KUnreachable,
    LDiversityUnreachable,
    NotPublishable,
    QuasiIdentifierError,
)
from tests.catalog.conftest import class_sizes, columns, context, descriptor_for

NO_SUPPRESSION = DeidOptions(max_suppression=0)


def publish(descriptor, cols, options=NO_SUPPRESSION):
    """Plan over ``cols``, apply, and check k by recounting the output."""
    plan = plan_deidentification(descriptor, [cols], options=options)
    out, kept = apply_plan(plan, cols, context(descriptor))
    sizes = class_sizes(out, plan.quasi_identifiers)
    assert min(sizes.values()) >= descriptor.open_data.k
    assert min(sizes.values()) == plan.report.k_achieved
    assert sum(sizes.values()) == plan.report.rows_out == sum(kept)
    assert len(kept) - sum(kept) == plan.report.rows_suppressed
    return plan, out


AGE_GENDER = descriptor_for(
    "  - {name: id, type: string}\n  - {name: age, type: integer}\n"
    "  - {name: gender, type: string}\n",
    "{quasi_identifiers: [age, gender], k: 2}",
)


def test_age_buckets_of_five_suffice():
    # age: value, 5, 10, * (top 3); gender: value, * (top 1). (0,0) is all unique;
    # (1,0), loss 1/6, gives 20-24/m, 20-24/f, 35-39/m, two rows each: optimal.
    cols = columns(
        ("id", "age", "gender"),
        [
            ("a", 21, "m"),
            ("b", 22, "m"),
            ("c", 23, "f"),
            ("d", 24, "f"),
            ("e", 36, "m"),
            ("f", 37, "m"),
        ],
    )
    plan, out = publish(AGE_GENDER, cols)
    assert plan.levels == (1, 0)
    assert out["age"] == ["20-24", "20-24", "20-24", "20-24", "35-39", "35-39"]
    assert plan.report.generalization["age"]["label"] == "width 5"
    assert plan.report.information_loss == pytest.approx(1 / 6)
    assert plan.report.search["evaluated"] == 3  # top (checked first), (0,0), (1,0)


def test_dates_climb_to_year_before_wards_climb_to_province():
    # born: day, month, year, 5-year, * (top 4); ward: ward, province, * (top 2).
    # (1,0) loss 1/8: months 05/bt x2, 08/sg, 09/sg -> fails; (0,1) loss 1/4: one
    # province but four days -> fails; (2,0) loss 1/4: year 1990 with each ward, two rows.
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: born, type: date, pii: DATE_OF_BIRTH}\n"
        "  - {name: ward, type: string}\n",
        "{quasi_identifiers: [born, ward], k: 2}",
    )
    cols = columns(
        ("id", "born", "ward"),
        [
            ("a", "1990-05-17", "phuong-ben-thanh"),
            ("b", "1990-05-30", "phuong-ben-thanh"),
            ("c", "1990-08-01", "phuong-sai-gon"),
            ("d", "1990-09-09", "phuong-sai-gon"),
        ],
    )
    plan, out = publish(descriptor, cols)
    assert plan.levels == (2, 0)
    assert out["born"] == ["1990"] * 4
    assert out["ward"][0] == "Phường Bến Thành, Thành phố Hồ Chí Minh"


@pytest.mark.parametrize(
    ("born", "level", "labels"),
    [
        # two by month
        (["1990-05-17", "1990-05-30", "1991-02-01", "1991-02-15"], 1, ["1990-05", "1991-02"]),
        # two by year
        (["1990-05-17", "1990-08-30", "1991-02-01", "1991-12-15"], 2, ["1990", "1991"]),
        # two by 5-year band
        (
            ["1990-01-01", "1994-12-31", "1996-01-01", "1999-06-06"],
            3,
            ["1990-1994", "1995-1999"],
        ),
        # nothing short of * pairs 1990 with 2010
        (["1990-01-01", "1990-01-01", "2010-01-01", "1990-03-03"], 4, ["*"]),
    ],
)
def test_date_level_is_the_lowest_pairing_the_rows(born, level, labels):
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: born, type: date}\n",
        "{quasi_identifiers: [born], k: 2}",
    )
    cols = columns(("id", "born"), [(str(i), b) for i, b in enumerate(born)])
    plan, out = publish(descriptor, cols)
    assert plan.levels == (level,)
    assert sorted(set(out["born"])) == labels


ONE_AGE = descriptor_for(
    "  - {name: id, type: string}\n  - {name: age, type: integer}\n",
    "{quasi_identifiers: [age], k: 2}",
)
OUTLIER = columns(
    ("id", "age"), [(str(i), a) for i, a in enumerate([30, 30, 31, 31, 32, 32, 33, 33, 90])]
)


def test_without_budget_one_outlier_forces_star():
    # age: value, 5, 10, 50, * (top 4). 90 stays alone at every level below *.
    plan, out = publish(ONE_AGE, OUTLIER)
    assert plan.levels == (4,)
    assert plan.report.rows_suppressed == 0
    assert set(out["age"]) == {"*"}


def test_a_budget_of_one_row_suppresses_the_outlier_instead():
    # floor(0.2 * 9) = 1 row may go: the ages stay exact, 90 is suppressed
    plan, out = publish(ONE_AGE, OUTLIER, DeidOptions(max_suppression=0.2))
    assert plan.levels == (0,)
    assert plan.report.rows_suppressed == 1
    assert "90" not in out["age"]
    assert plan.withheld == frozenset({("90",)})


def test_the_budget_is_never_exceeded():
    # 0.1 * 9 = 0.9 -> no row may go, so the same table is published at *
    plan, _ = publish(ONE_AGE, OUTLIER, DeidOptions(max_suppression=0.1))
    assert plan.levels == (4,)
    assert plan.report.rows_suppressed == 0


def test_equal_loss_prefers_fewer_suppressed_rows():
    # x, y: value or * (top 1). (0,0) suppresses all 5 rows. (0,1) and (1,0) both lose
    # 1/2: (0,1) keeps x (a:2, b:2, c:1 -> 1 suppressed), (1,0) keeps y (p:3, q:2 -> 0).
    # (0,1) comes first in order; (1,0) wins on suppression.
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: x, type: string}\n  - {name: y, type: string}\n",
        "{quasi_identifiers: [x, y], k: 2}",
    )
    cols = columns(
        ("id", "x", "y"),
        [("1", "a", "p"), ("2", "a", "q"), ("3", "b", "p"), ("4", "b", "q"), ("5", "c", "p")],
    )
    plan, _ = publish(descriptor, cols, DeidOptions(max_suppression=0.2))
    assert plan.levels == (1, 0)
    assert plan.report.rows_suppressed == 0


SICK = descriptor_for(
    "  - {name: id, type: string}\n  - {name: gender, type: string}\n"
    "  - {name: disease, type: string, pii: SENSITIVE}\n",
    "{quasi_identifiers: [gender], k: 2, l_diversity: 2}",
)
SICK_ROWS = columns(
    ("id", "gender", "disease"),
    [("1", "m", "flu"), ("2", "m", "flu"), ("3", "f", "flu"), ("4", "f", "cold")],
)


def test_l_diversity_is_reported_when_not_required():
    # k alone: gender as is; the "m" class has one disease only (ℓ = 1)
    descriptor = SICK.model_copy(
        update={"open_data": SICK.open_data.model_copy(update={"l_diversity": None})}
    )
    plan, _ = publish(descriptor, SICK_ROWS)
    assert plan.levels == (0,)
    assert plan.report.l_achieved == {"disease": 1}


def test_l_diversity_enforced_by_generalizing():
    plan, _ = publish(SICK, SICK_ROWS)
    assert plan.levels == (1,)
    assert plan.report.l_achieved == {"disease": 2}


def test_l_diversity_enforced_by_suppressing_within_budget():
    plan, out = publish(SICK, SICK_ROWS, DeidOptions(max_suppression=0.5))
    assert plan.levels == (0,)
    assert out["gender"] == ["f", "f"]
    assert out["disease"] == ["flu", "cold"]  # recount: ℓ = 2 in the only class left
    assert plan.report.l_achieved == {"disease": 2}


def test_l_beyond_the_distinct_values_is_a_clear_error():
    descriptor = SICK.model_copy(
        update={"open_data": SICK.open_data.model_copy(update={"l_diversity": 3})}
    )
    with pytest.raises(LDiversityUnreachable, match="'disease' has at most 2 distinct") as err:
        plan_deidentification(descriptor, [SICK_ROWS])
    assert err.value.best_l == 2
    assert "Lower open_data.l_diversity to 2" in str(err.value)


def test_k_larger_than_the_dataset_says_the_best_k():
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: gender, type: string}\n",
        "{quasi_identifiers: [gender], k: 5}",
    )
    cols = columns(("id", "gender"), [("1", "m"), ("2", "f"), ("3", "m")])
    with pytest.raises(KUnreachable, match="smallest group has 3 rows") as err:
        plan_deidentification(descriptor, [cols])
    assert err.value.best_k == 3
    assert "Lower open_data.k to 3 or less" in str(err.value)


def test_empty_dataset_is_a_clear_error():
    with pytest.raises(EmptyDataset, match="'test-data' has no rows"):
        plan_deidentification(AGE_GENDER, [])
    with pytest.raises(EmptyDataset):
        plan_deidentification(AGE_GENDER, [{"id": [], "age": [], "gender": []}])


def test_free_text_quasi_identifier_is_refused_before_reading_data():
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: notes, type: text}\n",
        "{quasi_identifiers: [notes], k: 2}",
    )

    def never():
        raise AssertionError("data was read")
        yield

    with pytest.raises(QuasiIdentifierError, match="'notes' is free text"):
        plan_deidentification(descriptor, never())


def test_boolean_quasi_identifier_is_kept_or_starred():
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: active, type: boolean}\n",
        "{quasi_identifiers: [active], k: 2}",
    )
    cols = columns(("id", "active"), [("1", True), ("2", True), ("3", False), ("4", True)])
    plan, out = publish(descriptor, cols)
    assert plan.levels == (1,)  # one False alone: only * pairs it
    assert out["active"] == ["*"] * 4


def test_no_quasi_identifier_is_one_class():
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: city, type: string}\n",
        "{quasi_identifiers: [], k: 2}",
    )
    cols = columns(("id", "city"), [("1", "x"), ("2", "y"), ("3", "z")])
    plan, out = publish(descriptor, cols)
    assert plan.levels == ()
    assert plan.report.k_achieved == 3
    assert out["city"] == ["x", "y", "z"]


def test_missing_column_and_bad_options_are_named():
    with pytest.raises(NotPublishable, match="needs the columns gender"):
        plan_deidentification(AGE_GENDER, [{"id": ["1"], "age": [3]}])
    with pytest.raises(NotPublishable, match="max_suppression"):
        DeidOptions(max_suppression=1.5)
    with pytest.raises(NotPublishable, match="direct_identifiers"):
        DeidOptions(direct_identifiers="mask")  # type: ignore[arg-type]
    with pytest.raises(NotPublishable, match="not quasi-identifiers"):
        plan_deidentification(AGE_GENDER, [], options=DeidOptions(hierarchies={"id": "flat"}))


def test_nulls_form_their_own_class():
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: gender, type: string}\n",
        "{quasi_identifiers: [gender], k: 2}",
    )
    cols = columns(("id", "gender"), [("1", None), ("2", None), ("3", "m"), ("4", "m")])
    plan, out = publish(descriptor, cols)
    assert plan.levels == (0,)
    assert out["gender"] == [None, None, "m", "m"]


def test_missing_sensitive_values_are_no_diversity():
    # m: {flu, None} is ℓ = 1 (a missing value hides nothing), so gender must go to *
    cols = columns(
        ("id", "gender", "disease"),
        [("1", "m", "flu"), ("2", "m", None), ("3", "f", "flu"), ("4", "f", "cold")],
    )
    plan, _ = publish(SICK, cols)
    assert plan.levels == (1,)
    assert plan.report.l_achieved == {"disease": 2}


def test_typed_and_mixed_columns_plan_alike():
    # date objects (Arrow's fast path), ISO strings, and a mix of both (Python's path)
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: born, type: date}\n",
        "{quasi_identifiers: [born], k: 2}",
    )
    days = [date(1990, 5, 17), date(1990, 5, 30), date(1991, 2, 1), date(1992, 2, 15)]
    as_text = [d.isoformat() for d in days]
    mixed = [days[0], as_text[1], days[2], as_text[3]]
    plans = [
        plan_deidentification(
            descriptor, [{"id": list("abcd"), "born": born}], options=NO_SUPPRESSION
        )
        for born in (days, as_text, mixed)
    ]
    assert {(p.levels, p.withheld) for p in plans} == {((3,), frozenset())}
