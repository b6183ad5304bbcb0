"""The residual gate: nothing is published while the PII analyzer still finds something.

Every non-null cell of the de-identified result is scanned as text by an injected
scanner, ``Callable[[list[str]], list[list[finding]]]`` (the hub passes the anonymizer
engine's ``analyze_batch``; a finding is anything with an ``entity_type`` attribute or
key). Any finding refuses the publication: ``ResidualPii`` names each (row, field,
entity type). Rows are numbered from 0 in the order the result is written.

Two choices keep this affordable and exact:

* the scanner sees each distinct text once (cached across columns and batches): a text
  gets the same findings wherever it appears, and generalized columns repeat a handful
  of labels over millions of rows;
* one tolerance, decided by the plan, not by the data: a generalized place column carries
  only official unit names (``Phường Bến Thành, Thành phố Hồ Chí Minh``), which the
  analyzer rightly reads as LOCATION. A finding is tolerated only when its entity type is
  the one the column's hierarchy is known to produce *and* the cell is one of the labels
  the plan itself generated for that column (``tolerances(plan)``). Anything else,
  including a LOCATION in a kept column, refuses.

A scanner that returns the wrong number of results raises ``CatalogError``: a broken
analyzer must stop the publication, not wave it through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError, Residual, ResidualPii

if TYPE_CHECKING:
    from catalog.deidentify import Plan

Scanner = Callable[[list[str]], Sequence[Sequence[Any]]]
CACHE_LIMIT = 200_000  # distinct texts remembered; past it the cache starts afresh


@dataclass(frozen=True)
class Tolerance:
    """Findings of ``entity_types`` are expected in the cells whose value is in ``values``."""

    entity_types: frozenset[str]
    values: frozenset[Any]


def tolerances(plan: Plan) -> dict[str, Tolerance]:
    """The tolerances a ``catalog.deidentify.Plan`` implies (its hierarchies' labels)."""
    return {
        h.field: Tolerance(h.tolerated, plan.vocabulary[h.field]) for h in plan.quasi if h.tolerated
    }


def cell_text(value: Any) -> str:
    """How a cell reads in the published file (the same text the CSV writer writes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def entity_type(finding: Any) -> str:
    if isinstance(finding, Mapping):
        return str(finding["entity_type"])
    return str(finding.entity_type)


class ResidualGate:
    """Scan batches of the result; ``check()`` raises if anything was found."""

    def __init__(self, scanner: Scanner, *, tolerate: Mapping[str, Tolerance] | None = None):
        self.scanner = scanner
        self.tolerate = dict(tolerate or {})
        self.findings: list[Residual] = []
        self.cells = 0
        self.tolerated = 0
        self._cache: dict[str, tuple[str, ...]] = {}

    def scan(self, columns: Mapping[str, Sequence[Any]], *, first_row: int = 0) -> list[Residual]:
        """Scan one batch whose first row is ``first_row`` of the result; return its findings."""
        found: list[Residual] = []
        for name, values in columns.items():
            texts = [None if v is None else cell_text(v) for v in values]
            self._learn(texts)
            found += self._column(name, values, texts, first_row)
        self.findings += found
        return found

    def _column(
        self, name: str, values: Sequence[Any], texts: list[str | None], first_row: int
    ) -> list[Residual]:
        tolerance = self.tolerate.get(name)
        found = []
        for row, (value, text) in enumerate(zip(values, texts, strict=True)):
            if text is None:
                continue
            self.cells += 1
            for entity in self._cache[text]:
                if tolerance and entity in tolerance.entity_types and value in tolerance.values:
                    self.tolerated += 1
                else:
                    found.append(Residual(first_row + row, name, entity))
        return found

    def _learn(self, texts: list[str | None]) -> None:
        """Scan the texts not seen before, each distinct one once."""
        if len(self._cache) > CACHE_LIMIT:
            self._cache.clear()
        new = [t for t in dict.fromkeys(texts) if t is not None and t not in self._cache]
        if not new:
            return
        results = self.scanner(new)
        if len(results) != len(new):
            raise CatalogError(
                f"the PII scanner returned {len(results)} results for {len(new)} texts; "
                "refusing to publish what it did not scan"
            )
        for text, findings in zip(new, results, strict=True):
            self._cache[text] = tuple(entity_type(f) for f in findings)

    def check(self) -> None:
        if self.findings:
            raise ResidualPii(self.findings)

    def summary(self) -> dict[str, int]:
        return {
            "cells_scanned": self.cells,
            "tolerated_findings": self.tolerated,
            "findings": len(self.findings),
        }


def check_residual(
    columns: Mapping[str, Sequence[Any]],
    scanner: Scanner,
    *,
    tolerate: Mapping[str, Tolerance] | None = None,
) -> None:
    """One-shot gate over a whole result: raises ``ResidualPii`` on any finding."""
    gate = ResidualGate(scanner, tolerate=tolerate)
    gate.scan(columns)
    gate.check()
