"""Re-identification risk of a k-anonymous table, from its equivalence class sizes.

The prosecutor model: an attacker knows their target is in the published table and
knows the target's quasi-identifiers, so they can narrow the target down to one
equivalence class and pick a row of it at random. A row in a class of ``c`` rows is
re-identified with probability ``1/c``:

* the *maximum* risk is ``1/smallest class`` (``1/k``);
* the *average* risk over rows is ``sum(c * 1/c) / rows = classes / rows``;
* ``rows_at_max_risk`` is the share of rows sitting in a smallest class.

``ClassCounter`` recounts classes from published columns, independently of the search
that chose them: the publishing flow runs it over the rows it writes and refuses a
result that does not reach k.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Risk:
    classes: int
    rows: int
    smallest_class: int
    max_prosecutor: float
    avg_prosecutor: float
    rows_at_max_risk: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(sizes: Iterable[int]) -> Risk:
    """Risk figures from equivalence class sizes (classes of size 0 are ignored)."""
    counted = [size for size in sizes if size > 0]
    if not counted:
        return Risk(0, 0, 0, 0.0, 0.0, 0.0)
    rows, smallest = sum(counted), min(counted)
    at_max = sum(size for size in counted if size == smallest)
    return Risk(
        classes=len(counted),
        rows=rows,
        smallest_class=smallest,
        max_prosecutor=1 / smallest,
        avg_prosecutor=len(counted) / rows,
        rows_at_max_risk=at_max / rows,
    )


class ClassCounter:
    """Counts rows per combination of quasi-identifier values, batch by batch."""

    def __init__(self, quasi_identifiers: Sequence[str]) -> None:
        self.fields = tuple(quasi_identifiers)
        self.sizes: Counter[tuple[Any, ...]] = Counter()
        self.rows = 0

    def add(self, columns: Mapping[str, Sequence[Any]]) -> None:
        if not self.fields:  # no QI: every row is in the one class ()
            n = len(next(iter(columns.values()))) if columns else 0
            self.sizes[()] += n
            self.rows += n
            return
        keys = list(zip(*(columns[name] for name in self.fields), strict=True))
        self.sizes.update(keys)
        self.rows += len(keys)

    def summary(self) -> Risk:
        return summarize(self.sizes.values())
