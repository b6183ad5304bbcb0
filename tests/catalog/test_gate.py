"""The residual gate, with a fake scanner and with the real anonymizer engine."""

from __future__ import annotations

from datetime import date

import pytest

from anonymizer.engine import get_engine
from catalog.deidentify import DeidOptions, apply_plan, plan_deidentification
from catalog.errors import CatalogError, Residual, ResidualPii
from catalog.gate import ResidualGate, Tolerance, check_residual, tolerances
from tests.catalog.conftest import FakeScanner, context, descriptor_for


def test_a_finding_refuses_and_names_row_field_and_type():
    scanner = FakeScanner({"0903": "PHONE_NUMBER"})
    cols = {"gender": ["nam", "nu", "nam"], "remark": [None, "gọi 0903 123 456", "ok"]}
    with pytest.raises(ResidualPii) as err:
        check_residual(cols, scanner)
    assert err.value.triples == [(1, "remark", "PHONE_NUMBER")]
    assert "row 1 remark: PHONE_NUMBER" in str(err.value)
    assert "0903" not in str(err.value)  # the message never repeats the value


def test_clean_result_passes_and_each_text_is_scanned_once():
    scanner = FakeScanner({"@": "EMAIL_ADDRESS"})
    gate = ResidualGate(scanner)
    gate.scan({"gender": ["nam", "nu", "nam"], "band": ["1990", "1990", None]})
    gate.scan({"gender": ["nu", "nam"], "band": ["1990", "1995"]}, first_row=3)
    gate.check()
    scanned = [text for call in scanner.calls for text in call]
    assert sorted(scanned) == ["1990", "1995", "nam", "nu"]
    assert gate.summary() == {"cells_scanned": 9, "tolerated_findings": 0, "findings": 0}


def test_rows_count_across_batches():
    gate = ResidualGate(FakeScanner({"x@y": "EMAIL_ADDRESS"}))
    gate.scan({"a": ["ok", "ok"]})
    gate.scan({"a": ["ok", "x@y.vn"]}, first_row=2)
    assert gate.findings == [Residual(3, "a", "EMAIL_ADDRESS")]


def test_non_text_cells_are_scanned_as_written():
    scanner = FakeScanner({"2024-05-01": "DATE_OF_BIRTH", "true": "X"})
    with pytest.raises(ResidualPii) as err:
        check_residual({"d": [date(2024, 5, 1)], "b": [True], "n": [12]}, scanner)
    assert {(f.field, f.entity_type) for f in err.value.findings} == {
        ("d", "DATE_OF_BIRTH"),
        ("b", "X"),
    }


def test_tolerance_needs_both_the_type_and_a_planned_label():
    scanner = FakeScanner({"Phường": "LOCATION", "0903": "PHONE_NUMBER"})
    tolerate = {"ward": Tolerance(frozenset({"LOCATION"}), frozenset({"Phường Bến Thành"}))}
    gate = ResidualGate(scanner, tolerate=tolerate)
    gate.scan(
        {
            "ward": ["Phường Bến Thành", "Phường Bến Thành 0903", "Phường X"],
            "kept": ["Phường Bến Thành", None, None],
        }
    )
    assert gate.tolerated == 1
    assert [(f.row, f.field, f.entity_type) for f in gate.findings] == [
        (1, "ward", "LOCATION"),  # not a label the plan made
        (1, "ward", "PHONE_NUMBER"),  # not the tolerated type
        (2, "ward", "LOCATION"),
        (0, "kept", "LOCATION"),  # no tolerance outside the generalized column
    ]


def test_a_broken_scanner_stops_the_publication():
    def short(texts):
        return []

    with pytest.raises(CatalogError, match="returned 0 results for 1 texts"):
        check_residual({"a": ["x"]}, short)


# -- the real engine ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine():
    return get_engine()


def test_real_engine_passes_the_de_identified_population(engine, population_descriptor, population):
    plan = plan_deidentification(population_descriptor, [population])
    out, _ = apply_plan(plan, population, context(population_descriptor))
    gate = ResidualGate(engine.analyze_batch, tolerate=tolerances(plan))
    gate.scan(out)
    gate.check()
    assert gate.cells >= 4 * 9000
    assert gate.tolerated > 0  # official ward names read as LOCATION, and are expected


def test_real_engine_refuses_pii_left_in_an_undeclared_field(engine):
    # "remark" is a plain string with no pii declared: kept, so the gate must catch it
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: gender, type: string}\n"
        "  - {name: remark, type: string}\n",
        "{quasi_identifiers: [gender], k: 2}",
    )
    cols = {
        "id": ["1", "2", "3", "4"],
        "gender": ["nam", "nam", "nu", "nu"],
        "remark": ["đã xác minh", "liên hệ qua số 0903 123 456", None, "đã xác minh"],
    }
    plan = plan_deidentification(descriptor, [cols], options=DeidOptions())
    out, _ = apply_plan(plan, cols, context(descriptor))
    with pytest.raises(ResidualPii) as err:
        check_residual(out, engine.analyze_batch, tolerate=tolerances(plan))
    assert err.value.triples == [(1, "remark", "PHONE_NUMBER")]


def test_real_engine_accepts_pseudonyms(engine, population_descriptor, population):
    small = {name: values[:300] for name, values in population.items()}
    options = DeidOptions(direct_identifiers="pseudonymize", max_suppression=0.5)
    plan = plan_deidentification(population_descriptor, [small], options=options)
    out, _ = apply_plan(plan, small, context(population_descriptor))
    check_residual(out, engine.analyze_batch, tolerate=tolerances(plan))
