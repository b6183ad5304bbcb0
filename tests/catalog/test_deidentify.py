"""De-identification of the synthetic population: roles, streaming, and no raw identifier out."""

from __future__ import annotations

import json
import re
import time

import pytest

from catalog.deidentify import (
    DeidOptions,
    apply_plan,
    check_output,
    field_roles,
    plan_deidentification,
)
from catalog.errors import NotPublishable, OutputCheckFailed
from catalog.report import Role
from catalog.risk import ClassCounter
from tests.catalog.conftest import batches_of, class_sizes, context, descriptor_for

QIS = ("date_of_birth", "gender", "ward")
DIRECT = ("citizen_id", "full_name", "phone", "address")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def plans(population_descriptor, population):
    """The population planned in both modes, timed (printed, never asserted)."""
    out = {}
    for mode in ("drop", "pseudonymize"):
        started = time.perf_counter()
        plan = plan_deidentification(
            population_descriptor, [population], options=DeidOptions(direct_identifiers=mode)
        )
        print(f"\nplanned 10,000 rows ({mode}) in {time.perf_counter() - started:.3f} s")
        out[mode] = plan
    return out


def test_field_roles_of_the_population_registry(population_descriptor):
    assert field_roles(population_descriptor, DeidOptions()) == {
        "citizen_id": Role.direct_dropped,  # VN_CCCD, and the primary key
        "full_name": Role.direct_dropped,  # PERSON
        "date_of_birth": Role.quasi_identifier,  # DATE_OF_BIRTH, but listed as a QI
        "gender": Role.quasi_identifier,
        "phone": Role.direct_dropped,
        "address": Role.direct_dropped,  # LOCATION, not a QI
        "ward": Role.quasi_identifier,
        "ethnicity": Role.sensitive,  # SENSITIVE: kept, its ℓ reported
        "notes": Role.free_text,  # FREE_TEXT: always dropped
    }
    pseudo = field_roles(population_descriptor, DeidOptions(direct_identifiers="pseudonymize"))
    assert pseudo["phone"] is Role.direct_pseudonymized
    assert pseudo["notes"] is Role.free_text


def test_primary_key_without_pii_is_still_a_direct_identifier():
    descriptor = descriptor_for(
        "  - {name: record_no, type: integer}\n  - {name: city, type: string}\n",
        "{quasi_identifiers: [], k: 2}",
        pk="record_no",
    )
    assert field_roles(descriptor, DeidOptions())["record_no"] is Role.direct_dropped


def test_sensitive_listing_a_dropped_field_is_refused():
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: phone, type: string, pii: PHONE_NUMBER}\n",
        "{quasi_identifiers: [], k: 2, sensitive: [phone]}",
    )
    with pytest.raises(NotPublishable, match=r"open_data\.sensitive names 'phone'"):
        plan_deidentification(descriptor, [{"id": ["1"], "phone": ["0903123456"]}])


def test_population_reaches_k5(plans, population_descriptor, population):
    plan = plans["drop"]
    out, kept = apply_plan(plan, population, context(population_descriptor))
    report = plan.report
    print(f"levels {dict(zip(QIS, plan.levels, strict=True))}, report {report.to_dict()}")
    sizes = class_sizes(out, QIS)
    assert min(sizes.values()) >= 5 == report.k_requested
    assert min(sizes.values()) == report.k_achieved
    assert report.rows_in == 10_000
    assert report.rows_out == sum(kept) == len(out["gender"])
    assert report.rows_suppressed <= 500  # 5% budget
    assert report.risk.max_prosecutor == pytest.approx(1 / report.k_achieved)
    assert list(out) == ["date_of_birth", "gender", "ward", "ethnicity"]
    assert set(report.l_achieved) == {"ethnicity"}


def test_streaming_equals_one_shot(plans, population_descriptor, population):
    one_shot = plans["pseudonymize"]
    options = DeidOptions(direct_identifiers="pseudonymize")
    streamed = plan_deidentification(
        population_descriptor, batches_of(population, 999), options=options
    )
    assert streamed.levels == one_shot.levels
    assert streamed.withheld == one_shot.withheld
    streamed_report, one_report = streamed.report.to_dict(), one_shot.report.to_dict()
    streamed_report.pop("search"), one_report.pop("search")
    assert streamed_report == one_report

    ctx = context(population_descriptor)
    whole, whole_kept = apply_plan(one_shot, population, ctx)
    applier = streamed.compile(ctx)
    parts = [applier.apply(batch) for batch in batches_of(population, 999)]
    joined = {name: [v for cols, _ in parts for v in cols[name]] for name in whole}
    assert joined == whole
    assert [k for _, kept in parts for k in kept] == whole_kept


@pytest.mark.parametrize("mode", ["drop", "pseudonymize"])
def test_raw_direct_identifiers_never_come_out(mode, plans, population_descriptor, population):
    plan = plans[mode]
    out, _ = apply_plan(plan, population, context(population_descriptor))
    raw = {v for name in (*DIRECT, "notes") for v in population[name] if v}
    cells = {str(v) for column in out.values() for v in column if v is not None}
    assert not raw & cells
    # substrings too, in every column that is not a pseudonym, and in the report
    pseudonyms = {n for n, r in plan.report.fields.items() if r == Role.direct_pseudonymized}
    text = "\n".join(
        {str(v) for n, col in out.items() if n not in pseudonyms for v in col if v is not None}
    )
    text += json.dumps(plan.report.to_dict(), ensure_ascii=False)
    leaked = [v for v in raw if len(v) >= 6 and v in text]
    assert leaked == []
    if mode == "pseudonymize":
        assert set(pseudonyms) == set(DIRECT)
        assert all(HEX32.match(v) for n in DIRECT for v in out[n] if v is not None)
    else:
        assert not set(DIRECT) & set(out)
    assert "notes" not in out


def test_pseudonyms_are_stable_across_runs(plans, population_descriptor, population):
    ctx = context(population_descriptor)
    first, _ = apply_plan(plans["pseudonymize"], population, ctx)
    second, _ = apply_plan(plans["pseudonymize"], population, ctx)
    assert first["citizen_id"] == second["citizen_id"]
    assert len(set(first["citizen_id"])) == len(first["citizen_id"])  # still unique


def test_output_check_refuses_data_changed_after_planning(plans, population_descriptor, population):
    plan = plans["drop"]
    # the same rows minus a few: some classes fall below k
    changed = {name: values[:-7] for name, values in population.items()}
    out, _ = apply_plan(plan, changed, context(population_descriptor))
    counter = ClassCounter(plan.quasi_identifiers)
    counter.add(out)
    with pytest.raises(OutputCheckFailed, match="changed after planning"):
        check_output(plan, counter.summary())
    whole, _ = apply_plan(plan, population, context(population_descriptor))
    counter = ClassCounter(plan.quasi_identifiers)
    counter.add(whole)
    check_output(plan, counter.summary())  # the planned data passes


def test_apply_names_a_missing_column(plans, population_descriptor):
    with pytest.raises(NotPublishable, match="no column for"):
        apply_plan(plans["drop"], {"gender": ["nam"]}, context(population_descriptor))
