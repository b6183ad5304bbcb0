"""Fixtures of the de-identification, gate and package tests.

Small tables are written inline as rows and turned into columns (``columns(rows)``);
the synthetic population (``hub.demo.synth``, 10,000 citizens, seed 7) is written once
per session. (CKAN fixtures live in ``ckan_fixtures.py``, owned by the CKAN tests.)
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.descriptor import DatasetDescriptor, load_descriptor
from policies.treatments import TreatmentContext

ROOT = Path(__file__).resolve().parents[2]
POPULATION_YAML = ROOT / "examples" / "datasets" / "population-registry.yaml"
KEY = b"catalog-test-key-" + b"k" * 16
TODAY = date(2026, 1, 1)


def columns(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """Rows (tuples in ``header`` order) to a batch of columns."""
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def batches_of(cols: Mapping[str, list[Any]], size: int) -> list[dict[str, list[Any]]]:
    n = len(next(iter(cols.values())))
    return [{k: v[i : i + size] for k, v in cols.items()} for i in range(0, n, size)]


def descriptor_for(fields: str, open_data: str, *, pk: str = "id") -> DatasetDescriptor:
    """A descriptor from YAML snippets: ``fields`` (list items) and the open_data mapping."""
    text = (
        "id: test-data\ntitle: Test data\nagency: cong-an\nclassification: internal\n"
        f"primary_key: {pk}\nsource: {{connector: csv, path: x.csv}}\n"
        f"fields:\n{fields}\nopen_data: {open_data}\n"
    )
    return load_descriptor(text, source="test.yaml")


def class_sizes(cols: Mapping[str, list[Any]], qis: Sequence[str]) -> Counter[tuple[Any, ...]]:
    """Recount the equivalence classes of a result, independently of the planner."""
    if not qis:  # no quasi-identifier: all rows are one class
        return Counter({(): len(next(iter(cols.values())))})
    return Counter(zip(*(cols[q] for q in qis), strict=True))


def context(descriptor: DatasetDescriptor) -> TreatmentContext:
    return TreatmentContext.for_dataset(descriptor, pseudonym_key=KEY, today=TODAY)


class FakeScanner:
    """Flags every text containing one of ``needles`` as that needle's entity type."""

    def __init__(self, needles: Mapping[str, str] | None = None) -> None:
        self.needles = dict(needles or {})
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        self.calls.append(list(texts))
        return [
            [
                {"entity_type": kind, "start": 0, "end": len(t), "score": 0.9}
                for needle, kind in self.needles.items()
                if needle in t
            ]
            for t in texts
        ]


@pytest.fixture(scope="session")
def population_descriptor() -> DatasetDescriptor:
    return load_descriptor(POPULATION_YAML.read_text(encoding="utf-8"), source="population.yaml")


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """The synthetic population as columns of strings (empty cells are None), as ingested."""
    from hub.demo.synth import write_population

    path = tmp_path_factory.mktemp("population") / "population.csv"
    write_population(path, 10_000)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {name: [row[name] or None for row in rows] for name in rows[0]}
