"""Prosecutor re-identification risk, on tables computed by hand."""

from __future__ import annotations

import pytest

from catalog.deidentify import DeidOptions, plan_deidentification
from catalog.risk import ClassCounter, summarize
from tests.catalog.conftest import columns, descriptor_for


def test_risk_of_classes_of_two_three_and_five():
    # 10 rows in classes of 2, 3, 5: max risk 1/2; average over rows
    # (2*1/2 + 3*1/3 + 5*1/5) / 10 = 3/10; the 2 rows of the smallest class are at max.
    risk = summarize([3, 2, 5])
    assert risk.classes == 3
    assert risk.rows == 10
    assert risk.smallest_class == 2
    assert risk.max_prosecutor == pytest.approx(0.5)
    assert risk.avg_prosecutor == pytest.approx(0.3)
    assert risk.rows_at_max_risk == pytest.approx(0.2)


def test_risk_of_nothing_and_of_one_class():
    assert summarize([]).rows == 0
    one = summarize([4, 0])  # an empty class does not count
    assert (one.classes, one.max_prosecutor, one.avg_prosecutor) == (1, 0.25, 0.25)


def test_class_counter_recounts_batches():
    counter = ClassCounter(["g", "a"])
    counter.add({"g": ["m", "m", "f"], "a": ["1", "1", "2"]})
    counter.add({"g": ["f", "m"], "a": ["2", "1"]})
    assert dict(counter.sizes) == {("m", "1"): 3, ("f", "2"): 2}
    assert counter.summary().smallest_class == 2
    nothing = ClassCounter([])
    nothing.add({"x": [1, 2, 3]})
    assert dict(nothing.sizes) == {(): 3}


def test_report_risk_matches_the_hand_computation():
    # gender as is gives classes m:2, f:3, x:5 -> the figures above
    descriptor = descriptor_for(
        "  - {name: id, type: string}\n  - {name: gender, type: string}\n",
        "{quasi_identifiers: [gender], k: 2}",
    )
    genders = ["m"] * 2 + ["f"] * 3 + ["x"] * 5
    cols = columns(("id", "gender"), [(str(i), g) for i, g in enumerate(genders)])
    report = plan_deidentification(descriptor, [cols], options=DeidOptions()).report
    assert report.k_achieved == 2
    assert report.risk.max_prosecutor == pytest.approx(0.5)
    assert report.risk.avg_prosecutor == pytest.approx(0.3)
    assert report.to_dict()["risk"]["rows_at_max_risk"] == pytest.approx(0.2)
    assert report.information_loss == 0
